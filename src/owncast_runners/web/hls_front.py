"""A small, strict HTTP/1.1 front on the web sockets that answers HLS requests itself.

Every accepted web connection starts here (``HlsFrontProtocol``). While the client sends only
``GET``/``HEAD /hls/<path>`` requests without a body, they are answered straight from
``stream.storage`` with the reply ``owncast_runners.web.hls.lookup`` builds (the same reply
``HlsShortcut`` sends over ASGI), written to the transport (see below). That skips Hypercorn's
per-request machinery (h11, a task per request, ASGI events, the stream writer), which was where
the HLS request rate went.

The moment a connection sends anything else -- another path or method, a body, ``Upgrade``,
``Expect``, a malformed or unusual head, the HTTP/2 preface -- the connection is handed, with
every byte received and not yet answered, to the ``Handoff`` (Hypercorn, see
``front_server``) for the rest of its life. So every other route, WebSockets and error handling
are Hypercorn's, unchanged; the front never answers 400 itself.

Contract of the front for the requests it keeps:

- HTTP/1.1 keeps the connection open unless ``Connection: close``; HTTP/1.0 closes it unless
  ``Connection: keep-alive`` (answered with ``Connection: keep-alive``). Responses are
  ``HTTP/1.1`` with ``Content-Length`` and ``Date``.
- Pipelined requests are answered in order; a request may arrive in any number of pieces.
- A request head (request line and headers) longer than ``MAX_HEAD`` bytes gets 431 and the
  connection is closed.
- While the transport's write buffer is full, or a storage lookup has to wait (a disk read),
  no further request is read or answered.
- Bodies up to ``JOIN_LIMIT`` bytes go out in the same ``transport.write`` as the head (one
  send; copying a playlist is cheaper than a second system call). Larger bodies (segments) are
  never copied by the front: when the transport has nothing queued, head and body go to the
  socket in one ``os.writev`` (measured: about 20 us less CPU per 450 KB segment than two
  sends, some 15%), and ``transport.write`` gets a view of whatever the socket did not take.
- A storage error other than "not found" is logged and answered 500, and the connection closed.
- ``HlsFront.sweep`` closes connections idle (nothing received, nothing pending) for longer
  than the keep-alive timeout; ``HlsFront.close`` closes idle connections at once and the
  others once their current response is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Coroutine, Generator
from email.utils import formatdate
from typing import Any, Generic, Protocol, TypeVar

from owncast_core.ports.video import VideoStorage
from owncast_core.services.viewers import ViewerService
from owncast_runners.web.hls import HlsReply, lookup, make_reply, viewer_identity

log = logging.getLogger("owncast.web")

MAX_HEAD = 8192
JOIN_LIMIT = 16384

# A request line the front answers: GET or HEAD, an origin-form /hls/ target without
# percent-escapes (so the path needs no decoding) and an optional query, HTTP/1.0 or 1.1.
_REQUEST_LINE = re.compile(
    rb"(GET|HEAD) /hls/([A-Za-z0-9._~!$&'()*+,;=:@/-]*)(?:\?[^\s#]*)? HTTP/1\.([01])\r\n")
_STARTS = (b"GET /hls/", b"HEAD /hls/")
# RFC 9110 field lines: a token name, a colon, a value of visible characters, spaces and tabs.
_VCHAR = rb"[\x21-\x7e\x80-\xff]"
_FIELD = rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*((?:" + _VCHAR + rb"(?:[ \t]*" + _VCHAR + rb")*)?)[ \t]*\r\n"
_FIELDS = re.compile(rb"(?:" + _FIELD + rb")*")
_FIELD_RE = re.compile(_FIELD)

_REASONS = {200: b"OK", 404: b"Not Found", 405: b"Method Not Allowed",
            431: b"Request Header Fields Too Large", 500: b"Internal Server Error"}
_TOO_LARGE = make_reply(431, b"text/plain", (), b"request header fields too large")
_SERVER_ERROR = make_reply(500, b"text/plain", (), b"internal server error")


class Handoff(Protocol):
    """Takes over a connection for the rest of its life (``front_server.HypercornHandoff``)."""

    def adopt(self, transport: asyncio.Transport, data: bytes, eof: bool) -> None:
        """Serve ``transport`` from now on; ``data`` was received and not answered, ``eof``:
        the peer has already shut its sending side."""
        ...


class _Request:
    """What the front needs of a request it answers."""

    __slots__ = ("head", "keep_alive", "relative", "version")

    def __init__(self, head: bool, relative: str, version: bytes, keep_alive: bool) -> None:
        self.head, self.relative, self.version, self.keep_alive = head, relative, version, keep_alive


def parse_head(buf: bytes, start: int, end: int) -> tuple[_Request, list[tuple[bytes, bytes]]] | None:
    """The HLS request whose head is ``buf[start:end]`` (``end`` is where its blank line
    starts), with its headers as ``(lower-case name, value)``, or ``None`` when the front does
    not answer it itself (anything but a body-less ``GET``/``HEAD /hls/``, or a head it finds
    malformed or unusual)."""
    line = _REQUEST_LINE.match(buf, start, end + 2)
    if line is None:
        return None
    fields_start = line.end()
    if _FIELDS.fullmatch(buf, fields_start, end + 2) is None:
        return None
    headers = [(name.lower(), value) for name, value in _FIELD_RE.findall(buf, fields_start, end + 2)]
    version = line.group(3)
    hosts = 0
    connection = b""
    for name, value in headers:
        if name == b"host":
            hosts += 1
        elif name == b"connection":
            connection = connection + b"," + value.lower() if connection else value.lower()
        elif name == b"content-length":
            if value != b"0":
                return None
        elif name in (b"transfer-encoding", b"upgrade", b"expect", b"http2-settings"):
            return None
    if hosts > 1 or (hosts == 0 and version == b"1"):
        return None
    tokens = {token.strip() for token in connection.split(b",")} if connection else set()
    if b"upgrade" in tokens:
        return None
    if version == b"1":
        keep_alive = b"close" not in tokens
    else:
        keep_alive = b"keep-alive" in tokens and b"close" not in tokens
    return _Request(line.group(1) == b"HEAD", line.group(2).decode("ascii"), version, keep_alive), headers


def _may_be_hls(buf: bytes, start: int) -> bool:
    """Whether the incomplete head at ``buf[start:]`` may still become a request the front
    answers (decided as soon as the request line is complete, or its start tells)."""
    line_end = buf.find(b"\r\n", start)
    if line_end >= 0:
        return _REQUEST_LINE.match(buf, start, line_end + 2) is not None
    sofar = buf[start:start + 10]
    return any(prefix.startswith(sofar) or sofar.startswith(prefix) for prefix in _STARTS)


class _Clock:
    """The ``Date`` header line, formatted at most once a second."""

    __slots__ = ("line", "second")

    def __init__(self) -> None:
        self.second = -1
        self.line = b""

    def date_line(self) -> bytes:
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.line = b"date: " + formatdate(now, usegmt=True).encode() + b"\r\n"
        return self.line


class HlsFront:
    """Shared state of the front's connections: where replies come from, who is connected."""

    def __init__(self, *, storage: Callable[[], VideoStorage], viewers: ViewerService, handoff: Handoff,
                 idle_timeout: float = 75.0) -> None:
        self.storage = storage
        self.viewers = viewers
        self.handoff = handoff
        self.idle_timeout = idle_timeout
        self.connections: set[HlsFrontProtocol] = set()
        self.closing = False
        self.clock = _Clock()

    def protocol(self) -> HlsFrontProtocol:
        """Protocol factory for ``loop.create_server``."""
        return HlsFrontProtocol(self)

    def sweep(self, interval: float) -> None:
        """Close connections that have been idle for ``idle_timeout``; call every ``interval``
        seconds (a connection goes between ``idle_timeout`` and ``idle_timeout + interval``)."""
        limit = max(1, round(self.idle_timeout / interval))
        for conn in list(self.connections):
            conn.tick(limit)

    def close(self) -> None:
        """Stop answering: close idle connections now, the others after their current reply."""
        self.closing = True
        for conn in list(self.connections):
            conn.shut()

    def abort(self) -> None:
        """Drop every connection still open (after the graceful shutdown time)."""
        for conn in list(self.connections):
            conn.abort()


class HlsFrontProtocol(asyncio.Protocol):
    """One accepted connection until it closes or is handed off (see the module docstring)."""

    def __init__(self, front: HlsFront) -> None:
        self._front = front
        self._transport: asyncio.Transport | None = None
        self._fd = -1
        self._peer: tuple[str, int] | None = None
        self._buffer = b""
        self._pending = False  # a storage lookup is under way
        self._paused = False  # the transport's write buffer is full
        self._done = False  # closed, closing or handed off: answer nothing more
        self._eof = False
        self._idle_ticks = 0
        self._task: asyncio.Task[None] | None = None

    # asyncio callbacks ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._fd = transport.get_extra_info("socket").fileno()
        peer = transport.get_extra_info("peername")
        self._peer = (peer[0], peer[1]) if isinstance(peer, tuple) else None
        if self._front.closing:
            self._done = True
            transport.close()
            return
        self._front.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._done = True
        self._front.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self._idle_ticks = 0
        if self._done:
            return
        self._buffer = self._buffer + data if self._buffer else data
        if not (self._pending or self._paused):
            self._process()

    def eof_received(self) -> bool:
        self._eof = True
        # Keep the transport open while a reply is still to come; close otherwise (asyncio
        # flushes what was written first).
        return self._pending and not self._done

    def pause_writing(self) -> None:
        self._paused = True
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._paused = False
        if self._done or self._transport is None or self._pending:
            return
        self._transport.resume_reading()
        self._process()

    # called by HlsFront ----------------------------------------------------------------------
    def tick(self, limit: int) -> None:
        if self._pending or self._paused or self._done:
            return
        self._idle_ticks += 1
        if self._idle_ticks >= limit:
            self._close()

    def shut(self) -> None:
        if not self._pending:  # a pending reply closes the connection when written
            self._close()

    def abort(self) -> None:
        self._done = True
        self._front.connections.discard(self)
        if self._task is not None:
            self._task.cancel()
        if self._transport is not None:
            self._transport.abort()

    # requests ---------------------------------------------------------------------------------
    def _process(self) -> None:
        """Answer every complete request in the buffer, in order, until one needs to wait."""
        buf = self._buffer
        pos = 0
        size = len(buf)
        while pos < size and not (self._pending or self._paused or self._done):
            end = buf.find(b"\r\n\r\n", pos, pos + MAX_HEAD)
            if end < 0:
                if not _may_be_hls(buf, pos):
                    self._hand_off(buf[pos:])
                    return
                if size - pos >= MAX_HEAD:
                    self._write(_TOO_LARGE, with_body=True, keep_alive=False)
                    return
                break
            parsed = parse_head(buf, pos, end)
            if parsed is None:
                self._hand_off(buf[pos:])
                return
            pos = end + 4
            self._answer(*parsed)
        self._buffer = buf[pos:] if pos else buf
        if self._eof and not self._pending and not self._done:
            self._close()

    def _answer(self, request: _Request, headers: list[tuple[bytes, bytes]]) -> None:
        front = self._front
        step = lookup(front.storage(), request.relative)
        try:
            waiting = step.send(None)
        except StopIteration as stop:
            self._reply(request, headers, stop.value)
        except Exception:
            log.exception("cannot serve /hls/%s", request.relative)
            self._write(_SERVER_ERROR, with_body=True, keep_alive=False)
        else:  # the storage is reading from disk: finish in a task, answer nothing else meanwhile
            self._pending = True
            assert self._transport is not None
            self._transport.pause_reading()
            later = self._answer_later(request, headers, step, waiting)
            self._task = asyncio.get_running_loop().create_task(later)

    async def _answer_later(self, request: _Request, headers: list[tuple[bytes, bytes]],
                            step: Coroutine[Any, Any, HlsReply], waiting: Any) -> None:
        try:
            reply = await _Resumed(step, waiting)
        except Exception:
            log.exception("cannot serve /hls/%s", request.relative)
            reply = None
        self._pending = False
        self._task = None
        if self._done or self._transport is None:
            return
        if not self._paused:
            self._transport.resume_reading()
        if reply is None:
            self._write(_SERVER_ERROR, with_body=True, keep_alive=False)
            return
        self._reply(request, headers, reply)
        if not (self._done or self._paused):
            self._process()

    def _reply(self, request: _Request, headers: list[tuple[bytes, bytes]], reply: HlsReply) -> None:
        if reply.viewer:
            self._front.viewers.seen(*viewer_identity(self._peer, headers))
        keep_alive = request.keep_alive and not self._front.closing
        self._write(reply, with_body=not request.head, keep_alive=keep_alive, http10=request.version == b"0")

    def _write(self, reply: HlsReply, *, with_body: bool, keep_alive: bool, http10: bool = False) -> None:
        transport = self._transport
        assert transport is not None
        if not keep_alive:
            connection = b"connection: close\r\n"
        else:
            connection = b"connection: keep-alive\r\n" if http10 else b""
        head = b"HTTP/1.1 %d %s\r\n%s%s%s\r\n" % (
            reply.status, _REASONS[reply.status],
            b"".join(b"%s: %s\r\n" % field for field in reply.headers),
            self._front.clock.date_line(), connection,
        )
        body = reply.body if with_body else b""
        if len(body) <= JOIN_LIMIT:
            transport.write(head + body)
        else:
            # One writev for head and body while the transport has nothing queued (so the order
            # holds; its socket is open while it is not closing); whatever the socket does not
            # take, and any error, goes to transport.write, which queues or reports it.
            view = memoryview(body)
            sent = 0
            if not transport.get_write_buffer_size() and not transport.is_closing():
                with contextlib.suppress(OSError):
                    sent = os.writev(self._fd, (head, view))
            if sent < len(head):
                transport.write(head[sent:])
                transport.write(view)
            elif sent < len(head) + len(body):
                transport.write(view[sent - len(head):])
        if not keep_alive:
            self._close()

    def _close(self) -> None:
        """Close after what was written is sent (the connection counts until it is gone)."""
        self._done = True
        if self._transport is not None:
            self._transport.close()

    def _hand_off(self, data: bytes) -> None:
        self._done = True
        self._buffer = b""
        self._front.connections.discard(self)
        assert self._transport is not None
        self._front.handoff.adopt(self._transport, data, self._eof)


T = TypeVar("T")


class _Resumed(Generic[T]):
    """Awaitable that finishes a coroutine which has already run up to its first suspension
    (``waiting`` is what it yielded there), driving it exactly as ``await`` would have."""

    __slots__ = ("_coro", "_waiting")

    def __init__(self, coro: Coroutine[Any, Any, T], waiting: Any) -> None:
        self._coro, self._waiting = coro, waiting

    def __await__(self) -> Generator[Any, Any, T]:
        coro, waiting = self._coro, self._waiting
        while True:
            try:
                sent = yield waiting
            except BaseException as exc:  # cancellation and the like go into the coroutine
                try:
                    waiting = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
            else:
                try:
                    waiting = coro.send(sent)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
