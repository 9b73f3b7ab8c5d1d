"""Public status routes: ``/api/status``, ``/api/video/variants``, ``/api/ping``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core import __version__
from owncast_core.domain.config import Keys
from owncast_core.ports.clock import Clock
from owncast_core.services.config import ConfigService
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_runners.web.responses import CORS_ANY, NO_CACHE, client_ip, go_time, json_response


def status_payload(stream: StreamService, config: ConfigService, viewers: ViewerService,
                   clock: Clock) -> dict[str, Any]:
    """Owncast's ``/api/status`` object."""
    state = stream.status()
    payload: dict[str, Any] = {
        "online": state.online,
        "viewerCount": viewers.count(),
        "lastConnectTime": go_time(state.last_connect_time),
        "lastDisconnectTime": go_time(state.last_disconnect_time),
        "serverTime": go_time(clock.now()),
        "versionNumber": __version__,
        "streamTitle": config.string(Keys.STREAM_TITLE),
    }
    if config.flag(Keys.HIDE_VIEWER_COUNT):
        del payload["viewerCount"]
    return payload


def routes(*, stream: StreamService, config: ConfigService, viewers: ViewerService,
           clock: Clock) -> list[BaseRoute]:
    async def api_status(request: Request) -> Response:
        return json_response(status_payload(stream, config, viewers, clock), headers={**NO_CACHE, **CORS_ANY})

    async def api_variants(request: Request) -> Response:
        variants = [{"index": i, "name": v.display_name} for i, v in enumerate(config.variants())]
        return json_response(variants, headers=CORS_ANY)

    async def api_ping(request: Request) -> Response:
        viewers.seen(client_ip(request.scope.get("client"), request.headers.get("x-forwarded-for")),
                     request.headers.get("user-agent", ""))
        return Response(status_code=200, headers=CORS_ANY)

    return [
        Route("/api/status", api_status, methods=["GET"]),
        Route("/api/video/variants", api_variants, methods=["GET"]),
        Route("/api/ping", api_ping, methods=["GET"]),
    ]
