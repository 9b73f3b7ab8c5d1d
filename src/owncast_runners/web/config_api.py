"""Public configuration routes: ``/api/config``, ``/api/yp``, ``/api/socialplatforms``,
``/logo/external`` (reference §1.2, §1.6)."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.config import Keys
from owncast_core.domain.notifications import DISCORD_AVATAR_PATH
from owncast_core.domain.social import SOCIAL_PLATFORMS
from owncast_core.services.config import ConfigService
from owncast_core.services.config_views import ConfigViews
from owncast_runners.web.responses import CORS_ANY, NO_CACHE, json_response

_EXTERNAL_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}


def default_external_logo() -> bytes:
    """The packaged PNG logo used where SVG is not accepted (social previews)."""
    return resources.files("owncast_runners").joinpath("assets/img/logo.png").read_bytes()


def routes(*, views: ConfigViews, config: ConfigService, data_dir: Path) -> list[BaseRoute]:
    fallback = default_external_logo()

    async def web_config(request: Request) -> Response:
        return json_response(await views.web_config(), headers={**NO_CACHE, **CORS_ANY})

    async def directory(request: Request) -> Response:
        doc = views.directory()
        if doc is None:
            return Response(status_code=404)
        return json_response(doc, headers=CORS_ANY)

    async def social_platforms(request: Request) -> Response:
        return json_response({k: dict(v) for k, v in SOCIAL_PLATFORMS.items()}, headers=CORS_ANY)

    async def external_logo(request: Request) -> Response:
        """The uploaded logo when it is PNG/JPEG/GIF (what social sites accept), else a PNG."""
        name = Path(config.string(Keys.LOGO)).name
        kind = _EXTERNAL_TYPES.get(Path(name).suffix.lower())
        if name and kind:
            try:
                body = await asyncio.to_thread((data_dir / name).read_bytes)
                return Response(body, media_type=kind, headers={"Cache-Control": "public, max-age=60"})
            except OSError:
                pass
        return Response(fallback, media_type="image/png", headers={"Cache-Control": "public, max-age=60"})

    async def owncast_logo(request: Request) -> Response:
        """Owncast's own logo at the path its web UI ships it (the Discord go-live avatar)."""
        return Response(fallback, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})

    return [
        Route(DISCORD_AVATAR_PATH, owncast_logo, methods=["GET"]),
        Route("/api/config", web_config, methods=["GET"]),
        Route("/api/yp", directory, methods=["GET"]),
        Route("/api/socialplatforms", social_platforms, methods=["GET"]),
        Route("/logo/external", external_logo, methods=["GET"]),
    ]
