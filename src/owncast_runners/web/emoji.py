"""Custom emoji: ``GET /api/emoji``, ``/img/emoji/*`` and the admin upload/delete routes."""

from __future__ import annotations

from pathlib import PurePosixPath

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.config_rules import decode_image_data_uri
from owncast_core.errors import NotFoundError, StorageError, ValidationError
from owncast_core.ports.emoji import EmojiStore
from owncast_core.services.config import ConfigService
from owncast_runners.web.auth import require_admin
from owncast_runners.web.chat_api import json_body
from owncast_runners.web.responses import CORS_ANY, json_response, simple

CACHE = {"Cache-Control": "public, max-age=300"}
# Uploaded images (SVG included) are served as inert files: no scripts, no sniffing.
FILE_HEADERS = {
    **CACHE,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
}


def routes(*, emoji: EmojiStore, config: ConfigService) -> list[BaseRoute]:
    admin = require_admin(config)

    async def emoji_list(request: Request) -> Response:
        return json_response([e.to_json() for e in await emoji.list()], headers={**CACHE, **CORS_ANY})

    async def emoji_file(request: Request) -> Response:
        try:
            found = await emoji.get(request.path_params["path"])
        except NotFoundError:
            return Response("404 page not found", status_code=404, media_type="text/plain")
        return Response(found.body, media_type=found.content_type, headers=FILE_HEADERS)

    @admin
    async def upload(request: Request) -> Response:
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        body = await json_body(request)
        if not isinstance(body, dict):
            return simple(False, "invalid request body")
        if body.get("data") is None:
            return simple(False, "data field is required")
        if not isinstance(body.get("name"), str):
            return simple(False, "name field is required")
        try:
            image = decode_image_data_uri(body["data"])
            name = body["name"]
            if not PurePosixPath(name.replace("\\", "/")).suffix:
                # chat keeps only emoji <img> whose path has an extension (Owncast's sanitiser)
                name += image.extension
            added = await emoji.add(name, image.data)
        except (ValidationError, StorageError) as exc:
            return simple(False, str(exc))
        return simple(True, f'Emoji "{added.path}" has been uploaded')

    @admin
    async def delete(request: Request) -> Response:
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        body = await json_body(request)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str):
            return simple(False, "name field is required")
        try:
            await emoji.delete(name)
        except NotFoundError:
            return simple(False, f'Emoji "{name}" doesn\'t exist')
        except (ValidationError, StorageError) as exc:
            return simple(False, str(exc))
        return simple(True, f'Emoji "{name}" has been deleted')

    return [
        Route("/api/emoji", emoji_list, methods=["GET"]),
        Route("/img/emoji/{path:path}", emoji_file, methods=["GET"]),
        Route("/api/admin/emoji/upload", upload, methods=["GET", "POST"]),
        Route("/api/admin/emoji/delete", delete, methods=["GET", "POST"]),
    ]
