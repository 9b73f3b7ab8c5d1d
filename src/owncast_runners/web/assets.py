"""Small public files: ``/robots.txt``, ``/thumbnail.jpg``, ``/preview.gif``, ``/logo``,
``/favicon.ico``."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.config import Keys
from owncast_core.domain.stream import preview_path_for
from owncast_core.services.config import ConfigService

ROBOTS = "User-agent: *\nDisallow: /admin\nDisallow: /api"


RASTER_ICON_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def default_logo() -> tuple[bytes, str]:
    """The logo shipped in the package (used when the streamer has not uploaded one)."""
    data = resources.files("owncast_runners").joinpath("assets/img/logo.svg").read_bytes()
    return data, "image/svg+xml"


async def _read_file(path: Path) -> bytes | None:
    try:
        return await asyncio.to_thread(path.read_bytes)
    except OSError:
        return None


def routes(*, config: ConfigService, data_dir: Path, thumbnail_path: Path) -> list[BaseRoute]:
    logo_default = default_logo()

    async def logo_bytes() -> tuple[bytes, str]:
        name = config.string(Keys.LOGO)
        if name:
            body = await _read_file(data_dir / Path(name).name)
            if body is not None:
                return body, _image_type(name)
        return logo_default

    async def robots(request: Request) -> Response:
        text = ROBOTS + ("\nDisallow: /" if config.flag(Keys.DISABLE_SEARCH_INDEXING) else "")
        return PlainTextResponse(text)

    preview_path = Path(preview_path_for(str(thumbnail_path)))

    async def snapshot(path: Path, media_type: str) -> Response:
        """The transcoder's latest image, or the logo while there is none yet."""
        body = await _read_file(path)
        if body is not None:
            return Response(body, media_type=media_type, headers={"Cache-Control": "no-cache"})
        data, kind = await logo_bytes()
        return Response(data, media_type=kind, headers={"Cache-Control": "no-cache"})

    async def thumbnail(request: Request) -> Response:
        return await snapshot(thumbnail_path, "image/jpeg")

    async def preview(request: Request) -> Response:
        return await snapshot(preview_path, "image/gif")

    async def logo(request: Request) -> Response:
        data, kind = await logo_bytes()
        return Response(data, media_type=kind, headers={"Cache-Control": "public, max-age=60"})

    icon_default = resources.files("owncast_runners").joinpath("assets/img/logo.png").read_bytes()

    async def favicon(request: Request) -> Response:
        """What browsers and feed readers ask for by habit: the streamer's logo when it is a
        raster image (an SVG at ``.ico`` confuses older clients), else the bundled PNG logo."""
        data, kind = await logo_bytes()
        if kind not in RASTER_ICON_TYPES:
            data, kind = icon_default, "image/png"
        return Response(data, media_type=kind, headers={"Cache-Control": "public, max-age=60"})

    return [
        Route("/robots.txt", robots, methods=["GET"]),
        Route("/thumbnail.jpg", thumbnail, methods=["GET"]),
        Route("/preview.gif", preview, methods=["GET"]),
        Route("/logo", logo, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
    ]


def _image_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
            ".svg": "image/svg+xml", ".webp": "image/webp"}.get(suffix, "application/octet-stream")
