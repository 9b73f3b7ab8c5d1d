"""Chat-user HTTP routes: ``POST /api/chat/register``, ``GET /api/chat``, and the
``?accessToken=`` guard (``require_chat_user``) the moderator routes reuse."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain import jsontext
from owncast_core.domain.chat import ChatUser
from owncast_core.errors import AuthenticationError, PermissionDenied
from owncast_core.services.chat import ChatService
from owncast_core.services.users import UserService
from owncast_runners.web.responses import CORS_ANY, NO_CACHE, client_ip, json_response, simple

UserEndpoint = Callable[[Request, ChatUser], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def unauthorized() -> Response:
    """Owncast's answer to a missing/unknown/disabled/banned user token (text, 401)."""
    return PlainTextResponse("unauthorized", status_code=401)


def request_ip(request: Request) -> str:
    return client_ip(request.scope.get("client"), request.headers.get("x-forwarded-for"))


def require_chat_user(users: UserService, *, moderator: bool = False) -> Callable[[UserEndpoint], Endpoint]:
    """Decorator: the endpoint gets the chat user owning ``?accessToken=`` (401 ``unauthorized``
    when missing, unknown, disabled, from a banned address, or not a moderator when required)."""

    def wrap(endpoint: UserEndpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            token = request.query_params.get("accessToken")
            try:
                if moderator:
                    user = await users.authenticate_moderator(token, request_ip(request))
                else:
                    user = await users.authenticate(token, request_ip(request))
            except (AuthenticationError, PermissionDenied):
                return unauthorized()
            return await endpoint(request, user)

        return guarded

    return wrap


async def json_body(request: Request) -> Any:
    """The request's JSON body, or ``None`` when it is empty or not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return jsontext.loads(raw)
    except ValueError:
        return None


def routes(*, chat: ChatService, users: UserService) -> list[BaseRoute]:
    async def register(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS_ANY)
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        body = await json_body(request)
        requested = body.get("displayName") if isinstance(body, dict) else None
        user, token = await users.register(
            requested if isinstance(requested, str) else None, request.headers.get("x-forwarded-user")
        )
        return json_response(
            {"id": user.id, "accessToken": token, "displayName": user.display_name},
            headers={**NO_CACHE, **CORS_ANY},
        )

    @require_chat_user(users)
    async def history(request: Request, user: ChatUser) -> Response:
        return json_response(await chat.history(), headers=CORS_ANY)

    return [
        Route("/api/chat/register", register, methods=["GET", "POST", "OPTIONS"]),
        Route("/api/chat", history, methods=["GET"]),
    ]
