"""``POST /api/notifications/register?accessToken=``: a chat user's browser asks for go-live
notifications (reference §1.3, Owncast ``RegisterForLiveNotifications``), and
``POST /api/notifications/unregister?accessToken=`` (same body; ours, not Owncast's): it turns
them off again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.chat import ChatUser
from owncast_core.errors import StorageError, ValidationError
from owncast_core.services.notifications import NotificationService
from owncast_core.services.users import UserService
from owncast_runners.web.chat_api import json_body, require_chat_user
from owncast_runners.web.responses import simple

BODY_SHAPE = '{"channel": "BROWSER_PUSH_NOTIFICATION", "destination": "<PushSubscription JSON>"}'


async def _subscription_call(
    request: Request, call: Callable[[object, object], Awaitable[bool]], *, doing: str, storing: str,
    answers: tuple[str, str],
) -> Response:
    """Parse ``{channel, destination}``, ``call`` the service with them and answer Owncast's
    ``{success, message}``: ``answers`` for a ``True``/``False`` result, 400 with the reason else."""
    body = await json_body(request)
    if not isinstance(body, dict):
        return simple(False, f"unable to {doing}: the body must be a JSON object {BODY_SHAPE}")
    try:
        changed = await call(body.get("channel"), body.get("destination"))
    except ValidationError as exc:
        return simple(False, str(exc))
    except StorageError:
        return simple(False, f"unable to {storing} notification")
    return simple(True, answers[0] if changed else answers[1])


def routes(*, notifications: NotificationService, users: UserService) -> list[BaseRoute]:
    @require_chat_user(users)
    async def register(request: Request, user: ChatUser) -> Response:
        if request.method != "POST":
            return simple(False, f"{request.method} not supported")
        return await _subscription_call(request, notifications.register, doing="register for notifications",
                                        storing="save", answers=("registered", "already registered"))

    @require_chat_user(users)
    async def unregister(request: Request, user: ChatUser) -> Response:
        return await _subscription_call(request, notifications.unregister, doing="unregister",
                                        storing="remove", answers=("unregistered", "not registered"))

    return [
        Route("/api/notifications/register", register, methods=["GET", "POST"]),
        Route("/api/notifications/unregister", unregister, methods=["POST"]),
    ]
