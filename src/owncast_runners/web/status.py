"""Public status routes: ``/api/status``, ``/api/video/variants``, ``/api/ping``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.ports.clock import Clock
from owncast_core.services.config import ConfigService
from owncast_core.services.status import StatusService
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_runners.web.responses import CORS_ANY, NO_CACHE, client_ip, json_response


def routes(*, stream: StreamService, config: ConfigService, viewers: ViewerService,
           clock: Clock) -> list[BaseRoute]:
    status = StatusService(stream=stream, viewers=viewers, config=config, clock=clock)

    async def api_status(request: Request) -> Response:
        return json_response(status.public_status(), headers={**NO_CACHE, **CORS_ANY})

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
