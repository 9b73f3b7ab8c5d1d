"""The HLS front on a real server's web port: raw HTTP/1.x over loopback sockets.

An in-process ``OwncastServer`` on a free port, with a playlist and a ~450 KB segment reported to
its storage (as ``bench/hls_serving.py`` does). Requests are written byte for byte with asyncio
streams, so keep-alive, pipelining, split requests and the hand-off to Hypercorn are visible.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from hypercorn.config import Config as HypercornConfig
from starlette.responses import PlainTextResponse
from websockets.asyncio.client import connect

from owncast_adapters.storage.local import LocalVideoStorage
from owncast_adapters.system import SystemClock
from owncast_core.ports.video import SegmentInfo
from owncast_core.services.viewers import ViewerService
from owncast_runners.server import OwncastServer, bind_sockets
from owncast_runners.settings import Settings
from owncast_runners.web import front_server
from owncast_runners.web.hls_front import HlsFront

pytestmark = pytest.mark.integration

PLAYLIST = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\nstream-front-1.ts\n"
SEGMENT = os.urandom(450_000)
ON_DISK_ONLY = os.urandom(70_000)  # not reported: the storage reads it from disk (suspends)
PLAYLIST_GET = b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\n\r\n"
SEGMENT_GET = b"GET /hls/0/stream-front-1.ts HTTP/1.1\r\nHost: t\r\n\r\n"
STATUS_GET = b"GET /api/status HTTP/1.1\r\nHost: t\r\n\r\n"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    raw_head: bytes = field(repr=False, default=b"")


@dataclass
class Running:
    server: OwncastServer
    stopped: bool = False

    @property
    def port(self) -> int:
        return self.server.web_port

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=2**20)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer


@pytest.fixture
async def owncast(tmp_path: Path) -> AsyncIterator[Running]:
    data = tmp_path / "data"
    variant = data / "hls" / "0"
    variant.mkdir(parents=True)
    (variant / "stream.m3u8").write_bytes(PLAYLIST)
    (variant / "stream-front-1.ts").write_bytes(SEGMENT)
    (variant / "stream-front-0.ts").write_bytes(ON_DISK_ONLY)
    server = OwncastServer(Settings(data_dir=data, web_host=("127.0.0.1",), web_port=0,
                                    rtmp_host="127.0.0.1", rtmp_port=0))
    await server.start()
    running = Running(server)
    try:
        storage = server.container.stream().storage
        await storage.segment_written(SegmentInfo(0, str(variant / "stream-front-1.ts"), 3.0))
        await storage.variant_playlist_written(0, str(variant / "stream.m3u8"))
        yield running
    finally:
        if not running.stopped:
            await server.stop()


async def read_response(reader: asyncio.StreamReader, *, head: bool = False) -> Response:
    async with asyncio.timeout(10):
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw[:-4].decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ")[:2]
        assert version == "HTTP/1.1", lines[0]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if head else int(headers.get("content-length", "0"))
        body = await reader.readexactly(length)
    return Response(int(status), headers, body, raw)


async def request(running: Running, data: bytes, *, head: bool = False) -> Response:
    reader, writer = await running.open()
    try:
        writer.write(data)
        return await read_response(reader, head=head)
    finally:
        writer.close()


async def assert_closed(reader: asyncio.StreamReader) -> None:
    async with asyncio.timeout(5):
        assert await reader.read() == b""


# answers ---------------------------------------------------------------------------------------
async def test_playlist_and_segment_bytes_and_headers(owncast: Running) -> None:
    playlist = await request(owncast, PLAYLIST_GET)
    assert playlist.status == 200 and playlist.body == PLAYLIST
    assert playlist.headers.items() >= {
        "content-type": "application/x-mpegURL", "cache-control": "no-cache, no-store, must-revalidate",
        "access-control-allow-origin": "*", "content-length": str(len(PLAYLIST)),
    }.items()
    assert playlist.headers["date"].endswith(" GMT")
    assert "server" not in playlist.headers  # answered by the front, not by Hypercorn

    segment = await request(owncast, SEGMENT_GET)
    assert segment.status == 200 and segment.body == SEGMENT
    assert segment.headers.items() >= {
        "content-type": "video/mp2t", "cache-control": "public, max-age=3600",
        "access-control-allow-origin": "*", "content-length": str(len(SEGMENT)),
    }.items()


async def test_same_answer_as_the_asgi_shortcut(owncast: Running) -> None:
    """The app itself (HlsShortcut, no front) answers with the same status, headers and body."""
    app = owncast.server.container.web_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for target in (PLAYLIST_GET, SEGMENT_GET, b"GET /hls/0/none.ts HTTP/1.1\r\nHost: t\r\n\r\n"):
            path = target.split(b" ")[1].decode()
            via_asgi = await client.get(path)
            via_front = await request(owncast, target)
            assert via_front.status == via_asgi.status_code and via_front.body == via_asgi.content
            asgi_headers = {k.lower(): v for k, v in via_asgi.headers.items()}
            front_headers = {k: v for k, v in via_front.headers.items() if k != "date"}
            assert front_headers == asgi_headers


async def test_head_sends_the_length_and_no_body(owncast: Running) -> None:
    reader, writer = await owncast.open()
    writer.write(b"HEAD /hls/0/stream-front-1.ts HTTP/1.1\r\nHost: t\r\n\r\n" + PLAYLIST_GET)
    head = await read_response(reader, head=True)
    assert head.status == 200 and head.headers["content-length"] == str(len(SEGMENT))
    after = await read_response(reader)  # would be garbage if HEAD had sent a body
    assert after.status == 200 and after.body == PLAYLIST
    writer.close()


async def test_unknown_or_invalid_files_are_404(owncast: Running) -> None:
    for path in (b"/hls/0/stream-none-9.ts", b"/hls/0/../../hls.db", b"/hls/9/stream.m3u8", b"/hls/x.txt"):
        answer = await request(owncast, b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert answer.status == 404, path
        assert answer.body == b"404 page not found"
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"


async def test_a_file_the_storage_reads_from_disk_keeps_pipelined_order(owncast: Running) -> None:
    reader, writer = await owncast.open()
    writer.write(b"GET /hls/0/stream-front-0.ts HTTP/1.1\r\nHost: t\r\n\r\n" + PLAYLIST_GET + SEGMENT_GET)
    first, second, third = [await read_response(reader) for _ in range(3)]
    assert first.body == ON_DISK_ONLY and second.body == PLAYLIST and third.body == SEGMENT
    writer.close()


# connections -----------------------------------------------------------------------------------
async def test_keep_alive_serves_several_requests_on_one_socket(owncast: Running) -> None:
    reader, writer = await owncast.open()
    for n in range(6):
        writer.write(SEGMENT_GET if n % 2 else PLAYLIST_GET)
        answer = await read_response(reader)
        assert answer.status == 200 and answer.body == (SEGMENT if n % 2 else PLAYLIST)
        assert "connection" not in answer.headers
    writer.close()


async def test_pipelined_requests_in_one_send_are_answered_in_order(owncast: Running) -> None:
    reader, writer = await owncast.open()
    missing = b"GET /hls/0/nope.ts HTTP/1.1\r\nHost: t\r\n\r\n"
    writer.write(PLAYLIST_GET + SEGMENT_GET + missing + PLAYLIST_GET)
    answers = [await read_response(reader) for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 404, 200]
    assert answers[1].body == SEGMENT and answers[3].body == PLAYLIST
    writer.close()


async def test_many_pipelined_segments_to_a_slow_reader(owncast: Running) -> None:
    """More than the write buffer holds: the front stops and resumes with the reader."""
    reader, writer = await owncast.open()
    writer.write(SEGMENT_GET * 12 + PLAYLIST_GET)
    await asyncio.sleep(0.3)  # let the server fill the socket and its buffer
    for _ in range(12):
        answer = await read_response(reader)
        assert answer.body == SEGMENT
    assert (await read_response(reader)).body == PLAYLIST
    writer.close()


async def test_requests_split_across_many_tiny_sends(owncast: Running) -> None:
    reader, writer = await owncast.open()
    data = PLAYLIST_GET + b"GET /hls/0/stream-front-1.ts HTTP/1.1\r\nHost: t\r\nUser-Agent: slow\r\n\r\n"
    for offset in range(0, len(data), 3):
        writer.write(data[offset:offset + 3])
        await writer.drain()
        await asyncio.sleep(0.002)
    assert (await read_response(reader)).body == PLAYLIST
    assert (await read_response(reader)).body == SEGMENT
    writer.close()


async def test_connection_close_is_honoured(owncast: Running) -> None:
    reader, writer = await owncast.open()
    writer.write(b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + PLAYLIST_GET)
    answer = await read_response(reader)
    assert answer.body == PLAYLIST and answer.headers["connection"] == "close"
    await assert_closed(reader)  # the pipelined request after it is not answered
    writer.close()


async def test_http10_closes_unless_keep_alive(owncast: Running) -> None:
    reader, writer = await owncast.open()
    writer.write(b"GET /hls/0/stream.m3u8 HTTP/1.0\r\n\r\n")
    answer = await read_response(reader)
    assert answer.body == PLAYLIST and answer.headers["connection"] == "close"
    await assert_closed(reader)
    writer.close()

    reader, writer = await owncast.open()
    for _ in range(2):
        writer.write(b"GET /hls/0/stream.m3u8 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        answer = await read_response(reader)
        assert answer.body == PLAYLIST and answer.headers["connection"] == "keep-alive"
    writer.close()


async def test_idle_connections_close_after_the_keep_alive_timeout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``front_server.serve`` on its own, with a short keep-alive timeout."""
    monkeypatch.setattr(front_server, "SWEEP_SECONDS", 0.1)
    storage = LocalVideoStorage(hls_dir=tmp_path)
    (tmp_path / "stream.m3u8").write_bytes(PLAYLIST)
    config = HypercornConfig()
    config.keep_alive_timeout = 0.5
    sock = bind_sockets(("127.0.0.1",), 0)[0]
    port = sock.getsockname()[1]
    stop = asyncio.Event()
    task = asyncio.create_task(front_server.serve(
        PlainTextResponse("app"), config, [sock], stream=SimpleNamespace(storage=storage),  # type: ignore[arg-type]
        viewers=ViewerService(clock=SystemClock()), shutdown_trigger=stop.wait))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /hls/stream.m3u8 HTTP/1.1\r\nHost: t\r\n\r\n")
        assert (await read_response(reader)).body == PLAYLIST
        started = time.monotonic()
        await assert_closed(reader)
        assert 0.4 < time.monotonic() - started < 2
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /other HTTP/1.1\r\nHost: t\r\n\r\n")  # Hypercorn's connections too
        assert (await read_response(reader)).body == b"app"
        await assert_closed(reader)
        writer.close()
    finally:
        stop.set()
        await task


# hand-off to Hypercorn -----------------------------------------------------------------------------
async def test_other_requests_on_the_connection_are_handed_to_hypercorn(owncast: Running) -> None:
    reader, writer = await owncast.open()
    writer.write(PLAYLIST_GET)
    assert (await read_response(reader)).body == PLAYLIST
    writer.write(STATUS_GET)
    status = await read_response(reader)
    assert status.status == 200 and json.loads(status.body)["online"] is False
    assert status.headers["server"].startswith("hypercorn")
    writer.write(PLAYLIST_GET + SEGMENT_GET)  # Hypercorn keeps the connection, HlsShortcut answers
    again = await read_response(reader)
    assert again.body == PLAYLIST and again.headers["content-type"] == "application/x-mpegURL"
    assert (await read_response(reader)).body == SEGMENT
    writer.close()


async def test_a_hand_off_keeps_bytes_already_received(owncast: Running) -> None:
    """The status request arrives in the same read as HLS ones, and split mid-head."""
    reader, writer = await owncast.open()
    writer.write(PLAYLIST_GET + STATUS_GET[:9])
    assert (await read_response(reader)).body == PLAYLIST
    await asyncio.sleep(0.05)
    writer.write(STATUS_GET[9:] + PLAYLIST_GET)
    assert (await read_response(reader)).headers["content-type"] == "application/json"
    assert (await read_response(reader)).body == PLAYLIST
    writer.close()


async def test_other_methods_and_bodies_on_hls_go_to_the_app(owncast: Running) -> None:
    post = await request(owncast, b"POST /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi")
    assert post.status == 405 and post.headers["allow"] == "GET, HEAD"
    with_body = await request(owncast, b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi")
    assert with_body.status == 200 and with_body.body == PLAYLIST and "server" in with_body.headers
    escaped = await request(owncast, b"GET /hls/0/stream%2Em3u8 HTTP/1.1\r\nHost: t\r\n\r\n")
    assert escaped.status == 200 and escaped.body == PLAYLIST and "server" in escaped.headers


async def test_a_websocket_upgrade_through_the_front(owncast: Running) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{owncast.port}") as http:
        token = (await http.post("/api/chat/register", json={"displayName": "Ada"})).json()["accessToken"]
    async with connect(f"ws://127.0.0.1:{owncast.port}/ws?accessToken={token}", compression=None) as ws:
        async with asyncio.timeout(10):
            info = json.loads(await ws.recv())
            assert info["type"] == "CONNECTED_USER_INFO" and info["user"]["displayName"] == "Ada"
            await ws.send(json.dumps({"type": "CHAT", "body": "through the front"}))
            while True:
                events = [json.loads(line) for line in str(await ws.recv()).split("\n")]
                if any(e.get("type") == "CHAT" for e in events):
                    break
    assert any("through the front" in e["body"] for e in events if e.get("type") == "CHAT")


async def test_oversized_headers_get_431_and_close(owncast: Running) -> None:
    reader, writer = await owncast.open()
    writer.write(b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    answer = await read_response(reader)
    assert answer.status == 431 and answer.headers["connection"] == "close"
    await assert_closed(reader)
    writer.close()

    reader, writer = await owncast.open()  # the same, never finished: the size alone decides
    writer.write(b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nX-Big: " + b"a" * 9000)
    assert (await read_response(reader)).status == 431
    writer.close()


async def test_garbage_and_malformed_heads_get_hypercorns_400(owncast: Running) -> None:
    for data in (b"\x16\x03\x01garbage\r\n\r\n",
                 b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n",
                 b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost : t\r\n\r\n"):
        answer = await request(owncast, data)
        assert answer.status == 400, data
        assert answer.headers["server"].startswith("hypercorn")


async def test_http2_preface_goes_to_hypercorn(owncast: Running) -> None:
    reader, writer = await owncast.open()
    writer.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    async with asyncio.timeout(5):
        frame = await reader.readexactly(9)  # Hypercorn speaks HTTP/2: its SETTINGS frame
    assert frame[3] == 0x4
    writer.close()


# viewers -----------------------------------------------------------------------------------------
async def test_playlist_requests_mark_viewers_by_forwarded_address(owncast: Running) -> None:
    viewers = owncast.server.container.viewers()
    viewers.stream_started()
    try:
        reader, writer = await owncast.open()
        for forwarded in (b"203.0.113.7", b"203.0.113.7, 10.0.0.1", b"198.51.100.2"):
            writer.write(b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\nUser-Agent: player\r\n"
                         b"X-Forwarded-For: " + forwarded + b"\r\n\r\n")
            await read_response(reader)
        writer.write(b"GET /hls/0/stream-front-1.ts HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 192.0.2.1\r\n\r\n")
        await read_response(reader)  # segments do not count
        writer.write(b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: t\r\nUser-Agent: other\r\n\r\n")
        await read_response(reader)  # no header: the socket peer
        writer.close()
        assert viewers.count() == 3
        seen = {(v.ip_address, v.user_agent) for v in viewers.active()}
        assert seen == {("203.0.113.7", "player"), ("198.51.100.2", "player"), ("127.0.0.1", "other")}
    finally:
        viewers.stream_stopped()


# shutdown ----------------------------------------------------------------------------------------
async def test_shutdown_with_idle_keep_alive_connections_is_prompt(owncast: Running) -> None:
    readers = []
    for first in (PLAYLIST_GET, PLAYLIST_GET, STATUS_GET, PLAYLIST_GET + STATUS_GET):
        reader, writer = await owncast.open()
        writer.write(first)
        for _ in range(first.count(b"HTTP/1.1\r\n")):
            await read_response(reader)
        readers.append((reader, writer))
    partial_reader, partial_writer = await owncast.open()
    partial_writer.write(PLAYLIST_GET[:20])  # a request never finished
    readers.append((partial_reader, partial_writer))
    await asyncio.sleep(0.05)

    started = time.monotonic()
    owncast.stopped = True
    await owncast.server.stop()
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, f"stop took {elapsed:.2f} s (the graceful timeout is 2 s)"
    for reader, writer in readers:
        await assert_closed(reader)
        writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", owncast.port)


async def test_segments_to_a_full_socket_arrive_whole_and_in_order(tmp_path: Path) -> None:
    """The front on one end of a loopback connection with tiny buffers, the client reading slowly:
    replies start while the socket is full and while the transport still has bytes queued."""
    storage = LocalVideoStorage(hls_dir=tmp_path)
    (tmp_path / "0").mkdir()
    segments = [os.urandom(300_000 + n) for n in range(4)]
    for n, body in enumerate(segments):
        (tmp_path / "0" / f"stream-x-{n}.ts").write_bytes(body)
        await storage.segment_written(SegmentInfo(0, str(tmp_path / "0" / f"stream-x-{n}.ts"), 3.0))

    class NoHandoff:
        def adopt(self, transport: asyncio.Transport, data: bytes, eof: bool) -> None:
            raise AssertionError(f"handed off: {data!r}")

    front = HlsFront(storage=lambda: storage, viewers=ViewerService(clock=SystemClock()), handoff=NoHandoff())
    with socket.create_server(("127.0.0.1", 0)) as listener:
        theirs = socket.socket()
        theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        theirs.connect(listener.getsockname())
        ours, _ = listener.accept()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # the transport sends a few KB at a time
    ours.setblocking(False)
    theirs.setblocking(False)
    transport, _ = await asyncio.get_running_loop().connect_accepted_socket(front.protocol, ours)
    reader, writer = await asyncio.open_connection(sock=theirs, limit=2**20)
    def get(n: int) -> bytes:
        return b"GET /hls/0/stream-x-%d.ts HTTP/1.1\r\nHost: t\r\n\r\n" % (n % 4)

    try:
        writer.write(b"".join(get(n) for n in range(8)))  # pipelined: queued behind each other
        for n in range(8):
            await asyncio.sleep(0.01)
            answer = await read_response(reader)
            assert answer.status == 200 and answer.body == segments[n % 4], n
        writer.write(get(0))  # the next request arrives while the end of this reply is still queued
        for n in range(1, 8):
            async with asyncio.timeout(10):
                await reader.readuntil(b"\r\n\r\n")
                body = b""
                while len(segments[(n - 1) % 4]) - len(body) > 20_000:
                    body += await reader.read(4096)
                writer.write(get(n))
                body += await reader.readexactly(len(segments[(n - 1) % 4]) - len(body))
            assert body == segments[(n - 1) % 4], n
    finally:
        writer.close()
        transport.close()


async def test_websocket_compression_offered_by_browsers_is_declined(owncast: Running) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{owncast.port}") as http:
        token = (await http.post("/api/chat/register", json={"displayName": "Grace"})).json()["accessToken"]
    # The websockets client offers permessage-deflate like a browser does.
    async with connect(f"ws://127.0.0.1:{owncast.port}/ws?accessToken={token}") as ws:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        async with asyncio.timeout(10):
            info = json.loads(await ws.recv())
        assert info["type"] == "CONNECTED_USER_INFO"


# hostile requests to the rest of the web port (found by fuzzing it) --------------------------
async def test_a_non_ascii_basic_auth_header_is_a_401_not_a_server_error(
    owncast: Running, caplog: pytest.LogCaptureFixture
) -> None:
    head = b"GET /api/admin/status HTTP/1.1\r\nHost: t\r\nAuthorization: Basic \xe9t\xe9\r\nConnection: close\r\n\r\n"
    answer = await request(owncast, head)
    assert answer.status == 401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_client_leaving_in_the_middle_of_its_body_is_not_a_server_error(
    owncast: Running, caplog: pytest.LogCaptureFixture
) -> None:
    _, writer = await owncast.open()
    writer.write(b"POST /api/chat/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"displayName\":")
    await writer.drain()
    await asyncio.sleep(0.2)  # the endpoint is reading the body
    writer.close()
    await asyncio.sleep(0.3)
    assert (await request(owncast, STATUS_GET)).status == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
