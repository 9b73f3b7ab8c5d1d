"""``/hls/*``: playlists and segments from the current ``VideoStorage``.

HLS is the hot path (every viewer fetches a playlist every segment length and every segment
once), so it is served twice over, from one definition of the answer (``lookup``):

- ``HlsShortcut``, a raw ASGI middleware in front of Starlette's router (skipping the request
  object, the route table and the exception layer roughly doubles the request rate); this is what
  answers when the app runs under any ASGI server, and in the app's own tests;
- ``owncast_runners.web.hls_front``, which answers on the listening sockets themselves before
  Hypercorn sees the connection (what ``owncast serve`` uses).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from owncast_core.errors import NotFoundError
from owncast_core.ports.video import HlsFile, VideoStorage
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_runners.web.responses import client_ip

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = tuple[tuple[bytes, bytes], ...]

PREFIX = "/hls/"
_CORS = (b"access-control-allow-origin", b"*")
PLAYLIST_HEADERS: Headers = ((b"cache-control", b"no-cache, no-store, must-revalidate"), _CORS)
SEGMENT_HEADERS: Headers = ((b"cache-control", b"public, max-age=3600"), _CORS)
NOT_FOUND = b"404 page not found"


@dataclass(frozen=True, slots=True)
class HlsReply:
    """The whole answer to ``GET``/``HEAD /hls/<relative>``.

    ``headers`` start with content-type and content-length (of ``body``, also for ``HEAD``, which
    sends no body). ``viewer`` is true for a served playlist: the requester counts as watching.
    """

    status: int
    headers: Headers
    body: bytes
    viewer: bool = False


def make_reply(status: int, content_type: bytes, extra: Headers, body: bytes,
               viewer: bool = False) -> HlsReply:
    """A reply whose headers are content-type and content-length, then ``extra``."""
    return HlsReply(status, ((b"content-type", content_type), (b"content-length", b"%d" % len(body)), *extra),
                    body, viewer)


NOT_FOUND_REPLY = make_reply(404, b"text/plain; charset=utf-8", (), NOT_FOUND)
METHOD_NOT_ALLOWED_REPLY = make_reply(405, b"text/plain", ((b"allow", b"GET, HEAD"),), b"method not allowed")


def found(relative: str, item: HlsFile) -> HlsReply:
    """Playlists: no-cache, CORS ``*``, mark the viewer. Segments: cacheable for an hour (names
    are unique per broadcast), CORS ``*``."""
    if relative.endswith(".m3u8"):
        return make_reply(200, item.content_type.encode(), PLAYLIST_HEADERS, item.body, viewer=True)
    return make_reply(200, item.content_type.encode(), SEGMENT_HEADERS, item.body)


async def lookup(storage: VideoStorage, relative: str) -> HlsReply:
    """The reply for ``relative`` (the path after ``/hls/``): the file, or 404 when the storage
    does not serve it. Other storage errors propagate. Completes without suspending whenever
    ``storage.get`` does (``hls_front`` relies on that to answer without a task)."""
    try:
        item = await storage.get(relative)
    except NotFoundError:
        return NOT_FOUND_REPLY
    return found(relative, item)


def viewer_identity(peer: tuple[str, int] | None, headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str]:
    """``(client ip, user agent)`` of a request: ``X-Forwarded-For``'s first address if present,
    else the socket peer. ``headers`` are ``(lower-case name, value)`` pairs; the last one wins."""
    forwarded = agent = None
    for name, value in headers:
        if name == b"x-forwarded-for":
            forwarded = value.decode("latin-1")
        elif name == b"user-agent":
            agent = value.decode("latin-1")
    return client_ip(peer, forwarded), agent or ""


class HlsShortcut:
    """ASGI middleware answering ``GET``/``HEAD /hls/<path>`` from ``stream.storage`` (see
    ``found``; anything the storage does not serve: 404). Other methods: 405. Other paths go
    to ``app``."""

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
            reply = METHOD_NOT_ALLOWED_REPLY
        else:
            reply = await lookup(self._stream.storage, path[len(PREFIX):])
        if reply.viewer:
            self._viewers.seen(*viewer_identity(scope.get("client"), scope.get("headers", ())))
        await send({"type": "http.response.start", "status": reply.status, "headers": list(reply.headers)})
        await send({"type": "http.response.body", "body": reply.body if method != "HEAD" else b""})
