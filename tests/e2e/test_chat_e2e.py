"""End to end: real WebSocket clients against a running ``owncast serve`` process.

Two users chat, one renames, a moderator hides a message, the admin disables a user; the
public history and the admin view agree; a clean shutdown right after a message loses nothing.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")
GAP = 0.75  # stay under the flood guard (about 1.5 messages/s)


class Inbox:
    """Reads one socket in the background, splitting packed frames."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, object]] = []
        self.closed = asyncio.Event()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                self.events.extend(json.loads(line) for line in str(frame).split("\n"))
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()

    async def wait_for(self, kind: str, count: int = 1, within: float = 10) -> list[dict[str, object]]:
        async with asyncio.timeout(within):
            while len(found := [e for e in self.events if e["type"] == kind]) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return found

    async def send(self, payload: dict[str, object]) -> None:
        await self.ws.send(json.dumps(payload))
        await asyncio.sleep(GAP)


async def open_inbox(server: Any, token: str) -> Inbox:
    ws = await connect(
        f"ws://127.0.0.1:{server.web_port}/ws?accessToken={token}"
    )  # deflate offered, as browsers
    inbox = Inbox(ws)
    await inbox.wait_for("CONNECTED_USER_INFO")
    return inbox


async def test_two_users_chat_rename_get_moderated_and_views_agree(owncast: Any) -> None:
    server = owncast
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        ada = (await http.post("/api/chat/register", json={"displayName": "Ada"})).json()
        bob = (await http.post("/api/chat/register", json={"displayName": "Bob"})).json()
        ada_in, bob_in = (
            await open_inbox(server, ada["accessToken"]),
            await open_inbox(server, bob["accessToken"]),
        )

        await ada_in.send({"type": "CHAT", "body": "hello **bob**"})
        [hello] = await bob_in.wait_for("CHAT")
        assert hello["body"] == "<p>hello <strong>bob</strong></p>" and hello["user"]["displayName"] == "Ada"

        await bob_in.send({"type": "NAME_CHANGE", "newName": "Robert"})
        [rename] = await ada_in.wait_for("NAME_CHANGE")
        assert rename["oldName"] == "Bob" and rename["user"]["displayName"] == "Robert"
        await bob_in.send({"type": "CHAT", "body": "call me Robert <script>alert(1)</script>"})
        bob_msg = (await ada_in.wait_for("CHAT", 2))[1]
        assert bob_msg["user"]["displayName"] == "Robert" and "<script" not in str(bob_msg["body"])

        made = await http.post(
            "/api/admin/chat/users/setmoderator", auth=ADMIN, json={"userId": ada["id"], "isModerator": True}
        )
        assert made.status_code == 200
        info = (await ada_in.wait_for("CONNECTED_USER_INFO", 2))[-1]
        assert info["user"]["scopes"] == ["MODERATOR"]
        hidden = await http.post(
            "/api/chat/messagevisibility",
            params={"accessToken": ada["accessToken"]},
            json={"idArray": [bob_msg["id"]], "visible": False},
        )
        assert hidden.json() == {"success": True, "message": "changed"}
        for inbox in (ada_in, bob_in):
            assert (await inbox.wait_for("VISIBILITY-UPDATE"))[0]["ids"] == [bob_msg["id"]]

        await ada_in.send({"type": "CHAT", "body": "thanks"})
        history = (await http.get("/api/chat", params={"accessToken": ada["accessToken"]})).json()
        admin_view = (await http.get("/api/admin/chat/messages", auth=ADMIN)).json()
        assert [m["body"] for m in history] == ["<p>hello <strong>bob</strong></p>", "<p>thanks</p>"]
        assert [m["id"] for m in admin_view] == [history[1]["id"], bob_msg["id"], history[0]["id"]]
        assert admin_view[1]["hiddenAt"] and admin_view[1]["user"]["displayName"] == "Robert"
        visible_in_admin = [m["id"] for m in reversed(admin_view) if "hiddenAt" not in m]
        assert visible_in_admin == [m["id"] for m in history]

        clients = (await http.get("/api/admin/chat/clients", auth=ADMIN)).json()
        assert {c["user"]["displayName"] for c in clients} == {"Ada", "Robert"}
        disabled = await http.post(
            "/api/admin/chat/users/setenabled", auth=ADMIN, json={"userId": bob["id"], "enabled": False}
        )
        assert disabled.status_code == 200
        await bob_in.wait_for("ERROR_USER_DISABLED")
        async with asyncio.timeout(8):
            await bob_in.closed.wait()
        assert any("has been removed from chat" in str(e.get("body")) for e in ada_in.events)
        assert [u["id"] for u in (await http.get("/api/admin/chat/users/disabled", auth=ADMIN)).json()] == [
            bob["id"]
        ]
        assert (await http.get("/api/chat", params={"accessToken": bob["accessToken"]})).status_code == 401
        await ada_in.ws.close()


async def test_a_clean_shutdown_keeps_every_message_a_client_saw(tmp_path: Path, make_owncast: Any) -> None:
    first = make_owncast(data_dir=tmp_path / "data").start()
    async with httpx.AsyncClient(base_url=first.url, timeout=10) as http:
        ada = (await http.post("/api/chat/register", json={"displayName": "Ada"})).json()
    inbox = await open_inbox(first, ada["accessToken"])
    for n in range(3):
        await inbox.send({"type": "CHAT", "body": f"last words {n}"})
    seen = [e["id"] for e in await inbox.wait_for("CHAT", 3)]
    assert await asyncio.to_thread(first.stop) == 0
    again = make_owncast(data_dir=tmp_path / "data").start()
    try:
        async with httpx.AsyncClient(base_url=again.url, timeout=10) as http:
            history = (await http.get("/api/chat", params={"accessToken": ada["accessToken"]})).json()
        assert [m["id"] for m in history] == seen
    finally:
        assert again.stop() == 0


async def test_lone_surrogates_from_clients_are_replaced_not_fatal(owncast: Any) -> None:
    # JSON can spell half a UTF-16 surrogate pair ("\ud800"), which no UTF-8 text can hold:
    # it used to end the request with a 500 and the chat connection with 1011.
    base = f"http://127.0.0.1:{owncast.web_port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        reply = await http.post("/api/chat/register", content=b'{"displayName": "Ada\\ud800"}')
        assert reply.status_code == 200 and reply.json()["displayName"] == "Ada\ufffd"
        sender = await open_inbox(owncast, reply.json()["accessToken"])
        token = (await http.post("/api/chat/register", json={"displayName": "Bob"})).json()["accessToken"]
        watcher = await open_inbox(owncast, token)
    try:
        await sender.ws.send('{"type": "CHAT", "body": "half a pair: \\udc00, a whole one: \\ud83d\\ude00"}')
        (chat,) = await watcher.wait_for("CHAT")
        assert "half a pair: \ufffd, a whole one: \U0001f600" in str(chat["body"])
        await asyncio.wait_for(await sender.ws.ping(), 5)  # the sender's connection is still up
        assert not sender.closed.is_set()
    finally:
        await sender.ws.close()
        await watcher.ws.close()
