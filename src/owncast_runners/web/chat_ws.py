"""The chat WebSocket, ``GET /ws?accessToken=``: a lean raw-ASGI endpoint.

Starlette's ``WebSocket`` wrapper adds a layer of state checks and dict building to every send;
chat fan-out sends to thousands of sockets per message, so this endpoint talks ASGI directly.
Each connection gets an ``AsgiWebSocketTransport``: a bounded queue of encoded events and one
writer task that sends whatever is queued as a single newline-joined text frame (Owncast's
framing), so a burst costs one frame per client, not one per event.

Outcomes (Owncast ``core/chat/server.go``): chat disabled -> plain ``CHAT_DISABLED`` (HTTP 200, no
upgrade); banned address -> 403; connection limit -> plain ``ERROR_MAX_CONNECTIONS_EXCEEDED``;
after the upgrade the ``ChatService`` answers (``CONNECTED_USER_INFO``, or an ``ERROR_*`` event
and a close). Pings every 54 s and a 60 s read deadline are set on Hypercorn
(``configure_hypercorn``): a peer that stops answering pings is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from owncast_core.domain.chat import OUTBOUND_QUEUE_LIMIT, EventType
from owncast_core.services.chat import ChatService
from owncast_runners.web.responses import client_ip

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DEFAULT_FRAME_INTERVAL = 0.1
"""The longest gap between two flush passes (see ``FrameFlusher``): bounds the added latency."""
PING_INTERVAL_SECONDS = 54.0
READ_TIMEOUT_SECONDS = 60.0

log = logging.getLogger("owncast.chat.ws")


def configure_hypercorn(
    config: Any, *, ping_interval: float = PING_INTERVAL_SECONDS, read_timeout: float = READ_TIMEOUT_SECONDS
) -> None:
    """Owncast's keepalive on a Hypercorn config: ping every 54 s; a connection that sends
    nothing (not even a pong) for 60 s is closed."""
    config.websocket_ping_interval = ping_interval
    config.read_timeout = read_timeout


def raise_open_file_limit() -> int:
    """Raise this process's soft open-file limit to the hard limit, as Owncast does before chat
    starts (each chat client holds a socket); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d: %s", soft, exc)
    return soft


def default_max_connections() -> int:
    """Owncast derives the chat connection limit from the open-file limit (70% of it)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 100_000
    return max(10, int(soft * 0.7))


class FrameFlusher:
    """Sends, in one pass, what every connection of an endpoint has queued.

    A transport with new events registers once; a single loop callback then walks all registered
    transports and writes one frame to each. The next pass waits ``ratio`` times as long as the
    last one took (at most ``interval`` seconds): a quiet chat delivers at once, while under load
    passes space out so each frame carries every event queued meanwhile, and flushing never takes
    more than ``1 / (1 + ratio)`` of the event loop. With 2,000 clients a pass takes 30-40 ms
    here; ``ratio`` trades CPU per delivery against latency (docs/performance.md, Chat).
    """

    __slots__ = ("_dirty", "_handle", "_interval", "_loop", "_next", "_ratio")

    def __init__(self, interval: float = 0.0, ratio: float = 0.75) -> None:
        self._interval = interval
        self._ratio = ratio
        self._dirty: list[AsgiWebSocketTransport] = []
        self._handle: asyncio.Handle | None = None
        self._next = float("-inf")
        self._loop: asyncio.AbstractEventLoop | None = None

    def mark(self, transport: AsgiWebSocketTransport) -> None:
        self._dirty.append(transport)
        loop = asyncio.get_running_loop()
        if self._handle is None or loop is not self._loop:  # (an app served again on a new loop)
            self._loop = loop
            delay = self._next - loop.time()
            self._handle = loop.call_later(delay, self._flush) if delay > 0 else loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._handle = None
        loop = self._loop
        started = loop.time() if loop is not None else 0.0
        dirty, self._dirty = self._dirty, []
        for transport in dirty:
            transport._flush()
        if loop is not None:
            ended = loop.time()
            self._next = ended + min(self._interval, (ended - started) * self._ratio)


async def _run_to_completion(coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
    """Finish a coroutine that was started by hand and suspended on ``yielded`` (what a Task
    would do): wait for each future it yields, then resume it."""
    while True:
        try:
            if yielded is None:
                await asyncio.sleep(0)
            elif isinstance(yielded, asyncio.Future):
                await asyncio.wait((yielded,))
            else:
                raise RuntimeError(f"unexpected value yielded by a send: {yielded!r}")
        except asyncio.CancelledError:
            with contextlib.suppress(BaseException):
                coro.throw(asyncio.CancelledError())
            raise
        try:
            yielded = coro.send(None)
        except StopIteration:
            return


class AsgiWebSocketTransport:
    """Implements ``owncast_core.ports.chat.ChatTransport`` over an ASGI websocket ``send``.

    ``send`` appends the event to a list and registers the transport with its ``FrameFlusher``;
    the flush writes everything queued as one frame joined by newlines. The write is started
    synchronously and, in the common case that the server's socket buffer has room, also
    finishes synchronously: no task, no future, no extra loop iteration per frame. Only a write
    that has to wait (a slow peer) continues in a task, which keeps sending until the queue is
    empty. More than ``limit`` queued events means the peer is not keeping up: the transport
    aborts (queue dropped, ``on_abort`` called so the endpoint stops reading and unregisters).
    """

    __slots__ = (
        "_busy",
        "_closing",
        "_done",
        "_flusher",
        "_limit",
        "_marked",
        "_on_abort",
        "_queue",
        "_send",
        "_task",
        "aborted",
    )

    def __init__(
        self,
        send: Send,
        *,
        limit: int = OUTBOUND_QUEUE_LIMIT,
        flusher: FrameFlusher | None = None,
        on_abort: Callable[[], None] | None = None,
    ) -> None:
        self._send = send
        self._limit = limit
        self._flusher = flusher if flusher is not None else FrameFlusher()
        self._on_abort = on_abort
        self._queue: list[str] = []
        self._marked = False
        self._busy = False
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.aborted = False
        self._done = asyncio.get_running_loop().create_future()

    # ChatTransport ------------------------------------------------------------------------------
    def send(self, frame: str) -> bool:
        if self._closing:
            return False
        queue = self._queue
        if len(queue) >= self._limit:
            log.info("dropping a chat client that cannot keep up (%d events queued)", len(queue))
            self.abort()
            return False
        queue.append(frame)
        if not self._marked and not self._busy:
            self._marked = True
            self._flusher.mark(self)
        return True

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        if not self._busy:
            self._busy = True
            self._task = asyncio.ensure_future(self._pump())

    @property
    def closed(self) -> bool:
        return self._closing

    # endpoint side ------------------------------------------------------------------------------
    def abort(self, *, notify: bool = True) -> None:
        """Stop now: drop what is queued, stop writing (the peer went away or is too slow).
        ``on_abort`` is called unless ``notify`` is false (the endpoint stopping by itself)."""
        if self.aborted:
            return
        self.aborted = True
        self._closing = True
        self._queue = []
        if self._task is not None:
            self._task.cancel()
        self._finished()
        if notify and self._on_abort is not None:
            self._on_abort()

    async def wait_closed(self) -> None:
        """Return once the close frame was sent (or the transport stopped)."""
        await asyncio.shield(self._done)

    # writing ------------------------------------------------------------------------------------
    def _take(self) -> Message:
        queue, self._queue = self._queue, []
        return {"type": "websocket.send", "text": queue[0] if len(queue) == 1 else "\n".join(queue)}

    def _flush(self) -> None:
        self._marked = False
        if self._busy or self.aborted or not self._queue:
            return
        coro = self._send(self._take())
        try:
            yielded = coro.send(None)  # type: ignore[attr-defined]
        except StopIteration:
            return
        except Exception as exc:
            self._failed(exc)
            return
        self._busy = True
        self._task = asyncio.ensure_future(self._pump(coro, yielded))

    async def _pump(self, started: Any = None, yielded: Any = None) -> None:
        try:
            if started is not None:
                await _run_to_completion(started, yielded)
            while self._queue and not self.aborted:
                await self._send(self._take())
            if self._closing and not self.aborted:
                await self._send({"type": "websocket.close", "code": 1000})
                self._finished()
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            self._failed(exc)
        finally:
            self._busy = False
            self._task = None

    def _failed(self, exc: Exception) -> None:
        """The peer vanished mid-write: stop writing (the endpoint sees the disconnect)."""
        log.debug("chat write failed: %s", exc)
        self._closing = True
        self._queue = []
        self._finished()

    def _finished(self) -> None:
        if not self._done.done():
            self._done.set_result(None)


class ChatSocketEndpoint:
    """The raw ASGI app mounted at ``/ws`` (websocket scope)."""

    def __init__(
        self, *, chat: ChatService, max_connections: int | None = None, frame_interval: float = 0.0
    ) -> None:
        self._chat = chat
        self._max = max_connections if max_connections is not None else default_max_connections()
        self._flusher = FrameFlusher(frame_interval)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chat = self._chat
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        ip = client_ip(scope.get("client"), headers.get("x-forwarded-for"))
        await receive()  # websocket.connect
        if chat.chat_disabled():
            await _refuse_with_text(scope, send, EventType.CHAT_DISABLED)
            return
        if await chat.ip_banned(ip):
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        if chat.connection_count() >= self._max:
            log.warning("rejecting a chat connection: the limit of %d connections is reached", self._max)
            await _refuse_with_text(scope, send, EventType.ERROR_MAX_CONNECTIONS_EXCEEDED)
            return
        await send({"type": "websocket.accept"})
        reader = asyncio.current_task()

        def stop_reading() -> None:
            if reader is not None:
                reader.cancel()

        transport = AsgiWebSocketTransport(send, flusher=self._flusher, on_abort=stop_reading)
        token = _query_value(scope.get("query_string", b""), "accessToken")
        client = await chat.connect(token, transport, ip_address=ip, user_agent=headers.get("user-agent", ""))
        if client is None:
            await transport.wait_closed()
            return
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.receive":
                    text = message.get("text")
                    await chat.receive(client, text if text is not None else (message.get("bytes") or b""))
                elif kind == "websocket.disconnect":
                    break
        except asyncio.CancelledError:
            if not transport.aborted:
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        finally:
            transport.abort(notify=False)
            await chat.disconnected(client)


def _query_value(query: bytes, name: str) -> str | None:
    values = parse_qs(query.decode("latin-1"), keep_blank_values=True).get(name)
    return values[0] if values else None


async def _refuse_with_text(scope: Scope, send: Send, text: str) -> None:
    """Answer the upgrade request with a plain 200 text body (Owncast writes it unupgraded)."""
    if "websocket.http.response" in scope.get("extensions", {}):
        body = text.encode()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1013})


class ChatSocketShortcut:
    """ASGI middleware: ``/ws`` websocket connections go straight to the chat endpoint.

    Starlette's exception middleware wraps every ``send`` of a websocket in a closure; chat
    fan-out sends a frame per client per message, so the chat socket skips that layer.
    """

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], endpoint: ChatSocketEndpoint
    ) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope.get("path") == "/ws":
            await self.endpoint(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def routes(
    *,
    chat: ChatService,
    max_connections: int | None = None,
    frame_interval: float = 0.0,
    endpoint: ChatSocketEndpoint | None = None,
) -> list[BaseRoute]:
    """``/ws`` (websocket and plain GET). Pass ``endpoint`` to share it with ``ChatSocketShortcut``."""
    if endpoint is None:
        endpoint = ChatSocketEndpoint(
            chat=chat, max_connections=max_connections, frame_interval=frame_interval
        )

    async def plain_get(request: Request) -> Response:
        """``GET /ws`` without an upgrade: Owncast answers chat-disabled or a bad request."""
        if chat.chat_disabled():
            return PlainTextResponse(EventType.CHAT_DISABLED)
        return PlainTextResponse("Bad Request", status_code=400)

    return [WebSocketRoute("/ws", endpoint), Route("/ws", plain_get, methods=["GET"])]
