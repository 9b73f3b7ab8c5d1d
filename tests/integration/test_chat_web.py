"""The chat routes over real HTTP and WebSocket connections (in-process Hypercorn, fakes behind)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from owncast_core.domain.config import Keys
from owncast_core.testing.contracts.render import HOSTILE_BODIES, inert
from owncast_core.testing.fakes import InMemoryEmojiStore

from ..unit.chat_rig import ChatRig
from .chat_app import chat_app, serving
from .ws_client import OP_BINARY, RawWebSocket

ADMIN = ("admin", "abc123")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


class Env:
    def __init__(self, rig: ChatRig, port: int, emoji_store: InMemoryEmojiStore) -> None:
        self.rig = rig
        self.port = port
        self.emoji = emoji_store
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5)

    async def register(self, name: str | None = None, **headers: str) -> dict[str, str]:
        response = await self.http.post(
            "/api/chat/register", json={"displayName": name} if name else None, headers=headers
        )
        assert response.status_code == 200
        return dict(response.json())

    async def socket(self, token: str, **headers: str) -> ClientConnection:
        ws = await connect(
            f"ws://127.0.0.1:{self.port}/ws?accessToken={token}", additional_headers=headers, compression=None
        )
        return ws


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    rig = await ChatRig().start()
    await rig.config.set(Keys.CHAT_SPAM_PROTECTION_ENABLED, False)
    store = InMemoryEmojiStore()
    async with serving(chat_app(rig, store, max_connections=5)) as port:
        e = Env(rig, port, store)
        yield e
        await e.http.aclose()


async def events_until(ws: ClientConnection, kind: str, within: float = 5.0) -> list[dict[str, object]]:
    """Read frames (splitting packed ones on newlines) until an event of ``kind`` arrives."""
    seen: list[dict[str, object]] = []
    async with asyncio.timeout(within):
        while True:
            frame = await ws.recv()
            assert isinstance(frame, str)
            for line in frame.split("\n"):
                seen.append(json.loads(line))
                if seen[-1]["type"] == kind:
                    return seen


async def test_register_rules(env: Env) -> None:
    assert (await env.register("Ada"))["displayName"] == "Ada"
    assert (await env.register("Ada", **{"X-Forwarded-User": "proxy-user"}))["displayName"] == "proxy-user"
    assert (await env.register("x" * 50))["displayName"] == "x" * 30
    random = await env.register()
    assert random["displayName"] and random["accessToken"] and random["id"]
    options = await env.http.options("/api/chat/register")
    assert options.status_code == 204 and options.headers["access-control-allow-origin"] == "*"
    wrong = await env.http.get("/api/chat/register")
    assert wrong.status_code == 400 and wrong.json() == {"success": False, "message": "GET not supported"}


async def test_two_users_chat_with_packed_frames_and_history(env: Env) -> None:
    ada, bob = await env.register("Ada"), await env.register("Bob")
    ws_ada, ws_bob = await env.socket(ada["accessToken"]), await env.socket(bob["accessToken"])
    info = json.loads(await ws_ada.recv())
    assert info["type"] == "CONNECTED_USER_INFO" and info["user"]["displayName"] == "Ada"
    await ws_bob.recv()
    for n in range(20):
        await ws_ada.send(json.dumps({"type": "CHAT", "body": f"burst {n}"}))
    received: list[dict[str, object]] = []
    frames = 0
    async with asyncio.timeout(5):
        while len(received) < 20:
            frame = await ws_bob.recv()
            frames += 1
            received += [json.loads(line) for line in str(frame).split("\n")]
    assert [e["body"] for e in received] == [f"<p>burst {n}</p>" for n in range(20)]
    assert frames <= 20
    history = (await env.http.get("/api/chat", params={"accessToken": bob["accessToken"]})).json()
    assert [h["body"] for h in history][-20:] == [f"<p>burst {n}</p>" for n in range(20)]
    assert (await env.http.get("/api/chat")).status_code == 401
    assert (await env.http.get("/api/chat", params={"accessToken": "nope"})).text == "unauthorized"
    await ws_ada.close()
    await ws_bob.close()


async def test_connection_refusals(env: Env) -> None:
    with pytest.raises(ConnectionClosed):
        ws = await connect(f"ws://127.0.0.1:{env.port}/ws", compression=None)
        await ws.recv()
    ws = await env.socket("unknown-token")
    assert json.loads(await ws.recv()) == {"type": "ERROR_NEEDS_REGISTRATION"}
    with pytest.raises(ConnectionClosed):
        await ws.recv()
    user = await env.register("Banned")
    await env.rig.users.ban_ip("198.51.100.66")
    with pytest.raises(InvalidStatus) as refused:
        await env.socket(user["accessToken"], **{"X-Forwarded-For": "198.51.100.66"})
    assert refused.value.response.status_code == 403
    banned_api = await env.http.get(
        "/api/chat", params={"accessToken": user["accessToken"]}, headers={"X-Forwarded-For": "198.51.100.66"}
    )
    assert banned_api.status_code == 401
    await env.rig.config.set(Keys.CHAT_DISABLED, True)
    raw = await RawWebSocket.connect(env.port, f"/ws?accessToken={user['accessToken']}")
    assert raw.status == 200 and await raw.body() == b"CHAT_DISABLED"
    await raw.close()
    plain = await env.http.get("/ws")
    assert plain.status_code == 200 and plain.text == "CHAT_DISABLED"


async def test_connection_limit(env: Env) -> None:
    user = await env.register("Many")
    sockets = [await env.socket(user["accessToken"]) for _ in range(5)]
    raw = await RawWebSocket.connect(env.port, f"/ws?accessToken={user['accessToken']}")
    assert raw.status == 200 and await raw.body() == b"ERROR_MAX_CONNECTIONS_EXCEEDED"
    await raw.close()
    for ws in sockets:
        await ws.close()


async def test_hostile_input_is_refused_or_rendered_inert_and_everyone_survives(env: Env) -> None:
    user, watcher = await env.register("Mallory"), await env.register("Watcher")
    raw = await RawWebSocket.connect(env.port, f"/ws?accessToken={user['accessToken']}")
    ws = await env.socket(watcher["accessToken"])
    await raw.text()
    await ws.recv()
    raw.send(OP_BINARY, b"\x00\xff binary")
    assert "binary" in json.loads(await raw.text())["body"]
    raw.send_text("{definitely not json")
    assert "could not be understood" in json.loads(await raw.text())["body"]
    raw.send_text(json.dumps({"type": "HACK"}))
    assert "not supported" in json.loads(await raw.text())["body"]
    raw.send_text(json.dumps({"type": "CHAT", "body": "y" * 3000}))
    assert "maximum size" in json.loads(await raw.text())["body"]
    for body in HOSTILE_BODIES:
        raw.send_text(json.dumps({"type": "CHAT", "body": body}))
    bodies: list[str] = []
    async with asyncio.timeout(10):
        while len(bodies) < len(HOSTILE_BODIES):
            for line in str(await ws.recv()).split("\n"):
                event = json.loads(line)
                if event["type"] == "CHAT":
                    bodies.append(str(event["body"]))
    for body in bodies:
        assert inert(body) == [], body
    raw.send_text(json.dumps({"type": "CHAT", "body": "z" * 5000}))
    with pytest.raises(ConnectionError):
        while True:
            await raw.text()
    await raw.close()
    await ws.send(json.dumps({"type": "CHAT", "body": "server still fine"}))
    assert (await events_until(ws, "CHAT"))[-1]["body"] == "<p>server still fine</p>"
    await ws.close()


async def test_a_stalled_reader_is_dropped_and_others_keep_receiving(env: Env) -> None:
    slow, fast = await env.register("Slow"), await env.register("Fast")
    raw = await RawWebSocket.connect(env.port, f"/ws?accessToken={slow['accessToken']}", rcvbuf=4096)
    ws = await env.socket(fast["accessToken"])
    lines: list[str] = []

    async def keep_reading() -> None:
        async for frame in ws:
            lines.extend(str(frame).split("\n"))

    reader = asyncio.create_task(keep_reading())
    assert env.rig.chat.connection_count() == 2
    payload = "p" * 1500
    async with asyncio.timeout(20):
        sent = 0
        while env.rig.chat.connection_count() == 2:
            await env.rig.chat.send_system_message(f"{payload} {sent}")
            sent += 1
            if sent % 20 == 0:
                await asyncio.sleep(0.005)
    assert env.rig.chat.connection_count() == 1
    await env.rig.chat.send_system_message("after the drop")
    async with asyncio.timeout(10):
        while not any("after the drop" in line for line in lines):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    assert len([line for line in lines if '"SYSTEM"' in line]) == sent + 1  # the reader lost nothing
    reader.cancel()
    await raw.close()
    await ws.close()


async def test_pings_and_a_silent_peer_is_closed() -> None:
    rig = await ChatRig().start()
    async with serving(chat_app(rig, InMemoryEmojiStore()), ping_interval=0.2, read_timeout=0.6) as port:
        _, token = await rig.users.register("Pinged")
        raw = await RawWebSocket.connect(port, f"/ws?accessToken={token}")
        opcodes = []
        async with asyncio.timeout(5):
            while len([o for o in opcodes if o == 9]) < 2:
                opcode, _ = await raw.frame()  # we never answer pings
                opcodes.append(opcode)
        assert 9 in opcodes
        with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
            async with asyncio.timeout(5):
                while True:
                    await raw.frame()
        await raw.close()


async def test_admin_moderation_routes(env: Env) -> None:
    ada = await env.register("Ada")
    ws = await env.socket(ada["accessToken"])
    await ws.recv()
    await ws.send(json.dumps({"type": "CHAT", "body": "moderate me"}))
    await events_until(ws, "CHAT")
    assert (await env.http.get("/api/admin/chat/messages")).status_code == 401
    messages = (await env.http.get("/api/admin/chat/messages", auth=ADMIN)).json()
    message_id = messages[0]["id"]
    for path in ("/api/admin/chat/messagevisibility", "/api/admin/chat/updatemessagevisibility"):
        response = await env.http.post(path, auth=ADMIN, json={"idArray": [message_id], "visible": False})
        assert response.json() == {"success": True, "message": "changed"}
    assert (await events_until(ws, "VISIBILITY-UPDATE"))[-1]["ids"] == [message_id]
    hidden = (await env.http.get("/api/admin/chat/messages", auth=ADMIN)).json()
    assert hidden[0]["hiddenAt"]
    bad = await env.http.post("/api/admin/chat/messagevisibility", auth=ADMIN, json={"visible": False})
    assert bad.status_code == 400
    clients = (await env.http.get("/api/admin/chat/clients", auth=ADMIN)).json()
    assert clients[0]["user"]["id"] == ada["id"] and clients[0]["ipAddress"] == "127.0.0.1"
    mod = await env.http.post(
        "/api/admin/chat/users/setmoderator", auth=ADMIN, json={"userId": ada["id"], "isModerator": True}
    )
    assert mod.json()["message"] == f"{ada['id']} is moderator: true"
    assert [u["id"] for u in (await env.http.get("/api/admin/chat/users/moderators", auth=ADMIN)).json()] == [
        ada["id"]
    ]
    for address in ("127.0.0.1", "::1"):
        created = await env.http.post(
            "/api/admin/chat/users/ipbans/create", auth=ADMIN, json={"value": address}
        )
        assert created.json()["message"] == "IP address banned"
    bans = (await env.http.get("/api/admin/chat/users/ipbans", auth=ADMIN)).json()
    assert {b["ipAddress"] for b in bans} == {"127.0.0.1", "::1"}
    assert (await env.http.get("/api/chat", params={"accessToken": ada["accessToken"]})).status_code == 401
    for address in ("127.0.0.1", "::1"):
        await env.http.post("/api/admin/chat/users/ipbans/remove", auth=ADMIN, json={"value": address})
    assert (await env.http.get("/api/admin/chat/users/ipbans", auth=ADMIN)).json() == []
    assert (await env.http.get("/api/chat", params={"accessToken": ada["accessToken"]})).status_code == 200
    disabled = await env.http.post(
        "/api/admin/chat/users/setenabled", auth=ADMIN, json={"userId": ada["id"], "enabled": False}
    )
    assert disabled.json()["message"] == f"{ada['id']} enabled: false"
    assert (await events_until(ws, "ERROR_USER_DISABLED"))[-1]["type"] == "ERROR_USER_DISABLED"
    await env.rig.scheduler.advance(2)
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(5):
            while True:
                await ws.recv()
    assert [u["id"] for u in (await env.http.get("/api/admin/chat/users/disabled", auth=ADMIN)).json()] == [
        ada["id"]
    ]
    assert (
        await env.http.get("/api/admin/chat/users/ipbans", auth=ADMIN)
    ).json() == []  # loopback never banned
    missing = await env.http.post("/api/admin/chat/users/setenabled", auth=ADMIN, json={"enabled": False})
    assert missing.status_code == 400
    wrong_method = await env.http.get("/api/admin/chat/users/setenabled", auth=ADMIN)
    assert wrong_method.json() == {"success": False, "message": "GET not supported"}


async def test_moderator_user_routes(env: Env) -> None:
    mod, troll = await env.register("Mod"), await env.register("Troll")
    ws = await env.socket(troll["accessToken"])
    await ws.recv()
    await ws.send(json.dumps({"type": "CHAT", "body": "troll"}))
    [message] = [e for e in await events_until(ws, "CHAT") if e["type"] == "CHAT"]
    params = {"accessToken": mod["accessToken"]}
    body = {"idArray": [message["id"]], "visible": False}
    assert (await env.http.post("/api/chat/messagevisibility", params=params, json=body)).status_code == 401
    await env.rig.chat.set_moderator(mod["id"], True)
    for path in ("/api/chat/messagevisibility", "/api/chat/updatemessagevisibility"):
        assert (await env.http.post(path, params=params, json=body)).status_code == 200
    details = (await env.http.get(f"/api/moderation/chat/user/{troll['id']}", params=params)).json()
    assert details["user"]["id"] == troll["id"] and details["messages"][0]["body"] == "<p>troll</p>"
    assert details["connectedClients"][0]["messageCount"] == 1
    assert (await env.http.get("/api/moderation/chat/user/ghost", params=params)).status_code == 404
    myself = await env.http.post(
        "/api/chat/users/setenabled", params=params, json={"userId": mod["id"], "enabled": False}
    )
    assert myself.status_code == 400
    assert myself.json() == {"success": False, "message": "a moderator cannot remove themselves from chat"}
    assert (await env.http.get("/api/admin/chat/users/disabled", auth=ADMIN)).json() == []
    kicked = await env.http.post(
        "/api/chat/users/setenabled", params=params, json={"userId": troll["id"], "enabled": False}
    )
    assert kicked.status_code == 200
    assert (await events_until(ws, "ERROR_USER_DISABLED"))[-1]["type"] == "ERROR_USER_DISABLED"
    await ws.close()


async def test_emoji_routes(env: Env) -> None:
    upload = {"name": "party.png", "data": "data:image/png;base64," + base64.b64encode(PNG).decode()}
    assert (await env.http.post("/api/admin/emoji/upload", json=upload)).status_code == 401
    uploaded = await env.http.post("/api/admin/emoji/upload", auth=ADMIN, json=upload)
    assert uploaded.json() == {"success": True, "message": 'Emoji "party.png" has been uploaded'}
    again = await env.http.post("/api/admin/emoji/upload", auth=ADMIN, json=upload)
    assert again.status_code == 400
    not_image = await env.http.post(
        "/api/admin/emoji/upload",
        auth=ADMIN,
        json={"name": "x.png", "data": "data:text/html;base64,PHNjcmlwdD4="},
    )
    assert not_image.status_code == 400
    assert (await env.http.get("/api/emoji")).json() == [{"name": "party", "url": "/img/emoji/party.png"}]
    image = await env.http.get("/img/emoji/party.png")
    assert (
        image.status_code == 200
        and image.content == PNG
        and image.headers["x-content-type-options"] == "nosniff"
    )
    assert (await env.http.get("/img/emoji/../secret")).status_code == 404
    deleted = await env.http.post("/api/admin/emoji/delete", auth=ADMIN, json={"name": "party.png"})
    assert deleted.json()["success"] is True
    assert (await env.http.get("/api/emoji")).json() == []
    gone = await env.http.post("/api/admin/emoji/delete", auth=ADMIN, json={"name": "party.png"})
    assert gone.status_code == 400


async def test_emoji_named_without_extension_gets_the_images_one(env: Env) -> None:
    # the admin page uploads under the typed name ("party"); chat only keeps <img> whose
    # /img/emoji/ path has an extension (Owncast's sanitiser rule), so it must be stored with one
    upload = {"name": "party", "data": "data:image/png;base64," + base64.b64encode(PNG).decode()}
    uploaded = await env.http.post("/api/admin/emoji/upload", auth=ADMIN, json=upload)
    assert uploaded.json() == {"success": True, "message": 'Emoji "party.png" has been uploaded'}
    assert (await env.http.get("/api/emoji")).json() == [{"name": "party", "url": "/img/emoji/party.png"}]
