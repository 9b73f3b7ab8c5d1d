"""Bindings of the notification and directory contract suites: the fakes, and the SQLite, Discord,
Web Push and directory adapters against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from owncast_adapters.directory.httpx_client import HttpxDirectoryClient
from owncast_adapters.notify.browser_push import WebPushBrowserNotifier
from owncast_adapters.notify.discord import HttpxDiscordNotifier
from owncast_adapters.outbound import OutboundHttp
from owncast_adapters.sqlite.database import Database
from owncast_adapters.sqlite.notifications_repository import SqliteNotificationsRepository
from owncast_core.domain.notifications import DirectoryReply, PushSubscription, b64url_encode
from owncast_core.errors import DeliveryFailed, SubscriptionGone
from owncast_core.testing.contracts.notifications import (
    BrowserPushNotifierContract,
    DirectoryClientContract,
    DirectoryEnv,
    DiscordEnv,
    DiscordNotifierContract,
    NotificationsRepositoryContract,
    PushEnv,
    ReceivedPush,
)
from owncast_core.testing.fakes import (
    InMemoryNotificationsRepository,
    RecordingBrowserPushNotifier,
    RecordingDirectoryClient,
    RecordingDiscordNotifier,
)

from ..webhook_receiver import WebhookReceiver
from ..webpush_subscriber import Subscriber, verify_vapid


def _dead_url(path: str) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}{path}"


# --- fakes ----------------------------------------------------------------------------------------


class TestInMemoryNotificationsRepository(NotificationsRepositoryContract):
    @pytest.fixture
    async def make_repository(self):  # type: ignore[no-untyped-def]
        repo = InMemoryNotificationsRepository()

        async def make() -> InMemoryNotificationsRepository:
            return repo

        return make


class TestRecordingDiscordNotifier(DiscordNotifierContract):
    @pytest.fixture
    async def discord_env(self) -> DiscordEnv:
        ok, error, dead = "https://discord.test/ok", "https://discord.test/error", "https://discord.test/dead"
        notifier = RecordingDiscordNotifier(routes={error: DeliveryFailed("Discord answered HTTP 500"),
                                                    dead: DeliveryFailed("connection refused")})
        return DiscordEnv(notifier, ok, error, dead,
                          received=lambda: [m.to_json() for url, m in notifier.sent if url == ok])


def _fake_subscription(endpoint: str) -> PushSubscription:
    return PushSubscription(endpoint, b64url_encode(b"\x04" + os.urandom(64)), b64url_encode(os.urandom(16)))


class TestRecordingBrowserPushNotifier(BrowserPushNotifierContract):
    @pytest.fixture
    async def push_env(self) -> PushEnv:
        subs = {name: _fake_subscription(f"https://push.test/{name}")
                for name in ("ok", "gone", "not_found", "error", "dead")}
        notifier = RecordingBrowserPushNotifier(routes={
            subs["gone"].endpoint: SubscriptionGone("HTTP 410"),
            subs["not_found"].endpoint: SubscriptionGone("HTTP 404"),
            subs["error"].endpoint: DeliveryFailed("HTTP 500"),
            subs["dead"].endpoint: DeliveryFailed("connection refused"),
        })

        def received() -> list[ReceivedPush]:
            return [ReceivedPush(s.endpoint, m.payload, m.ttl, m.topic, k.public_key, m.contact)
                    for s, m, k in notifier.sent if s == subs["ok"]]

        return PushEnv(notifier, subs["ok"], subs["gone"], subs["not_found"], subs["error"], subs["dead"], received)


class TestRecordingDirectoryClient(DirectoryClientContract):
    @pytest.fixture
    async def directory_env(self) -> DirectoryEnv:
        ok, refusing, garbage, dead = (f"https://yp{i}.test" for i in range(4))
        client = RecordingDirectoryClient(routes={
            ok: DirectoryReply(success=True, key="issued-key"),
            refusing: DirectoryReply(success=False, error="not allowed", error_code=3),
            garbage: DeliveryFailed("the directory answered HTTP 502 without a JSON reply"),
            dead: DeliveryFailed("connection refused"),
        })
        return DirectoryEnv(client, ok, refusing, garbage, dead,
                            received=lambda: [("/api/ping", p.to_json()) for url, p in client.pings if url == ok])


# --- adapters -------------------------------------------------------------------------------------


class TestSqliteNotificationsRepository(NotificationsRepositoryContract):
    @pytest.fixture
    async def make_repository(self, tmp_path: Path) -> AsyncIterator[object]:
        opened: list[Database] = []

        async def make() -> SqliteNotificationsRepository:
            for db in opened:
                await db.close()
            db = Database(tmp_path / "owncast.db")
            await db.open()
            opened.append(db)
            return SqliteNotificationsRepository(database=db)

        yield make
        for db in opened:
            await db.close()


@pytest.fixture
async def loopback_http() -> AsyncIterator[OutboundHttp]:
    http = OutboundHttp(allow_private=True)  # the test servers are on 127.0.0.1
    yield http
    await http.aclose()


class TestHttpxDiscordNotifier(DiscordNotifierContract):
    @pytest.fixture
    async def discord_env(self, loopback_http: OutboundHttp) -> AsyncIterator[DiscordEnv]:
        ok = await WebhookReceiver(default=204, reply_body=b"").start()
        error = await WebhookReceiver(default=500, reply_body=b'{"message": "boom"}').start()
        yield DiscordEnv(HttpxDiscordNotifier(http=loopback_http), ok.url, error.url, _dead_url("/hook"),
                         received=lambda: [json.loads(r.body) for r in ok.requests
                                           if r.headers.get("content-type") == "application/json"])
        await ok.stop()
        await error.stop()


class TestWebPushBrowserNotifier(BrowserPushNotifierContract):
    @pytest.fixture
    async def push_env(self, loopback_http: OutboundHttp) -> AsyncIterator[PushEnv]:
        receivers = {name: await WebhookReceiver(default=status).start()
                     for name, status in (("ok", 201), ("gone", 410), ("not_found", 404), ("error", 500))}
        subscribers = {name: Subscriber(r.url) for name, r in receivers.items()}
        subscribers["dead"] = Subscriber(_dead_url("/push"))
        subs = {name: PushSubscription.parse(json.dumps(s.subscription()), allow_private=True)
                for name, s in subscribers.items()}

        def received() -> list[ReceivedPush]:
            out = []
            for request in receivers["ok"].requests:
                assert request.headers["content-encoding"] == "aes128gcm"
                vapid = verify_vapid(request.headers.get("authorization", ""), subs["ok"].endpoint)
                out.append(ReceivedPush(
                    endpoint=subs["ok"].endpoint, payload=subscribers["ok"].decrypt(request.body),
                    ttl=int(request.headers["ttl"]), topic=request.headers["topic"],
                    vapid_key=vapid[0] if vapid else None, vapid_subject=vapid[1]["sub"] if vapid else ""))
            return out

        yield PushEnv(WebPushBrowserNotifier(http=loopback_http), subs["ok"], subs["gone"], subs["not_found"],
                      subs["error"], subs["dead"], received)
        for r in receivers.values():
            await r.stop()


class TestHttpxDirectoryClient(DirectoryClientContract):
    @pytest.fixture
    async def directory_env(self, loopback_http: OutboundHttp) -> AsyncIterator[DirectoryEnv]:
        ok = await WebhookReceiver(reply_body=b'{"success": true, "key": "issued-key"}').start()
        refusing = await WebhookReceiver(
            default=400, reply_body=b'{"success": false, "error": "not allowed", "errorCode": 3}').start()
        garbage = await WebhookReceiver(default=502, reply_body=b"<html>bad gateway</html>").start()
        base = "http://127.0.0.1:{}".format
        yield DirectoryEnv(HttpxDirectoryClient(http=loopback_http), base(ok.port), base(refusing.port),
                           base(garbage.port), _dead_url(""),
                           received=lambda: [(r.path, json.loads(r.body)) for r in ok.requests])
        for r in (ok, refusing, garbage):
            await r.stop()


# --- the outbound guard -------------------------------------------------------------------------


async def test_adapters_refuse_loopback_targets_by_default() -> None:
    from owncast_core.domain.notifications import DirectoryPing, DiscordMessage, PushMessage
    from owncast_core.errors import DeliveryRefused

    receiver = await WebhookReceiver().start()
    http = OutboundHttp()
    try:
        with pytest.raises(DeliveryRefused):
            await HttpxDiscordNotifier(http=http).send(receiver.url, DiscordMessage("S", "x"), timeout=5)
        push = WebPushBrowserNotifier(http=http)
        subscription = PushSubscription.parse(json.dumps(Subscriber(receiver.url).subscription()), allow_private=True)
        with pytest.raises(DeliveryRefused):
            await push.send(subscription, PushMessage(b"{}"), keys=push.generate_keys(), timeout=5)
        with pytest.raises(DeliveryRefused):
            await HttpxDirectoryClient(http=http).ping(f"http://localhost:{receiver.port}",
                                                       DirectoryPing("", "https://tv.example"), timeout=5)
        assert receiver.requests == []
    finally:
        await http.aclose()
        await receiver.stop()
