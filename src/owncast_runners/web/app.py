"""The Starlette application: every route module assembled, nothing else."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from owncast_core.ports.clock import Clock
from owncast_core.services.config import ConfigService
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_runners.web import admin, assets, hls, pages, status


def create_app(
    *,
    stream: StreamService,
    config: ConfigService,
    viewers: ViewerService,
    clock: Clock,
    data_dir: Path,
    thumbnail_path: Path,
) -> Starlette:
    """Build the web app from resolved services (the container calls this)."""
    route_list: list[BaseRoute] = [
        *status.routes(stream=stream, config=config, viewers=viewers, clock=clock),
        *hls.routes(stream=stream, viewers=viewers),
        *assets.routes(config=config, data_dir=data_dir, thumbnail_path=thumbnail_path),
        *admin.routes(stream=stream, config=config),
        *pages.routes(config=config, data_dir=data_dir),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("404 page not found", status_code=404)

    app = Starlette(routes=route_list, exception_handlers={404: not_found})
    app.router.default = pages.static_fallback(data_dir=data_dir)  # web files for unrouted paths
    return app
