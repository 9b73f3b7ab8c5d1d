"""Admin routes of the video path (``/api/admin/disconnect``); more arrive with the admin API."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.services.config import ConfigService
from owncast_core.services.stream import StreamService
from owncast_runners.web.auth import require_admin
from owncast_runners.web.responses import simple


def routes(*, stream: StreamService, config: ConfigService) -> list[BaseRoute]:
    admin = require_admin(config)

    @admin
    async def disconnect(request: Request) -> Response:
        if await stream.disconnect():
            return simple(True, "inbound stream disconnected")
        return simple(False, "no inbound stream connected")

    return [Route("/api/admin/disconnect", disconnect, methods=["GET", "POST"])]
