"""Response helpers shared by the route modules (Owncast's JSON conventions, §1.1)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from owncast_core.domain.timefmt import go_time

__all__ = ["CORS_ANY", "NO_CACHE", "bad_request", "client_ip", "go_time", "internal_error", "json_response",
           "not_found", "simple"]

NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache", "Expires": "0"}
CORS_ANY = {"Access-Control-Allow-Origin": "*"}


def json_response(payload: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(payload, status_code=status, headers=headers)


def simple(success: bool, message: str) -> Response:
    """Owncast's ``{"success", "message"}`` reply: 200 on success, 400 otherwise."""
    return JSONResponse({"success": success, "message": message}, status_code=200 if success else 400)


def bad_request(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


def not_found(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=404)


def conflict(message: str) -> Response:
    """409: the request cannot be met with the current configuration (the message says what to change)."""
    return JSONResponse({"error": message}, status_code=409)


def internal_error(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=500)


def client_ip(scope_client: tuple[str, int] | None, forwarded_for: str | None) -> str:
    """``X-Forwarded-For``'s first address if present, else the socket peer (Owncast §1.1)."""
    if forwarded_for:
        first = forwarded_for.split(",", 1)[0].strip()
        if first:
            return first
    return scope_client[0] if scope_client else ""
