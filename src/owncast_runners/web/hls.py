"""``/hls/*``: playlists and segments from the current ``VideoStorage``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.errors import NotFoundError
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_runners.web.responses import client_ip

PLAYLIST_HEADERS = {
    "Cache-Control": "no-cache, no-store, must-revalidate",
    "Access-Control-Allow-Origin": "*",
}
SEGMENT_HEADERS = {"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}


def routes(*, stream: StreamService, viewers: ViewerService) -> list[BaseRoute]:
    async def hls(request: Request) -> Response:
        path = request.path_params["path"]
        try:
            item = await stream.storage.get(path)
        except NotFoundError:
            return PlainTextResponse("404 page not found", status_code=404)
        if path.endswith(".m3u8"):
            viewers.seen(client_ip(request.scope.get("client"), request.headers.get("x-forwarded-for")),
                         request.headers.get("user-agent", ""))
            headers = PLAYLIST_HEADERS
        else:
            headers = SEGMENT_HEADERS
        return Response(item.body, media_type=item.content_type, headers=headers)

    return [Route("/hls/{path:path}", hls, methods=["GET", "HEAD"])]
