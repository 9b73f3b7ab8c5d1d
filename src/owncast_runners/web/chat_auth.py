"""Chat-user sign-in routes (reference §1.2-1.3, §6.3): IndieAuth and Fediverse one-time codes.

- ``POST /api/auth/indieauth?accessToken=`` ``{authHost}`` -> ``{redirect}``
- ``GET /api/auth/indieauth/callback?state&code`` -> 307 to ``/``; 400 text on failure
- ``POST /api/auth/fediverse?accessToken=`` ``{account}`` -> ``{success, message}``
- ``POST /api/auth/fediverse/verify?accessToken=`` ``{code}`` -> 200 ``{success: true}``, else 403
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.chat import ChatUser
from owncast_core.errors import AuthenticationError, FederationDisabled, NotFoundError, ValidationError
from owncast_core.services.chat_auth import ChatAuthService
from owncast_core.services.users import UserService
from owncast_runners.web.chat_api import json_body, require_chat_user
from owncast_runners.web.responses import NO_CACHE, json_response, simple

CALLBACK_FAILED = 'Unable to complete authentication. <a href="/">Go back.</a><hr/>'


def routes(*, auth: ChatAuthService, users: UserService) -> list[BaseRoute]:
    @require_chat_user(users)
    async def start_indieauth(request: Request, user: ChatUser) -> Response:
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("authHost"), str):
            return simple(False, 'expected a JSON object {"authHost": "https://your.website/"}')
        try:
            redirect = await auth.start_indieauth(user, request.query_params["accessToken"], body["authHost"])
        except ValidationError as exc:
            return simple(False, str(exc))
        return json_response({"redirect": redirect}, headers=NO_CACHE)

    async def callback(request: Request) -> Response:
        try:
            await auth.finish_indieauth(request.query_params.get("state"), request.query_params.get("code"))
        except (AuthenticationError, ValidationError, NotFoundError):
            return HTMLResponse(CALLBACK_FAILED, status_code=400)
        return RedirectResponse("/", status_code=307)

    @require_chat_user(users)
    async def start_fediverse(request: Request, user: ChatUser) -> Response:
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("account"), str):
            return simple(False, 'Could not decode request: expected a JSON object {"account": "@user@server"}')
        try:
            await auth.start_fediverse(user, request.query_params["accessToken"], body["account"])
        except FederationDisabled:
            return simple(False, "Could not send code to fediverse: federation is disabled on this server")
        except ValidationError as exc:
            return simple(False, f"Could not send code to fediverse: {exc}")
        return simple(True, "")

    async def verify_fediverse(request: Request) -> Response:
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        body = await json_body(request)
        if not isinstance(body, dict):
            return simple(False, 'Could not decode request: expected a JSON object {"code": "123456"}')
        try:
            await auth.verify_fediverse(request.query_params.get("accessToken"), body.get("code"))
        except (AuthenticationError, NotFoundError):
            return Response(status_code=403)
        return simple(True, "")

    return [
        Route("/api/auth/indieauth", start_indieauth, methods=["GET", "POST"]),
        Route("/api/auth/indieauth/callback", callback, methods=["GET"]),
        Route("/api/auth/fediverse", start_fediverse, methods=["GET", "POST"]),
        Route("/api/auth/fediverse/verify", verify_fediverse, methods=["GET", "POST"]),
    ]
