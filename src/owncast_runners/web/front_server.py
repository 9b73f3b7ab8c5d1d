"""Serving the web app on listening sockets: the HLS front first, Hypercorn for the rest.

``serve`` replaces ``hypercorn.asyncio.serve`` for ``owncast serve``: it accepts connections
itself with ``HlsFrontProtocol`` (see ``hls_front``) and hands every connection the front does
not keep to Hypercorn's own per-connection server, so everything but HLS is served exactly as
Hypercorn serves it. It runs the app's lifespan as Hypercorn does and shuts down gracefully.

What this relies on in Hypercorn (0.18; ``tests/unit/test_front_server.py`` pins it, so an
upgrade that changes it fails there): ``hypercorn.utils.wrap_app``,
``hypercorn.asyncio.lifespan.Lifespan(app, config, loop, state)`` with ``handle_lifespan``,
``wait_for_startup`` and ``wait_for_shutdown``, ``hypercorn.asyncio.worker_context.WorkerContext``
(its ``terminated`` event closes idle keep-alive connections), and
``hypercorn.asyncio.tcp_server.TCPServer(app, loop, config, context, state, reader, writer)``,
awaited to serve one connection from an ``asyncio.StreamReader``/``StreamWriter`` pair: the same
call ``hypercorn.asyncio.run.worker_serve`` makes for each connection it accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, SupportsIndex

from hypercorn.asyncio.lifespan import Lifespan
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.utils import wrap_app

from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_runners.web.hls_front import HlsFront

SWEEP_SECONDS = 5.0
READER_LIMIT = 2**16  # asyncio.start_server's default, what Hypercorn's connections get


class DeclineWebSocketCompression(asyncio.StreamReader):
    """A ``StreamReader`` that removes ``Sec-WebSocket-Extensions`` from a connection's first
    request head when that request is a WebSocket upgrade, so the server declines
    permessage-deflate (RFC 7692 lets a server decline; Owncast never compresses).

    Hypercorn always accepts compression when a client offers it, and browsers always offer it:
    measured, a compressed chat socket held about 127 KB of zlib state against 28 KB without,
    and every frame of the fan-out was compressed once per client. Only the first head is looked
    at (WebSocket upgrades open their own connection); after it, or after ``FIRST_HEAD_LIMIT``
    bytes without one, data passes through untouched.
    """

    FIRST_HEAD_LIMIT = 16384

    def __init__(self, *, limit: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=limit, loop=loop)
        self._head: bytearray | None = bytearray()

    def feed_data(self, data: Iterable[SupportsIndex]) -> None:
        if self._head is None:
            super().feed_data(data)
            return
        self._head += bytes(data)
        end = self._head.find(b"\r\n\r\n")
        if end < 0 and len(self._head) < self.FIRST_HEAD_LIMIT:
            return
        buffered, self._head = bytes(self._head), None
        if end >= 0:
            buffered = strip_websocket_extensions(buffered[:end + 2]) + buffered[end + 2:]
        super().feed_data(buffered)

    def feed_eof(self) -> None:
        if self._head is not None:
            buffered, self._head = bytes(self._head), None
            if buffered:
                super().feed_data(buffered)
        super().feed_eof()


def strip_websocket_extensions(head: bytes) -> bytes:
    """``head`` (request line and header lines, each ending in CRLF) without any
    ``Sec-WebSocket-Extensions`` line if it carries ``Upgrade: websocket``; else unchanged."""
    lines = head.split(b"\r\n")
    lowered = [line.lower() for line in lines]
    if not any(line.startswith(b"upgrade:") and b"websocket" in line for line in lowered):
        return head
    kept = [line for line, low in zip(lines, lowered, strict=True)
            if not low.startswith(b"sec-websocket-extensions:")]
    return b"\r\n".join(kept)


class HypercornHandoff:
    """Serves handed-off connections with Hypercorn's ``TCPServer``, one task each."""

    def __init__(self, app: Any, config: Config, context: WorkerContext, state: dict[str, Any]) -> None:
        self._app = app
        self._config = config
        self._context = context
        self._state = state
        self.tasks: set[asyncio.Task[None]] = set()

    def adopt(self, transport: asyncio.Transport, data: bytes, eof: bool) -> None:
        """Give ``transport`` a stream reader pre-fed with ``data`` and a writer, as
        ``asyncio.start_server`` would have, and let Hypercorn serve it from here."""
        loop = asyncio.get_running_loop()
        reader = DeclineWebSocketCompression(limit=READER_LIMIT, loop=loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        if data:
            reader.feed_data(data)
        if eof:
            reader.feed_eof()
        transport.resume_reading()
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        server = TCPServer(self._app, loop, self._config, self._context, self._state, reader, writer)
        task = loop.create_task(server.run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def serve(app: Any, config: Config, sockets: list[socket.socket], *, stream: StreamService,
                viewers: ViewerService, shutdown_trigger: Callable[[], Awaitable[Any]]) -> None:
    """Serve ``app`` (ASGI) on the listening ``sockets`` until ``shutdown_trigger`` returns.

    Then: stop accepting, close idle connections (HLS ones and, through the worker context,
    Hypercorn's), wait up to ``config.graceful_timeout`` for the others, drop what is left,
    and run the lifespan shutdown. The sockets are closed on return.
    """
    loop = asyncio.get_running_loop()
    wrapped = wrap_app(app, config.wsgi_max_body_size, "asgi")
    state: dict[str, Any] = {}
    lifespan = Lifespan(wrapped, config, loop, state)
    lifespan_task = loop.create_task(lifespan.handle_lifespan())
    await lifespan.wait_for_startup()
    if lifespan_task.done() and (error := lifespan_task.exception()) is not None:
        raise error

    context = WorkerContext(None)
    handoff = HypercornHandoff(wrapped, config, context, state)
    front = HlsFront(storage=lambda: stream.storage, viewers=viewers, handoff=handoff,
                     idle_timeout=config.keep_alive_timeout)
    servers: list[asyncio.Server] = []
    sweeper: asyncio.TimerHandle | None = None

    def sweep() -> None:
        nonlocal sweeper
        front.sweep(SWEEP_SECONDS)
        sweeper = loop.call_later(SWEEP_SECONDS, sweep)

    try:
        for sock in sockets:
            servers.append(await loop.create_server(front.protocol, sock=sock, backlog=config.backlog))
        sweeper = loop.call_later(SWEEP_SECONDS, sweep)
        await shutdown_trigger()
    finally:
        if sweeper is not None:
            sweeper.cancel()
        for server in servers:
            server.close()
        front.close()
        await context.terminated.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(config.graceful_timeout):
                await _drain(handoff.tasks, front)
        front.abort()
        for task in list(handoff.tasks):
            task.cancel()
        await asyncio.gather(*handoff.tasks, return_exceptions=True)
        for server in servers:
            await server.wait_closed()
        await lifespan.wait_for_shutdown()
        lifespan_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lifespan_task


async def _drain(tasks: set[asyncio.Task[None]], front: HlsFront) -> None:
    """Until Hypercorn's connection tasks have ended and the front has no connection."""
    while tasks or front.connections:
        if tasks:
            await asyncio.wait(set(tasks), timeout=0.05)
        else:
            await asyncio.sleep(0.05)
