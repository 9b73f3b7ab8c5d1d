"""The streamer's IndieAuth authorization endpoint (reference §1.2, §6.3):

- ``GET /api/auth/provider/indieauth?response_type=code&client_id&redirect_uri&state&
  code_challenge&code_challenge_method=S256&me``: behind the admin Basic auth, as in Owncast
  (signing in *is* the streamer's approval); 307 to ``redirect_uri`` with ``code``, ``state``
  and ``iss``. A bad request is never redirected: 400 ``{error, error_description}``.
- ``POST`` (``application/x-www-form-urlencoded``) ``grant_type=authorization_code&code&
  client_id&redirect_uri&code_verifier``: public (the client site's server calls it); 200
  ``{me, profile: {name, url, photo}}``, else 400 ``{error, error_description}``.

The viewer page advertises the endpoint with ``<link rel="authorization_endpoint">``.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.indieauth_provider import INVALID_REQUEST, PROVIDER_PATH, TEMPORARILY_UNAVAILABLE
from owncast_core.errors import OAuthError
from owncast_core.services.config import ConfigService
from owncast_core.services.indieauth_provider import IndieAuthProviderService
from owncast_runners.web.auth import require_admin
from owncast_runners.web.responses import NO_CACHE, json_response

MAX_FORM_BYTES: Final = 16 * 1024
MAX_FORM_FIELDS: Final = 32
FORM_TYPE: Final = "application/x-www-form-urlencoded"


def oauth_error(exc: OAuthError) -> Response:
    status = 429 if exc.error == TEMPORARILY_UNAVAILABLE else 400
    headers = {**NO_CACHE, "Retry-After": "60"} if status == 429 else NO_CACHE
    return json_response({"error": exc.error, "error_description": exc.description}, status=status, headers=headers)


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded body's fields (a repeated name keeps its first value); ``OAuthError`` for
    another content type, a body over ``MAX_FORM_BYTES``, or bytes that are not UTF-8."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != FORM_TYPE:
        raise OAuthError(INVALID_REQUEST, f"the body must be {FORM_TYPE}")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise OAuthError(INVALID_REQUEST, "the body is too large")
    except ClientDisconnect as exc:
        raise OAuthError(INVALID_REQUEST, "the body was cut short") from exc
    try:
        pairs = parse_qsl(bytes(body).decode("utf-8"), keep_blank_values=True, errors="strict",
                          max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthError(INVALID_REQUEST, "the body is not UTF-8 form data of at most 32 fields") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def routes(*, provider: IndieAuthProviderService, config: ConfigService) -> list[BaseRoute]:
    @require_admin(config)
    async def approve(request: Request) -> Response:
        query = {name: request.query_params.get(name, "") for name in request.query_params}
        try:
            location = provider.authorize(query)
        except OAuthError as exc:
            return oauth_error(exc)
        return RedirectResponse(location, status_code=307, headers=NO_CACHE)

    async def redeem(request: Request) -> Response:
        try:
            profile = provider.redeem(await read_form(request))
        except OAuthError as exc:
            return oauth_error(exc)
        return json_response(profile.to_json(), headers=NO_CACHE)

    async def endpoint(request: Request) -> Response:
        if request.method == "GET":
            return await approve(request)
        if request.method == "POST":
            return await redeem(request)
        return Response(status_code=405, headers={"Allow": "GET, POST"})

    return [Route(PROVIDER_PATH, endpoint, methods=["GET", "POST"])]
