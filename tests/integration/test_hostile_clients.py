"""Hostile clients on the web port of a real in-process server: mutated HTTP requests (through
the HLS front and Hypercorn) and mutated chat events on the chat socket. Each gets an answer or
a closed connection, never a server error, and the server goes on serving (fixed seeds: the
same requests every run). These found the non-ASCII Basic auth 500, the logged
ClientDisconnect and the lone-surrogate chat failures."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from owncast_runners.server import OwncastServer
from owncast_runners.settings import Settings

pytestmark = pytest.mark.integration

REQUESTS = [
    b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /hls/0/stream-hostile-1.ts HTTP/1.1\r\nHost: t\r\nRange: bytes=0-99\r\n\r\n",
    b"HEAD /hls/stream.m3u8 HTTP/1.0\r\n\r\n",
    b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\n\r\nGET /hls/0/stream-hostile-1.ts HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /api/status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    b'POST /api/chat/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n'
    b'{"displayName":"bob"}',
    b"GET /ws?accessToken=x HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    b"POST /api/admin/config/name HTTP/1.1\r\nHost: t\r\nAuthorization: Basic YWRtaW46YWJjMTIz\r\n"
    b'Transfer-Encoding: chunked\r\n\r\n10\r\n{"value":"hello"}\r\n0\r\n\r\n',
    b"GET /hls/0/../../owncast.db HTTP/1.1\r\nHost: t\r\n\r\n",
]
EVENTS: list[dict[str, Any]] = [
    {"type": "CHAT", "body": "hello"},
    {"type": "CHAT", "body": "<b>x</b> :smile: https://example.com"},
    {"type": "PING"},
    {"type": "NAME_CHANGE", "newName": "bob2"},
    {"type": "COLOR_CHANGE", "newColor": 3},
]
ODD_VALUES: list[Any] = [
    None, 0, -1, 1e308, True, "", "x" * 20000, [], {}, [1, {"a": None}], "\u0000", "😀" * 50, 2**70,
]  # fmt: skip
# Half a UTF-16 surrogate pair, which JSON can spell and no UTF-8 text can hold.
HALF_PAIRS = [
    '{"type": "CHAT", "body": "half \\ud800 a pair"}',
    '{"type": "NAME_CHANGE", "newName": "n\\udc00"}',
    '{"type": "X\\ud83d"}',
]
JUNK = [b"\r\n", b" ", b":", b"\x00", b"%"]


def mutated_request(rng: random.Random) -> bytes:
    data = bytearray(rng.choice(REQUESTS))
    for _ in range(rng.randint(1, 6)):
        at, op = rng.randrange(len(data) + 1), rng.random()
        if op < 0.4 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif op < 0.6:
            data[at:at] = rng.choice([*JUNK, rng.randbytes(8), b"A" * rng.randint(1, 9000)])
        elif op < 0.8:
            del data[at : at + rng.randint(1, 16)]
        else:
            data[at:at] = data[max(0, at - 40) : at]
    return bytes(data)


def mutated_event(rng: random.Random) -> str | bytes:
    event = dict(rng.choice(EVENTS))
    choice = rng.random()
    if choice < 0.4:
        event[rng.choice([*event, "body", "type", "id", "newName", "newColor"])] = rng.choice(ODD_VALUES)
    elif choice < 0.55:
        return rng.choice(HALF_PAIRS)
    elif choice < 0.7:
        return rng.randbytes(rng.randint(1, 200))  # a binary frame
    elif choice < 0.8:
        return "x" * rng.randint(1, 300_000)
    return json.dumps(event)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[OwncastServer]:
    data = tmp_path / "data"
    variant = data / "hls" / "0"
    variant.mkdir(parents=True)
    (variant / "stream.m3u8").write_bytes(b"#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\nstream-hostile-1.ts\n")
    (variant / "stream-hostile-1.ts").write_bytes(os.urandom(100_000))
    server = OwncastServer(Settings(data_dir=data, web_host=("127.0.0.1",), web_port=0,
                                    rtmp_host="127.0.0.1", rtmp_port=0))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def exchange(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        writer.write_eof()
        async with asyncio.timeout(1):
            return await reader.read(4096)
    except (TimeoutError, ConnectionError):
        return b""
    finally:
        writer.close()


async def test_mutated_http_requests_get_answers_not_server_errors(
    server: OwncastServer, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(20261128)
    port = server.web_port
    answers = [await exchange(port, mutated_request(rng)) for _ in range(250)]
    assert [a[:40] for a in answers if a.startswith(b"HTTP/1.1 5")] == []
    assert server_errors(caplog) == []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        assert (await http.get("/hls/0/stream.m3u8")).status_code == 200
        assert (await http.get("/api/status")).status_code == 200


async def test_mutated_chat_events_never_end_the_chat(server: OwncastServer, caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(1128)
    port = server.web_port
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        tokens = [(await http.post("/api/chat/register", json={"displayName": f"u{i}"})).json()["accessToken"]
                  for i in range(3)]
    async with connect(f"ws://127.0.0.1:{port}/ws?accessToken={tokens[0]}") as watcher:
        for _ in range(60):
            try:
                async with connect(f"ws://127.0.0.1:{port}/ws?accessToken={rng.choice(tokens[1:])}",
                                   max_size=None) as ws:
                    for _ in range(rng.randint(1, 4)):
                        await ws.send(mutated_event(rng))
            except WebSocketException:
                pass  # closed by the server (too big, binary): that is an answer
        assert server_errors(caplog) == []
        async with connect(f"ws://127.0.0.1:{port}/ws?accessToken={tokens[1]}") as ws:
            await asyncio.sleep(1.5)  # past the flood guard
            await ws.send(json.dumps({"type": "CHAT", "body": "still delivered"}))
            async with asyncio.timeout(10):
                while True:
                    lines = str(await watcher.recv()).split("\n")
                    if any("still delivered" in str(json.loads(line).get("body", "")) for line in lines):
                        break
