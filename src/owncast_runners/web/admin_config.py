"""Admin configuration routes: ``GET /api/admin/serverconfig`` and every
``POST /api/admin/config/<name>`` setter (reference §1.5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain import jsontext
from owncast_core.errors import NotFoundError, StorageError, ValidationError
from owncast_core.services.admin_config import SETTER_NAMES, AdminConfigService
from owncast_core.services.config import ConfigService
from owncast_core.services.config_views import ConfigViews
from owncast_runners.web.auth import require_admin
from owncast_runners.web.responses import NO_CACHE, json_response, simple

MAX_SETTER_BODY = 16 * 1024 * 1024  # a logo data URI is the largest legitimate value


def routes(*, admin: AdminConfigService, views: ConfigViews, config: ConfigService) -> list[BaseRoute]:
    guard = require_admin(config)

    @guard
    async def server_config(request: Request) -> Response:
        return json_response(await views.server_config(), headers=NO_CACHE)

    @guard
    async def setter(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in SETTER_NAMES:
            return PlainTextResponse("404 page not found", status_code=404)
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        raw = await request.body()
        if len(raw) > MAX_SETTER_BODY:
            return simple(False, "value is too large")
        try:
            body = jsontext.loads(raw) if raw.strip() else None
        except ValueError:
            return simple(False, "unable to parse new value")
        try:
            message = await admin.apply(name, body)
        except ValidationError as exc:
            return simple(False, str(exc))
        except NotFoundError:
            return PlainTextResponse("404 page not found", status_code=404)
        except StorageError as exc:
            return simple(False, f"could not save: {exc}")
        return simple(True, message)

    return [
        Route("/api/admin/serverconfig", server_config, methods=["GET"]),
        Route("/api/admin/config/{name:path}", setter, methods=["GET", "POST", "PUT", "DELETE"]),
    ]
