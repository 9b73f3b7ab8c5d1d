"""The web application: pages, embeds, the admin app and static files (reference §1.6).

Files come from two roots, first match wins: ``<data>/web/`` (on-disk static assets: drop a file
there to override the shipped one at the same path) and the package's ``assets/`` (embedded
static assets). ``/public/*`` serves ``<data>/public/`` as is. ``/serviceworker.js`` (the viewer
page's push notifications) is the web file ``js/serviceworker.js``, served from the root so that
its scope is the whole site. Paths no other route claims fall through to ``static_fallback`` (the
router's default app), so API routes always win and a wrong method on them still gets its 405.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path, PurePosixPath

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from owncast_core.domain.config import Keys
from owncast_core.services.config import ConfigService
from owncast_runners.web.auth import require_admin
from owncast_runners.web.responses import NO_CACHE

OVERRIDE_DIR = "web"
PUBLIC_DIR = "public"

# The streamer's page content, offline message and external actions may show images, video and
# frames from anywhere; scripts only ever come from this origin (that includes the configured
# custom JavaScript at /customjavascript). Inline styles stay allowed for the streamer's markup.
VIEWER_CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https: http:",
    "media-src 'self' data: blob: https: http:",
    "connect-src 'self' ws: wss: https: http:",
    "frame-src 'self' https: http:",
    "worker-src 'self' blob:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
))
ADMIN_CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https: http:",
    "connect-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
}
# Code and pages are revalidated on every load (cheap 304s via ETag), so an upgrade or an
# override shows at once; images and fonts may be cached for a day.
REVALIDATE = "no-cache"
LONG_CACHE = "public, max-age=86400"
REVALIDATED_SUFFIXES = frozenset({".html", ".js", ".mjs", ".css", ".json", ".map", ".webmanifest", ".txt"})

PAGES = {
    "/": "index.html",
    "/embed/video": "embed/video.html",
    "/embed/chat/readonly": "embed/chat.html",
    "/embed/chat/readwrite": "embed/chat.html",
}
SERVICE_WORKER_PATH = "/serviceworker.js"
SERVICE_WORKER_FILE = "js/serviceworker.js"


def embedded_assets_dir() -> Path:
    """The web assets shipped inside the package."""
    return Path(str(resources.files("owncast_runners").joinpath("assets")))


def content_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def cache_control(name: str) -> str:
    return REVALIDATE if PurePosixPath(name).suffix.lower() in REVALIDATED_SUFFIXES else LONG_CACHE


def safe_relative(path: str) -> str | None:
    """``path`` as a clean relative path, or ``None`` if it could leave its root."""
    if "\\" in path or "\x00" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


class WebFiles:
    """Looks a relative path up in several roots, first match wins; never leaves a root."""

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots = tuple(roots)

    def _find(self, relative: str) -> tuple[Path, os.stat_result] | None:
        for root in self.roots:
            candidate = root / relative
            try:
                resolved = candidate.resolve(strict=True)
                if not resolved.is_relative_to(root.resolve()):
                    continue
                info = resolved.stat()
            except OSError:
                continue
            if resolved.is_file():
                return resolved, info
        return None

    def _find_first(self, paths: tuple[str, ...]) -> tuple[Path, os.stat_result] | None:
        for path in paths:
            relative = safe_relative(path)
            found = self._find(relative) if relative else None
            if found is not None:
                return found
        return None

    async def response(self, request: Request, *paths: str, csp: str) -> Response:
        """The first of ``paths`` found, with its content type, cache policy, ETag (304 when it
        matches) and security headers; a plain 404 when no root has any of them."""
        found = await asyncio.to_thread(self._find_first, paths)
        if found is None:
            return not_found()
        file_path, info = found
        headers = {
            "Cache-Control": cache_control(file_path.name),
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
        }
        response = FileResponse(file_path, headers=headers, media_type=content_type(file_path.name),
                                stat_result=info)
        etag = response.headers["etag"]
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers={**headers, "ETag": etag})
        return response


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def not_found() -> Response:
    return PlainTextResponse("404 page not found", status_code=404)


def routes(*, config: ConfigService, data_dir: Path) -> list[BaseRoute]:
    files = WebFiles((data_dir / OVERRIDE_DIR, embedded_assets_dir()))
    public = WebFiles((data_dir / PUBLIC_DIR,))
    admin = require_admin(config)

    async def page(request: Request) -> Response:
        return await files.response(request, PAGES[request.url.path], csp=VIEWER_CSP)

    async def embed_chat(request: Request) -> Response:
        return RedirectResponse("/embed/chat/readonly", status_code=307)

    async def admin_redirect(request: Request) -> Response:
        return RedirectResponse("/admin/", status_code=301)

    @admin
    async def admin_app(request: Request) -> Response:
        path = request.path_params.get("path") or "index.html"
        return await files.response(request, "admin/" + path, csp=ADMIN_CSP)

    async def platform_logo(request: Request) -> Response:
        # Shipped (or overridden) icons first, then the brand icons the npm build vendored,
        # then a generic link icon, so a social link never shows a broken image.
        name = request.path_params["name"]
        return await files.response(request, f"img/platformlogos/{name}", f"vendor/platformlogos/{name}",
                                    "img/platformlogos/link.svg", csp=VIEWER_CSP)

    async def public_file(request: Request) -> Response:
        return await public.response(request, request.path_params["path"], csp=VIEWER_CSP)

    async def service_worker(request: Request) -> Response:
        return await files.response(request, SERVICE_WORKER_FILE, csp=VIEWER_CSP)

    async def custom_javascript(request: Request) -> Response:
        return Response(config.string(Keys.CUSTOM_JAVASCRIPT), media_type=CONTENT_TYPES[".js"],
                        headers={**NO_CACHE, "X-Content-Type-Options": "nosniff"})

    return [
        *(Route(path, page, methods=["GET"]) for path in PAGES),
        Route("/embed/chat", embed_chat, methods=["GET"]),
        Route("/admin", admin_redirect, methods=["GET"]),
        Route("/admin/{path:path}", admin_app, methods=["GET"]),
        Route("/img/platformlogos/{name}", platform_logo, methods=["GET"]),
        Route("/public/{path:path}", public_file, methods=["GET"]),
        Route("/customjavascript", custom_javascript, methods=["GET"]),
        Route(SERVICE_WORKER_PATH, service_worker, methods=["GET"]),
    ]


def static_fallback(*, data_dir: Path) -> ASGIApp:
    """The router's default app: any other GET/HEAD path is looked up in the web files."""
    files = WebFiles((data_dir / OVERRIDE_DIR, embedded_assets_dir()))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await send({"type": "websocket.close"})  # an unknown websocket path: refused
            return
        request = Request(scope, receive)
        if request.method in ("GET", "HEAD") and not request.url.path.startswith("/admin"):
            response = await files.response(request, request.url.path, csp=VIEWER_CSP)
        else:
            response = not_found()
        await response(scope, receive, send)

    return app
