"""Chat moderation routes: admin (``/api/admin/chat/*``), moderator users (``?accessToken=`` with
``MODERATOR``) and the v0.1 path aliases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.chat import ChatUser
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.services.chat import ChatService
from owncast_core.services.config import ConfigService
from owncast_core.services.users import UserService
from owncast_runners.web.auth import require_admin
from owncast_runners.web.chat_api import json_body, require_chat_user
from owncast_runners.web.responses import json_response, simple

Endpoint = Callable[[Request], Awaitable[Response]]


def go_bool(value: bool) -> str:
    return "true" if value else "false"


async def post_fields(request: Request, refusal: str, **expected: type) -> dict[str, Any] | Response:
    """The JSON body of a POST holding non-empty ``expected`` fields of those types; otherwise
    Owncast's 400 answer (``"<METHOD> not supported"`` for other methods, else ``refusal``)."""
    if request.method != "POST":
        return simple(False, f"{request.method} not supported")
    body = await json_body(request)
    if not isinstance(body, dict):
        return simple(False, refusal)
    for name, kind in expected.items():
        value = body.get(name)
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            return simple(False, refusal)
    return body


async def update_visibility(request: Request, chat: ChatService) -> Response:
    """``{idArray, visible}`` -> VISIBILITY-UPDATE (admin, moderators and integrations share it)."""
    body = await post_fields(
        request, "missing required fields: idArray and visible are required", idArray=list, visible=bool
    )
    if isinstance(body, Response):
        return body
    try:
        await chat.set_visibility(body["idArray"], body["visible"])
    except ValidationError as exc:
        return simple(False, str(exc))
    return simple(True, "changed")


async def update_user_enabled(request: Request, chat: ChatService, acting: ChatUser | None = None) -> Response:
    """``{userId, enabled}``; disabling kicks, hides and bans as Owncast. A moderator (``acting``)
    cannot remove themselves: that would ban their own address and lock them out."""
    body = await post_fields(request, "must provide userId and enabled state", userId=str, enabled=bool)
    if isinstance(body, Response):
        return body
    if acting is not None and not body["enabled"] and body["userId"] == acting.id:
        return simple(False, "a moderator cannot remove themselves from chat")
    try:
        await chat.set_user_enabled(body["userId"], body["enabled"])
    except NotFoundError:
        return simple(False, "user not found")
    return simple(True, f"{body['userId']} enabled: {go_bool(body['enabled'])}")


def _users_json(users: list[ChatUser]) -> list[dict[str, Any]]:
    return [u.to_json() for u in users]


def routes(*, chat: ChatService, users: UserService, config: ConfigService) -> list[BaseRoute]:
    admin = require_admin(config)
    moderator = require_chat_user(users, moderator=True)

    @admin
    async def messages(request: Request) -> Response:
        return json_response(await chat.admin_history())

    @admin
    async def admin_visibility(request: Request) -> Response:
        return await update_visibility(request, chat)

    @admin
    async def clients(request: Request) -> Response:
        return json_response([c.to_json() for c in chat.clients()])

    @admin
    async def admin_set_enabled(request: Request) -> Response:
        return await update_user_enabled(request, chat)

    @admin
    async def disabled(request: Request) -> Response:
        return json_response(_users_json(await users.disabled_users()))

    @admin
    async def set_moderator(request: Request) -> Response:
        body = await post_fields(request, "must provide userId and isModerator", userId=str, isModerator=bool)
        if isinstance(body, Response):
            return body
        try:
            await chat.set_moderator(body["userId"], body["isModerator"])
        except NotFoundError:
            return simple(False, "user not found")
        return simple(True, f"{body['userId']} is moderator: {go_bool(body['isModerator'])}")

    @admin
    async def moderators(request: Request) -> Response:
        return json_response(_users_json(await users.moderators()))

    @admin
    async def ip_bans(request: Request) -> Response:
        return json_response([b.to_json() for b in await users.ip_bans()])

    @admin
    async def ban_ip(request: Request) -> Response:
        body = await post_fields(request, "unable to ban IP address", value=str)
        if isinstance(body, Response):
            return body
        await users.ban_ip(body["value"].strip(), "manually added")
        return simple(True, "IP address banned")

    @admin
    async def unban_ip(request: Request) -> Response:
        body = await post_fields(request, "unable to unban IP address", value=str)
        if isinstance(body, Response):
            return body
        await users.unban_ip(body["value"].strip())
        return simple(True, "IP address unbanned")

    @moderator
    async def moderator_visibility(request: Request, user: ChatUser) -> Response:
        return await update_visibility(request, chat)

    @moderator
    async def moderator_set_enabled(request: Request, user: ChatUser) -> Response:
        return await update_user_enabled(request, chat, acting=user)

    @moderator
    async def user_details(request: Request, user: ChatUser) -> Response:
        try:
            return json_response(await chat.user_details(request.path_params["user_id"]))
        except NotFoundError:
            return Response(status_code=404)

    post = ["GET", "POST"]
    return [
        Route("/api/admin/chat/messages", messages, methods=["GET"]),
        Route("/api/admin/chat/messagevisibility", admin_visibility, methods=post),
        Route("/api/admin/chat/updatemessagevisibility", admin_visibility, methods=post),  # v0.1
        Route("/api/admin/chat/clients", clients, methods=["GET"]),
        Route("/api/admin/chat/users/setenabled", admin_set_enabled, methods=post),
        Route("/api/admin/chat/users/disabled", disabled, methods=["GET"]),
        Route("/api/admin/chat/users/setmoderator", set_moderator, methods=post),
        Route("/api/admin/chat/users/moderators", moderators, methods=["GET"]),
        Route("/api/admin/chat/users/ipbans", ip_bans, methods=["GET"]),
        Route("/api/admin/chat/users/ipbans/create", ban_ip, methods=post),
        Route("/api/admin/chat/users/ipbans/remove", unban_ip, methods=post),
        Route("/api/chat/messagevisibility", moderator_visibility, methods=post),
        Route("/api/chat/updatemessagevisibility", moderator_visibility, methods=post),  # v0.1
        Route("/api/chat/users/setenabled", moderator_set_enabled, methods=post),
        Route("/api/moderation/chat/user/{user_id}", user_details, methods=["GET"]),
    ]
