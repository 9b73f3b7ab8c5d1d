"""Go-live notifications and directory pings end to end: the embedded server with its real
adapters (SQLite, httpx Discord, Web Push, directory client, the web API, RTMP ingest fed by a
real ffmpeg) against a Discord webhook, two push services and a directory, all on 127.0.0.1.

Only the transcoder is the fake one (no video work needed here) and the 2-minute notification
delay and 4-minute ping interval are shortened through the container, as an embedder would.
Outbound requests to loopback are allowed explicitly (``outbound_allow_private``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers

from owncast_core.domain.config import Keys
from owncast_core.domain.notifications import BROWSER_PUSH_NOTIFICATION
from owncast_core.testing.fakes import FakeTranscoder
from owncast_runners.container import Container
from owncast_runners.server import OwncastServer
from owncast_runners.settings import Settings

from ..webhook_receiver import WebhookReceiver
from ..webpush_subscriber import Subscriber, unb64url, verify_vapid

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")


@dataclass
class World:
    server: OwncastServer
    container: Container
    client: httpx.AsyncClient
    discord: WebhookReceiver
    push: WebhookReceiver
    push_gone: WebhookReceiver
    directory: WebhookReceiver


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    discord = await WebhookReceiver(default=204, reply_body=b"").start()
    push = await WebhookReceiver(default=201, reply_body=b"").start()
    push_gone = await WebhookReceiver(default=410, reply_body=b"").start()
    directory = await WebhookReceiver(reply_body=b'{"success": true, "key": "yp-key-1"}').start()
    settings = Settings(data_dir=tmp_path / "data", web_host=("127.0.0.1",), web_port=0, rtmp_host="127.0.0.1",
                        rtmp_port=0, outbound_allow_private=True,
                        directory_url=f"http://127.0.0.1:{directory.port}")
    container = Container(settings=settings)
    container.transcoder.override(providers.Object(FakeTranscoder(bytes_per_segment=20_000)))
    container.notifications.add_kwargs(delay=1.0)  # 2 min in production
    container.directory.add_kwargs(interval=1.0)  # 4 min in production
    server = OwncastServer(settings, container)
    await server.start()
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.web_port}")
    try:
        yield World(server, container, client, discord, push, push_gone, directory)
    finally:
        await client.aclose()
        await server.stop()
        for receiver in (discord, push, push_gone, directory):
            await receiver.stop()


async def admin_set(client: httpx.AsyncClient, name: str, value: object) -> None:
    reply = await client.post(f"/api/admin/config/{name}", json={"value": value}, auth=ADMIN)
    assert reply.status_code == 200, reply.text


async def publish(rtmp_port: int, seconds: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi",
        "-i", "testsrc2=size=160x120:rate=15", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
        "-f", "flv", f"rtmp://127.0.0.1:{rtmp_port}/live/abc123",
    )


async def test_go_live_reaches_discord_browsers_and_the_directory(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    client = world.client
    await admin_set(client, "name", "Loopback TV")
    await admin_set(client, "serverurl", "https://tv.example")
    await admin_set(client, "streamtitle", "Friday jam")
    await admin_set(client, "directoryenabled", True)
    await admin_set(client, "notifications/discord",
                    {"enabled": True, "webhook": world.discord.url, "goLiveMessage": "We're live!"})

    # browser push is on by default, with a key pair made at the first start
    browser = (await client.get("/api/config")).json()["notifications"]["browser"]
    assert browser["enabled"] is True
    public_key = browser["publicKey"]
    assert len(unb64url(public_key)) == 65

    token = (await client.post("/api/chat/register")).json()["accessToken"]
    viewer, leaver = Subscriber(world.push.url), Subscriber(world.push_gone.url)
    for subscriber in (viewer, leaver):
        reply = await client.post("/api/notifications/register", params={"accessToken": token}, json={
            "channel": BROWSER_PUSH_NOTIFICATION, "destination": json.dumps(subscriber.subscription())})
        assert reply.status_code == 200, reply.text
    assert len(await world.container.notifications_repository().list(BROWSER_PUSH_NOTIFICATION)) == 2

    ffmpeg = await publish(world.server.rtmp_port, 25)
    try:
        with caplog.at_level(logging.INFO):
            (discord,) = await world.discord.wait_for(1, timeout=30)
            (push,) = await world.push.wait_for(1, timeout=10)
            await world.push_gone.wait_for(1, timeout=10)
            pings = await world.directory.wait_for(2, timeout=10)
            await asyncio.sleep(0.3)  # the expired subscription's removal follows its 410
    finally:
        if ffmpeg.returncode is None:
            ffmpeg.kill()
        await ffmpeg.wait()

    # Discord: Owncast's webhook body
    assert discord.headers["content-type"] == "application/json"
    assert json.loads(discord.body) == {"username": "Loopback TV",
                                        "content": "We're live!\nFriday jam\n\nhttps://tv.example",
                                        "avatar_url": "https://tv.example/images/owncast-logo.png"}

    # Web Push: decrypted by the subscriber's own key, VAPID signed with the public key we serve
    assert push.headers["content-encoding"] == "aes128gcm"
    assert (push.headers["ttl"], push.headers["topic"]) == ("10", "owncast-go-live")
    assert json.loads(viewer.decrypt(push.body)) == {"title": "Loopback TV", "body": "I've gone live!",
                                                     "icon": "/logo/external"}
    vapid = verify_vapid(push.headers["authorization"], world.push.url)
    assert vapid is not None, push.headers["authorization"]
    assert vapid[0] == public_key and vapid[1]["sub"] == "mailto:owncast@owncast.online"
    left = await world.container.notifications_repository().list(BROWSER_PUSH_NOTIFICATION)
    assert [json.loads(d.destination)["endpoint"] for d in left] == [world.push.url]  # the 410 one is gone

    # directory: {key, url} to /api/ping; the key it returned is kept and sent back
    assert [(p.path, json.loads(p.body)) for p in pings[:2]] == [
        ("/api/ping", {"key": "", "url": "https://tv.example"}),
        ("/api/ping", {"key": "yp-key-1", "url": "https://tv.example"}),
    ]
    assert world.container.config().string(Keys.DIRECTORY_KEY) == "yp-key-1"
    assert (await client.get("/api/admin/yp/reset", auth=ADMIN)).status_code == 200
    assert world.container.config().string(Keys.DIRECTORY_KEY) == ""

    logged = [r.getMessage() for r in caplog.records]
    assert "sent the go-live notification to Discord" in logged
    assert "sent the go-live notification to 1 of 2 browsers (1 expired subscriptions removed)" in logged

    # offline: the pings stop, and one round of notifications only
    await world.server.container.stream().wait_offline(timeout=15)
    settled = len(world.directory.requests)
    await asyncio.sleep(2.5)
    assert len(world.directory.requests) == settled
    assert len(world.discord.requests) == 1 and len(world.push.requests) == 1


async def test_register_rejects_bad_requests(world: World) -> None:
    client = world.client
    token = (await client.post("/api/chat/register")).json()["accessToken"]
    good = json.dumps(Subscriber(world.push.url).subscription())
    url = "/api/notifications/register"

    reply = await client.post(url, json={"channel": BROWSER_PUSH_NOTIFICATION, "destination": good})
    assert (reply.status_code, reply.text) == (401, "unauthorized")
    reply = await client.post(url, params={"accessToken": "nope"},
                              json={"channel": BROWSER_PUSH_NOTIFICATION, "destination": good})
    assert reply.status_code == 401

    reply = await client.post(url, params={"accessToken": token}, json={"channel": "EMAIL", "destination": good})
    assert reply.status_code == 400
    assert reply.json() == {"success": False, "message": "invalid notification channel: EMAIL"}

    reply = await client.post(url, params={"accessToken": token},
                              json={"channel": BROWSER_PUSH_NOTIFICATION, "destination": "{oops"})
    assert reply.status_code == 400 and "not valid JSON" in reply.json()["message"]

    reply = await client.post(url, params={"accessToken": token}, content=b"not json")
    assert reply.status_code == 400 and "JSON object" in reply.json()["message"]

    reply = await client.get(url, params={"accessToken": token})
    assert reply.status_code == 400 and reply.json()["message"] == "GET not supported"

    assert await world.container.notifications_repository().list(BROWSER_PUSH_NOTIFICATION) == []


async def test_unregister_turns_a_browser_off(world: World) -> None:
    client = world.client
    token = (await client.post("/api/chat/register")).json()["accessToken"]
    body = {"channel": BROWSER_PUSH_NOTIFICATION, "destination": json.dumps(Subscriber(world.push.url).subscription())}
    url = "/api/notifications/unregister"
    assert (await client.post(url, json=body)).status_code == 401
    reply = await client.post("/api/notifications/register", params={"accessToken": token}, json=body)
    assert reply.status_code == 200
    assert len(await world.container.notifications_repository().list(BROWSER_PUSH_NOTIFICATION)) == 1

    reply = await client.post(url, params={"accessToken": token}, json=body)
    assert reply.json() == {"success": True, "message": "unregistered"}
    assert await world.container.notifications_repository().list(BROWSER_PUSH_NOTIFICATION) == []
    reply = await client.post(url, params={"accessToken": token}, json=body)
    assert reply.json() == {"success": True, "message": "not registered"}
    reply = await client.post(url, params={"accessToken": token}, content=b"not json")
    assert reply.status_code == 400 and "JSON object" in reply.json()["message"]


async def test_nothing_is_left_running_after_stop(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", web_host=("127.0.0.1",), web_port=0, rtmp_host="127.0.0.1",
                        rtmp_port=0)
    container = Container(settings=settings)
    container.notifications.add_kwargs(delay=30.0)
    server = OwncastServer(settings, container)
    await server.start()
    # a go-live timer pending at shutdown must not outlive the server
    from owncast_core.domain.events import StreamStarted
    from owncast_core.domain.stream import BroadcasterDetails

    now = container.clock().now()
    await container.notifications().on_event(StreamStarted(BroadcasterDetails("127.0.0.1", now), now))
    assert container.notifications().armed
    await server.stop()
    assert not container.notifications().armed
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftover == []
