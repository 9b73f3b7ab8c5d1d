"""Reading admin POST bodies the way Owncast's handlers do."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from owncast_runners.web.chat_api import json_body
from owncast_runners.web.responses import bad_request, simple


async def posted_object(request: Request, expected: str) -> dict[str, Any] | Response:
    """The JSON object of a POST; else the answer to send: 400 ``"<METHOD> not supported"`` for
    another method, 400 ``{"error": "request body must be a JSON object with <expected>"}``."""
    if request.method != "POST":
        return simple(False, f"{request.method} not supported")
    body = await json_body(request)
    if not isinstance(body, dict):
        return bad_request(f"request body must be a JSON object with {expected}")
    return body
