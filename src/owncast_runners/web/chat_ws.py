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
import logging
import resource
from collections.abc import Awaitable, Callable, MutableMapping
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

PING_INTERVAL_SECONDS = 54.0
READ_TIMEOUT_SECONDS = 60.0

log = logging.getLogger("owncast.chat.ws")


def configure_hypercorn(config: Any, *, ping_interval: float = PING_INTERVAL_SECONDS,
                        read_timeout: float = READ_TIMEOUT_SECONDS) -> None:
    """Owncast's keepalive on a Hypercorn config: ping every 54 s; a connection that sends
    nothing (not even a pong) for 60 s is closed."""
    config.websocket_ping_interval = ping_interval
    config.read_timeout = read_timeout


def default_max_connections() -> int:
    """Owncast derives the chat connection limit from the open-file limit (70% of it)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 100_000
    return max(10, int(soft * 0.7))


class AsgiWebSocketTransport:
    """Implements ``owncast_core.ports.chat.ChatTransport`` over an ASGI websocket ``send``.

    ``send`` appends to a list and wakes the writer; the writer sends everything queued as one
    frame joined by newlines. More than ``limit`` queued events means the peer is not keeping
    up: the transport aborts (queue dropped, writer cancelled, ``on_abort`` called so the
    endpoint stops). ``frame_interval`` > 0 makes the writer wait that long after each frame,
    packing more events per frame under load (latency bounded by the interval).
    """

    __slots__ = ("_closing", "_done", "_frame_interval", "_limit", "_on_abort", "_queue", "_send", "_wake",
                 "_writer", "aborted")

    def __init__(self, send: Send, *, limit: int = OUTBOUND_QUEUE_LIMIT, frame_interval: float = 0.0,
                 on_abort: Callable[[], None] | None = None) -> None:
        self._send = send
        self._limit = limit
        self._frame_interval = frame_interval
        self._on_abort = on_abort
        self._queue: list[str] = []
        self._wake: asyncio.Future[None] | None = None
        self._closing = False
        self.aborted = False
        self._done = asyncio.get_running_loop().create_future()
        self._writer = asyncio.ensure_future(self._write_loop())

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
        wake = self._wake
        if wake is not None:
            self._wake = None
            wake.set_result(None)
        return True

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        wake = self._wake
        if wake is not None:
            self._wake = None
            wake.set_result(None)

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
        self._writer.cancel()
        if not self._done.done():
            self._done.set_result(None)
        if notify and self._on_abort is not None:
            self._on_abort()

    async def wait_closed(self) -> None:
        """Return once the writer has sent the close frame (or stopped)."""
        await asyncio.shield(self._done)

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                queue = self._queue
                if queue:
                    self._queue = []
                    text = queue[0] if len(queue) == 1 else "\n".join(queue)
                    await self._send({"type": "websocket.send", "text": text})
                    if self._frame_interval > 0:
                        await asyncio.sleep(self._frame_interval)
                    continue
                if self._closing:
                    break
                wake = loop.create_future()
                self._wake = wake
                await wake
            await self._send({"type": "websocket.close", "code": 1000})
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # the peer vanished mid-send: the endpoint sees the disconnect
            log.debug("chat write failed: %s", exc)
        finally:
            self._closing = True
            if not self._done.done():
                self._done.set_result(None)


class ChatSocketEndpoint:
    """The raw ASGI app mounted at ``/ws`` (websocket scope)."""

    def __init__(self, *, chat: ChatService, max_connections: int | None = None,
                 frame_interval: float = 0.0) -> None:
        self._chat = chat
        self._max = max_connections if max_connections is not None else default_max_connections()
        self._frame_interval = frame_interval

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
        transport = AsgiWebSocketTransport(send, frame_interval=self._frame_interval,
                                           on_abort=reader.cancel if reader is not None else None)
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
        await send({"type": "websocket.http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1013})


def routes(*, chat: ChatService, max_connections: int | None = None, frame_interval: float = 0.0) -> list[BaseRoute]:
    endpoint = ChatSocketEndpoint(chat=chat, max_connections=max_connections, frame_interval=frame_interval)

    async def plain_get(request: Request) -> Response:
        """``GET /ws`` without an upgrade: Owncast answers chat-disabled or a bad request."""
        if chat.chat_disabled():
            return PlainTextResponse(EventType.CHAT_DISABLED)
        return PlainTextResponse("Bad Request", status_code=400)

    return [WebSocketRoute("/ws", endpoint), Route("/ws", plain_get, methods=["GET"])]
