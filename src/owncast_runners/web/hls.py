"""``/hls/*``: playlists and segments from the current ``VideoStorage``.

Served by a raw ASGI shortcut in front of Starlette's router: HLS is the hot path (every viewer
fetches a playlist every segment length and every segment once), and skipping the request
object, the route table and the exception layer roughly doubles the request rate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from owncast_core.errors import NotFoundError
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_runners.web.responses import client_ip

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/hls/"
_CORS = (b"access-control-allow-origin", b"*")
PLAYLIST_HEADERS = [(b"cache-control", b"no-cache, no-store, must-revalidate"), _CORS]
SEGMENT_HEADERS = [(b"cache-control", b"public, max-age=3600"), _CORS]
NOT_FOUND = b"404 page not found"


class HlsShortcut:
    """ASGI middleware answering ``GET``/``HEAD /hls/<path>`` from ``stream.storage``.

    Playlists: ``application/x-mpegURL``, no-cache, CORS ``*``, and the requester is marked an
    active viewer. Segments: cacheable for an hour (names are unique per broadcast), CORS ``*``.
    Anything the storage does not serve: 404. Other methods: 405. Other paths go to ``app``.
    """

    def __init__(self, app: ASGIApp, *, stream: StreamService, viewers: ViewerService) -> None:
        self.app = app
        self._stream = stream
        self._viewers = viewers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, b"text/plain", [(b"allow", b"GET, HEAD")], b"method not allowed", True)
            return
        relative = path[len(PREFIX):]
        try:
            item = await self._stream.storage.get(relative)
        except NotFoundError:
            await _respond(send, 404, b"text/plain; charset=utf-8", [], NOT_FOUND, method == "GET")
            return
        if relative.endswith(".m3u8"):
            self._mark_viewer(scope)
            extra = PLAYLIST_HEADERS
        else:
            extra = SEGMENT_HEADERS
        await _respond(send, 200, item.content_type.encode(), extra, item.body, method == "GET")

    def _mark_viewer(self, scope: Scope) -> None:
        forwarded = agent = None
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                forwarded = value.decode("latin-1")
            elif name == b"user-agent":
                agent = value.decode("latin-1")
        self._viewers.seen(client_ip(scope.get("client"), forwarded), agent or "")


async def _respond(send: Send, status: int, content_type: bytes, extra: list[tuple[bytes, bytes]],
                   body: bytes, with_body: bool) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body if with_body else b""})
