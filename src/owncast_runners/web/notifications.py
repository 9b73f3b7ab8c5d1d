"""``POST /api/notifications/register?accessToken=``: a chat user's browser asks for go-live
notifications (reference §1.3, Owncast ``RegisterForLiveNotifications``), and
``POST /api/notifications/unregister?accessToken=`` (same body; ours, not Owncast's): it turns
them off again."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.chat import ChatUser
from owncast_core.errors import StorageError, ValidationError
from owncast_core.services.notifications import NotificationService
from owncast_core.services.users import UserService
from owncast_runners.web.chat_api import json_body, require_chat_user
from owncast_runners.web.responses import simple


def routes(*, notifications: NotificationService, users: UserService) -> list[BaseRoute]:
    @require_chat_user(users)
    async def register(request: Request, user: ChatUser) -> Response:
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        body = await json_body(request)
        if not isinstance(body, dict):
            return simple(False, "unable to register for notifications: the body must be a JSON object "
                                 '{"channel": "BROWSER_PUSH_NOTIFICATION", "destination": "<PushSubscription JSON>"}')
        try:
            added = await notifications.register(body.get("channel"), body.get("destination"))
        except ValidationError as exc:
            return simple(False, str(exc))
        except StorageError:
            return simple(False, "unable to save notification")
        return simple(True, "registered" if added else "already registered")

    @require_chat_user(users)
    async def unregister(request: Request, user: ChatUser) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            return simple(False, "unable to unregister: the body must be a JSON object "
                                 '{"channel": "BROWSER_PUSH_NOTIFICATION", "destination": "<PushSubscription JSON>"}')
        try:
            removed = await notifications.unregister(body.get("channel"), body.get("destination"))
        except ValidationError as exc:
            return simple(False, str(exc))
        except StorageError:
            return simple(False, "unable to remove notification")
        return simple(True, "unregistered" if removed else "not registered")

    return [
        Route("/api/notifications/register", register, methods=["GET", "POST"]),
        Route("/api/notifications/unregister", unregister, methods=["POST"]),
    ]
