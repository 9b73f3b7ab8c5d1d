"""The HLS front's request parsing (which requests it keeps) and what it relies on in Hypercorn.

The front hands Hypercorn every connection it does not answer itself by calling Hypercorn's
per-connection server directly (``front_server``); the last tests pin those internals, so a
Hypercorn upgrade that changes them fails here rather than in production.
"""

from __future__ import annotations

import asyncio
import inspect

import hypercorn
import pytest
from hypercorn.asyncio import lifespan, run, tcp_server, worker_context
from hypercorn.utils import wrap_app

from owncast_runners.web.hls_front import MAX_HEAD, _may_be_hls, _Resumed, parse_head


def parse(head: bytes) -> tuple[bool, str, bool, list[tuple[bytes, bytes]]] | None:
    data = head + b"\r\n\r\n"
    parsed = parse_head(data, 0, len(head))
    if parsed is None:
        return None
    request, headers = parsed
    return request.head, request.relative, request.keep_alive, headers


def test_keeps_plain_get_and_head_of_hls_files() -> None:
    assert parse(b"GET /hls/0/stream.m3u8 HTTP/1.1\r\nHost: x") == (
        False, "0/stream.m3u8", True, [(b"host", b"x")])
    assert parse(b"HEAD /hls/stream.m3u8?v=1 HTTP/1.1\r\nHOST:x\r\nUser-Agent:  a b  ") == (
        True, "stream.m3u8", True, [(b"host", b"x"), (b"user-agent", b"a b")])
    assert parse(b"GET /hls/0/a.ts HTTP/1.1\r\nHost: x\r\nContent-Length: 0")
    assert parse(b"GET /hls/0/a.ts HTTP/1.0") is not None  # HTTP/1.0 needs no Host


@pytest.mark.parametrize("head, keep_alive", [
    (b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nConnection: close", False),
    (b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close", False),
    (b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nConnection: keep-alive", True),
    (b"GET /hls/a.ts HTTP/1.0", False),
    (b"GET /hls/a.ts HTTP/1.0\r\nConnection: Keep-Alive", True),
    (b"GET /hls/a.ts HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close", False),
])
def test_keep_alive_rules(head: bytes, keep_alive: bool) -> None:
    parsed = parse(head)
    assert parsed is not None and parsed[2] is keep_alive


@pytest.mark.parametrize("head", [
    b"GET /api/status HTTP/1.1\r\nHost: x",
    b"POST /hls/a.ts HTTP/1.1\r\nHost: x",
    b"get /hls/a.ts HTTP/1.1\r\nHost: x",
    b"GET /hls/a%2Ets HTTP/1.1\r\nHost: x",  # needs decoding: Hypercorn does it
    b"GET http://x/hls/a.ts HTTP/1.1\r\nHost: x",
    b"GET /hls/a.ts HTTP/2.0\r\nHost: x",
    b"GET /hls/a.ts HTTP/1.1",  # no Host
    b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nHost: y",
    b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nContent-Length: 3",
    b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked",
    b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade",
    b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nConnection: upgrade",
    b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nExpect: 100-continue",
    b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nbroken",
    b"GET /hls/a.ts HTTP/1.1\r\nHost : x",
    b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\n folded",
    b"GET /hls/a.ts HTTP/1.1\r\nHost: x\r\nX: a\x01b",
    b"GET  /hls/a.ts HTTP/1.1\r\nHost: x",
    b"PRI * HTTP/2.0",
])
def test_hands_off_everything_else(head: bytes) -> None:
    assert parse(head) is None


def test_decides_on_an_unfinished_head_as_early_as_it_can() -> None:
    for partial in (b"G", b"GET /h", b"HEAD /hls/0/x", b"GET /hls/x.ts HTTP/1.1\r\nHo"):
        assert _may_be_hls(partial, 0), partial
    for partial in (b"P", b"GET /a", b"GET /hls/x HTTP/3\r\n", b"\r\n"):
        assert not _may_be_hls(partial, 0), partial
    assert MAX_HEAD == 8192


async def test_resumed_finishes_a_coroutine_that_suspended() -> None:
    async def work() -> str:
        await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        return "done"

    coro = work()
    waiting = coro.send(None)
    assert await _Resumed(coro, waiting) == "done"


async def test_resumed_passes_cancellation_into_the_coroutine() -> None:
    cleaned = asyncio.Event()

    async def work() -> str:
        try:
            await asyncio.sleep(10)
        finally:
            cleaned.set()
        return "never"

    coro = work()
    waiting = coro.send(None)

    async def finish() -> object:
        return await _Resumed(coro, waiting)

    waiting.cancel()  # the sleep's future: what a cancelled task would have cancelled
    task = asyncio.create_task(finish())
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned.is_set()


# what front_server relies on in Hypercorn -------------------------------------------------------
def parameters(callable_: object) -> list[str]:
    return list(inspect.signature(callable_).parameters)  # type: ignore[arg-type]


def test_hypercorn_per_connection_server_is_the_one_worker_serve_uses() -> None:
    assert hypercorn.__name__ == "hypercorn"
    assert parameters(tcp_server.TCPServer) == ["app", "loop", "config", "context", "state", "reader", "writer"]
    assert inspect.iscoroutinefunction(tcp_server.TCPServer.run)
    # worker_serve builds each connection's server with exactly these arguments
    source = inspect.getsource(run.worker_serve)
    assert "TCPServer(app, loop, config, context, lifespan_state, reader, writer)" in source


def test_hypercorn_lifespan_context_and_app_wrapper() -> None:
    assert parameters(lifespan.Lifespan) == ["app", "config", "loop", "lifespan_state"]
    for name in ("handle_lifespan", "wait_for_startup", "wait_for_shutdown"):
        assert inspect.iscoroutinefunction(getattr(lifespan.Lifespan, name))
    assert parameters(worker_context.WorkerContext) == ["max_requests"]
    context = worker_context.WorkerContext(None)
    assert not context.terminated.is_set()
    source = inspect.getsource(tcp_server.TCPServer._idle_timeout)
    assert "self.context.terminated.wait()" in source  # idle keep-alive connections close on it
    assert parameters(wrap_app) == ["app", "wsgi_max_body_size", "mode"]


def test_websocket_extensions_are_stripped_only_from_upgrades() -> None:
    from owncast_runners.web.front_server import strip_websocket_extensions

    upgrade = (b"GET /ws?accessToken=t HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nSec-WebSocket-Key: k\r\n")
    stripped = strip_websocket_extensions(upgrade)
    assert b"permessage-deflate" not in stripped and b"Sec-WebSocket-Key: k\r\n" in stripped
    plain = b"GET /api/status HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Extensions: x\r\n"
    assert strip_websocket_extensions(plain) == plain
