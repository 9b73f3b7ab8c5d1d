"""Chat-user sign-in end to end: the embedded server with its real adapters (SQLite file, httpx
outbound, RSA keys, the web app) on 127.0.0.1, against a stub IndieAuth website that checks the
PKCE verifier itself (``tests/indieauth_stub.py``) and the stub Fediverse server
(``tests/fediverse_stub.py``), which receives the one-time code by signed direct message.
Outbound requests to loopback are allowed explicitly (``outbound_allow_private``)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from owncast_runners.container import Container
from owncast_runners.server import OwncastServer

from ..fediverse_stub import FediverseStub, verify_signed_request
from ..indieauth_stub import IndieAuthStub
from .chat_app import serving
from .in_process import running_server
from .ws_client import RawWebSocket

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")
SERVER_URL = "https://tv.example"


@dataclass
class World:
    server: OwncastServer
    container: Container
    client: httpx.AsyncClient
    data_dir: Path


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    def configure(container: Container) -> None:
        container.webfinger.add_kwargs(scheme="http")  # the stub Fediverse server speaks plain http

    async with running_server(tmp_path / "data", configure=configure, outbound_allow_private=True) as running:
        yield World(running.server, running.container, running.client, tmp_path / "data")


@pytest.fixture
async def site() -> AsyncIterator[IndieAuthStub]:
    stub = IndieAuthStub()
    async with serving(stub.app()) as port:
        stub.port = port
        yield stub


async def admin_set(client: httpx.AsyncClient, name: str, value: object) -> None:
    reply = await client.post(f"/api/admin/config/{name}", json={"value": value}, auth=ADMIN)
    assert reply.status_code == 200, reply.text


async def register(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    reply = await client.post("/api/chat/register", json={"displayName": name})
    assert reply.status_code == 200
    return dict(reply.json())


async def indieauth_sign_in(world: World, site: IndieAuthStub, token: str, page: str = "/") -> httpx.Response:
    """Start at our server, approve at the stub (as the browser would), come back to the callback."""
    start = await world.client.post("/api/auth/indieauth", params={"accessToken": token},
                                    json={"authHost": f"{site.base}{page}"})
    assert start.status_code == 200, start.text
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        approved = await browser.get(start.json()["redirect"])
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{SERVER_URL}/api/auth/indieauth/callback"
    return await world.client.get(f"/api/auth/indieauth/callback?{back.query}")


def events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.split("\n") if line.strip()]


async def next_event(ws: RawWebSocket, kind: str, backlog: list[dict[str, Any]]) -> dict[str, Any]:
    while True:
        for i, event in enumerate(backlog):
            if event.get("type") == kind:
                return backlog.pop(i)
        backlog.extend(events(await ws.text()))


async def test_indieauth_sign_in_links_and_reserves_the_name(world: World, site: IndieAuthStub) -> None:
    await admin_set(world.client, "serverurl", SERVER_URL)
    ada = await register(world.client, "Ada")
    reply = await indieauth_sign_in(world, site, ada["accessToken"])
    assert reply.status_code == 307 and reply.headers["location"] == "/"

    (asked,) = site.authorizations
    assert (asked["client_id"], asked["me"], asked["code_challenge_method"]) == (SERVER_URL, f"{site.base}/", "S256")
    (redeemed,) = site.redemptions  # the stub checked the verifier against the challenge itself
    assert redeemed["redirect_uri"] == f"{SERVER_URL}/api/auth/indieauth/callback" and redeemed["code_verifier"]

    ws = await RawWebSocket.connect(world.server.web_port, f"/ws?accessToken={ada['accessToken']}")
    try:
        info = await next_event(ws, "CONNECTED_USER_INFO", [])
        assert info["user"]["authenticated"] is True and info["user"]["displayName"] == "Ada"
    finally:
        await ws.close()
    # the name is reserved now: a newcomer asking for it gets another one
    assert (await register(world.client, "ada"))["displayName"] != "ada"
    # and the link is in the SQLite file
    with sqlite3.connect(world.data_dir / "owncast.db") as db:
        rows = db.execute("SELECT user_id, token, type FROM auth").fetchall()
    assert rows == [(ada["id"], f"{site.base}/", "INDIEAUTH")]


async def test_second_browser_is_repointed_and_everyone_is_told(world: World, site: IndieAuthStub) -> None:
    await admin_set(world.client, "serverurl", SERVER_URL)
    ada = await register(world.client, "Ada")
    assert (await indieauth_sign_in(world, site, ada["accessToken"])).status_code == 307
    guest = await register(world.client, "Guest")
    ws = await RawWebSocket.connect(world.server.web_port, f"/ws?accessToken={guest['accessToken']}")
    backlog: list[dict[str, Any]] = []
    try:
        assert (await next_event(ws, "CONNECTED_USER_INFO", backlog))["user"]["id"] == guest["id"]
        # the same person signs in with the same website from this second browser
        assert (await indieauth_sign_in(world, site, guest["accessToken"])).status_code == 307
        action = await next_event(ws, "CHAT_ACTION", backlog)
        assert "is now authenticated as" in action["body"] and "Ada" in action["body"]
        info = await next_event(ws, "CONNECTED_USER_INFO", backlog)
        assert info["user"]["id"] == ada["id"] and info["user"]["authenticated"] is True
    finally:
        await ws.close()
    history = (await world.client.get("/api/chat", params={"accessToken": guest["accessToken"]})).json()
    assert all("is now authenticated" not in e.get("body", "") for e in history)  # ephemeral


async def test_indieauth_refusals(world: World, site: IndieAuthStub) -> None:
    client = world.client
    ada = await register(client, "Ada")
    token = {"accessToken": ada["accessToken"]}
    no_url = await client.post("/api/auth/indieauth", params=token, json={"authHost": f"{site.base}/"})
    assert no_url.status_code == 400 and "server URL" in no_url.json()["message"]
    await admin_set(client, "serverurl", SERVER_URL)
    for body in (b"{broken", b"[]", b'{"authHost": 5}', b""):
        reply = await client.post("/api/auth/indieauth", params=token, content=body)
        assert reply.status_code == 400 and reply.json()["success"] is False, body
    for host in ("ftp://x.example/", "javascript:alert(1)", f"{site.base}/plain", "file:///etc/passwd"):
        reply = await client.post("/api/auth/indieauth", params=token, json={"authHost": host})
        assert reply.status_code == 400 and reply.json()["success"] is False, host
    assert (await client.post("/api/auth/indieauth", params={"accessToken": "nope"},
                              json={"authHost": f"{site.base}/"})).status_code == 401
    assert (await client.post("/api/auth/indieauth", json={"authHost": f"{site.base}/"})).status_code == 401
    # the callback: unknown state, missing parameters, a lying server
    for query in ("", "?state=nope&code=x", "?code=x"):
        reply = await client.get(f"/api/auth/indieauth/callback{query}")
        assert reply.status_code == 400 and "Unable to complete authentication" in reply.text
    site.me_override = "https://mallory.example/"
    assert (await indieauth_sign_in(world, site, ada["accessToken"])).status_code == 400
    me = await client.get("/api/chat", params=token)
    assert me.status_code == 200
    with sqlite3.connect(world.data_dir / "owncast.db") as db:
        assert db.execute("SELECT COUNT(*) FROM auth").fetchone() == (0,)


async def test_private_targets_are_refused_without_the_flag(tmp_path: Path, site: IndieAuthStub) -> None:
    async with running_server(tmp_path / "data") as running:
        client = running.client
        await admin_set(client, "serverurl", SERVER_URL)
        ada = await register(client, "Ada")
        for host in (f"{site.base}/", "http://localhost/", "http://10.1.2.3/", "http://[::1]:1/"):
            reply = await client.post("/api/auth/indieauth", params={"accessToken": ada["accessToken"]},
                                      json={"authHost": host})
            assert reply.status_code == 400 and "unable to use" in reply.json()["message"], host
    assert site.authorizations == [] and site.redemptions == []


# Fediverse one-time codes ------------------------------------------------------------------------------------
async def enable_federation(client: httpx.AsyncClient) -> None:
    await admin_set(client, "serverurl", SERVER_URL)
    await admin_set(client, "federation/enable", True)


async def test_fediverse_code_by_signed_direct_message(world: World, fedi: FediverseStub) -> None:
    client = world.client
    await enable_federation(client)
    ada = await register(client, "Ada")
    token = {"accessToken": ada["accessToken"]}
    account = f"@alice@127.0.0.1:{fedi.port}"
    reply = await client.post("/api/auth/fediverse", params=token, json={"account": account})
    assert reply.status_code == 200 and reply.json() == {"success": True, "message": ""}

    (dm,) = await fedi.wait_for(1)
    assert dm.path == "/users/alice/inbox"
    public = (await client.get("/federation/user/streamer", headers={"Accept": "application/activity+json"})
              ).json()["publicKey"]["publicKeyPem"]
    verify_signed_request("POST", dm.path, dm.headers, dm.body, public)
    activity = json.loads(dm.body)
    alice = fedi.actor_iri("alice")
    assert activity["type"] == "Create" and activity["to"] == [alice] and activity["cc"] == []
    note = activity["object"]
    assert note["to"] == [alice] and note["cc"] == []
    assert [(t["type"], t["href"]) for t in note["tag"]] == [("Mention", alice)]
    code = re.search(r"<p>(\d{6})</p>", note["content"])
    assert code is not None, note["content"]
    assert "https://www.w3.org/ns/activitystreams#Public" not in json.dumps(activity)
    outbox = (await client.get("/federation/user/streamer/outbox",
                               headers={"Accept": "application/activity+json"})).json()
    assert outbox["totalItems"] == 0  # a direct message is not published

    wrong = f"{(int(code.group(1)) + 1) % 1_000_000:06d}"
    assert (await client.post("/api/auth/fediverse/verify", params=token, json={"code": wrong})).status_code == 403
    ok = await client.post("/api/auth/fediverse/verify", params=token, json={"code": code.group(1)})
    assert ok.status_code == 200 and ok.json()["success"] is True
    with sqlite3.connect(world.data_dir / "owncast.db") as db:
        assert db.execute("SELECT user_id, token, type FROM auth").fetchall() == [
            (ada["id"], f"alice@127.0.0.1:{fedi.port}", "FEDIVERSE")]
        assert db.execute("SELECT authenticated_at IS NOT NULL FROM users WHERE id = ?", [ada["id"]]).fetchone() == (1,)
    again = await client.post("/api/auth/fediverse/verify", params=token, json={"code": code.group(1)})
    assert again.status_code == 403  # used up


async def test_fediverse_tries_are_limited(world: World, fedi: FediverseStub) -> None:
    client = world.client
    await enable_federation(client)
    ada = await register(client, "Ada")
    token = {"accessToken": ada["accessToken"]}
    await client.post("/api/auth/fediverse", params=token, json={"account": f"alice@127.0.0.1:{fedi.port}"})
    (dm,) = await fedi.wait_for(1)
    found = re.search(r"<p>(\d{6})</p>", json.loads(dm.body)["object"]["content"])
    assert found is not None
    code = found.group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert (await client.post("/api/auth/fediverse/verify", params=token, json={"code": wrong})).status_code == 403
    assert (await client.post("/api/auth/fediverse/verify", params=token, json={"code": code})).status_code == 403


async def test_fediverse_refusals(world: World, fedi: FediverseStub) -> None:
    client = world.client
    ada = await register(client, "Ada")
    token = {"accessToken": ada["accessToken"]}
    account = {"account": f"@alice@127.0.0.1:{fedi.port}"}
    off = await client.post("/api/auth/fediverse", params=token, json=account)
    assert off.status_code == 400 and "federation is disabled" in off.json()["message"]
    await enable_federation(client)
    for body in (b"{", b"[]", b'{"account": 1}', b'{"account": "alice"}', b'{"account": "@a@b c"}'):
        reply = await client.post("/api/auth/fediverse", params=token, content=body)
        assert reply.status_code == 400 and reply.json()["success"] is False, body
    missing = await client.post("/api/auth/fediverse", params=token,
                                json={"account": f"@alice@127.0.0.1:{fedi.port + 1 if fedi.port < 65535 else 1}"})
    assert missing.status_code == 400
    assert (await client.post("/api/auth/fediverse", params={"accessToken": "x"}, json=account)).status_code == 401
    for body in (b"{", b"[]"):
        assert (await client.post("/api/auth/fediverse/verify", params=token, content=body)).status_code == 400
    assert (await client.post("/api/auth/fediverse/verify", params=token, json={"code": "123456"})).status_code == 403
    assert (await client.post("/api/auth/fediverse/verify", json={"code": "123456"})).status_code == 403
    assert fedi.inbox == []
