"""Third-party integration routes ``/api/integrations/*`` (reference §1.4).

Every route needs ``Authorization: Bearer <access token>`` (scheme case-insensitive) whose token
carries the route's scope (``SCOPES``); otherwise 401 ``unauthorized``. ``OPTIONS`` always
answers 204 with permissive CORS headers (browser preflight); successful answers carry
``Access-Control-Allow-Origin: *``. Each authorised use records the token's ``lastUsedAt``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.chat import ApiScope, ApiUser
from owncast_core.errors import AuthenticationError, NotFoundError, ValidationError
from owncast_core.services.admin_config import AdminConfigService
from owncast_core.services.chat import ChatService
from owncast_core.services.status import StatusService
from owncast_core.services.users import UserService
from owncast_runners.web.chat_api import json_body
from owncast_runners.web.moderation import update_visibility
from owncast_runners.web.responses import CORS_ANY, json_response, simple

ScopedEndpoint = Callable[[Request, ApiUser], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

PREFLIGHT: Final = {
    **CORS_ANY,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
}

S_MSG, S_SYS = ApiScope.CAN_SEND_MESSAGES, ApiScope.CAN_SEND_SYSTEM_MESSAGES
S_ADMIN = ApiScope.HAS_ADMIN_ACCESS
SCOPES: Final[dict[str, str]] = {
    "/api/integrations/chat/system": S_SYS,
    "/api/integrations/chat/system/client/{client_id}": S_SYS,
    "/api/integrations/chat/action": S_SYS,
    "/api/integrations/chat/send": S_MSG,
    "/api/integrations/chat/user": S_MSG,
    "/api/integrations/chat/messagevisibility": S_ADMIN,
    "/api/integrations/streamtitle": S_ADMIN,
    "/api/integrations/chat": S_ADMIN,
    "/api/integrations/clients": S_ADMIN,
    "/api/integrations/status": S_ADMIN,
    "/api/integrations/moderation/chat/user/{user_id}": S_ADMIN,
}
"""Route path -> the scope its token must carry."""


def bearer_token(header: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (any case of ``Bearer``), else ``None``."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def require_scope(users: UserService, scope: str) -> Callable[[ScopedEndpoint], Endpoint]:
    def wrap(endpoint: ScopedEndpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=PREFLIGHT)
            try:
                token = bearer_token(request.headers.get("authorization"))
                integration = await users.authenticate_api(token, scope)
            except AuthenticationError:
                return PlainTextResponse("unauthorized", status_code=401, headers=CORS_ANY)
            response = await endpoint(request, integration)
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
            return response

        return guarded

    return wrap


def _body_text(body: object) -> str | None:
    value = body.get("body") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def routes(*, users: UserService, chat: ChatService, admin: AdminConfigService,
           status: StatusService) -> list[BaseRoute]:
    def scoped(path: str) -> Callable[[ScopedEndpoint], Endpoint]:
        return require_scope(users, SCOPES[path])

    async def relay(request: Request, send: Callable[[str], Awaitable[object]]) -> Response:
        """Pass ``{"body": ...}`` to ``send``; 400 when missing, empty or refused."""
        text = _body_text(await json_body(request))
        if text is None:
            return simple(False, "body is required")
        try:
            await send(text)
        except ValidationError as exc:
            return simple(False, str(exc))
        return simple(True, "sent")

    @scoped("/api/integrations/chat/system")
    async def system_message(request: Request, integration: ApiUser) -> Response:
        return await relay(request, chat.send_system_message)

    @scoped("/api/integrations/chat/system/client/{client_id}")
    async def system_message_to_client(request: Request, integration: ApiUser) -> Response:
        try:
            target = int(request.path_params["client_id"])
        except ValueError:
            return simple(False, "clientId must be a number")
        if target not in {c.id for c in chat.clients()}:
            return simple(False, f"no connected client {target}")
        return await relay(request, lambda text: chat.send_system_message(text, client_id=target))

    @scoped("/api/integrations/chat/action")
    async def action(request: Request, integration: ApiUser) -> Response:
        return await relay(request, chat.send_action)

    @scoped("/api/integrations/chat/send")
    async def send(request: Request, integration: ApiUser) -> Response:
        try:
            await chat.send_bot_message(integration, _body_text(await json_body(request)) or "")
        except ValidationError as exc:
            return simple(False, str(exc))
        return simple(True, "sent")

    @scoped("/api/integrations/chat/user")
    async def user_message(request: Request, integration: ApiUser) -> Response:
        return simple(False, "no longer supported. see /api/integrations/chat/send")

    @scoped("/api/integrations/chat/messagevisibility")
    async def visibility(request: Request, integration: ApiUser) -> Response:
        return await update_visibility(request, chat)

    @scoped("/api/integrations/streamtitle")
    async def stream_title(request: Request, integration: ApiUser) -> Response:
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        body = await json_body(request)
        if not isinstance(body, dict) or "value" not in body:
            return simple(False, "unable to parse new value")
        try:
            return simple(True, await admin.set_stream_title(body["value"]))
        except ValidationError as exc:
            return simple(False, str(exc))

    @scoped("/api/integrations/chat")
    async def history(request: Request, integration: ApiUser) -> Response:
        return json_response(await chat.history())

    @scoped("/api/integrations/clients")
    async def clients(request: Request, integration: ApiUser) -> Response:
        return json_response([c.to_json() for c in chat.clients()])

    @scoped("/api/integrations/status")
    async def server_status(request: Request, integration: ApiUser) -> Response:
        return json_response(status.status())

    @scoped("/api/integrations/moderation/chat/user/{user_id}")
    async def user_details(request: Request, integration: ApiUser) -> Response:
        try:
            return json_response(await chat.user_details(request.path_params["user_id"]))
        except NotFoundError:
            return PlainTextResponse("user not found", status_code=404)

    post, get = ["POST", "OPTIONS"], ["GET", "OPTIONS"]
    table: list[tuple[str, Endpoint, list[str]]] = [
        ("/api/integrations/chat/system", system_message, post),
        ("/api/integrations/chat/system/client/{client_id}", system_message_to_client, post),
        ("/api/integrations/chat/action", action, post),
        ("/api/integrations/chat/send", send, post),
        ("/api/integrations/chat/user", user_message, post),
        ("/api/integrations/chat/messagevisibility", visibility, post),
        ("/api/integrations/streamtitle", stream_title, post),
        ("/api/integrations/chat", history, get),
        ("/api/integrations/clients", clients, get),
        ("/api/integrations/status", server_status, get),
        ("/api/integrations/moderation/chat/user/{user_id}", user_details, get),
    ]
    return [Route(path, endpoint, methods=methods) for path, endpoint, methods in table]
