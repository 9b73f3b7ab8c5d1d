"""The Starlette application: every route module assembled, nothing else."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from owncast_core.ports.clock import Clock
from owncast_core.ports.emoji import EmojiStore
from owncast_core.services.admin_accounts import AdminAccounts
from owncast_core.services.admin_audit import AdminAuditTrail
from owncast_core.services.chat import ChatService
from owncast_core.services.chat_auth import ChatAuthService
from owncast_core.services.config import ConfigService
from owncast_core.services.federation import FederationService
from owncast_core.services.indieauth_provider import IndieAuthProviderService
from owncast_core.services.login_throttle import LoginThrottle
from owncast_core.services.notifications import NotificationService
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_runners.web import (
    admin,
    admin_accounts,
    assets,
    chat_api,
    chat_auth,
    chat_ws,
    emoji,
    federation,
    hls,
    indieauth_provider,
    moderation,
    notifications,
    pages,
    status,
)
from owncast_runners.web.admin_api import AdminApi
from owncast_runners.web.admin_api import routes as admin_api_routes
from owncast_runners.web.auth import AdminGate, builtin_admin


def create_app(
    *,
    stream: StreamService,
    config: ConfigService,
    viewers: ViewerService,
    clock: Clock,
    data_dir: Path,
    thumbnail_path: Path,
    chat: ChatService | None = None,
    emoji_store: EmojiStore | None = None,
    chat_frame_interval: float = chat_ws.DEFAULT_FRAME_INTERVAL,
    admin_api: AdminApi | None = None,
    notification_service: NotificationService | None = None,
    federation_service: FederationService | None = None,
    chat_auth_service: ChatAuthService | None = None,
    indieauth_provider_service: IndieAuthProviderService | None = None,
    accounts: AdminAccounts | None = None,
    audit: AdminAuditTrail | None = None,
    login_throttle: LoginThrottle | None = None,
) -> Starlette:
    """Build the web app from resolved services (the container calls this).

    Admin routes let in the built-in ``admin`` and, with ``accounts``, the named admin accounts,
    each as far as its role allows (``web/admin_roles.py``); ``audit`` and ``login_throttle``
    default to fresh in-memory ones.
    """
    gate = AdminGate(
        authenticate=accounts.authenticate if accounts is not None else builtin_admin(config),
        throttle=login_throttle or LoginThrottle(clock=clock),
        audit=audit or AdminAuditTrail(clock=clock),
    )
    route_list: list[BaseRoute] = [
        *status.routes(stream=stream, config=config, viewers=viewers, clock=clock),
        *assets.routes(config=config, data_dir=data_dir, thumbnail_path=thumbnail_path),
        *admin.routes(stream=stream, config=config),
        *pages.routes(config=config, data_dir=data_dir),
    ]
    middleware: list[Middleware] = [Middleware(hls.HlsShortcut, stream=stream, viewers=viewers)]
    if chat is not None:
        socket_endpoint = chat_ws.ChatSocketEndpoint(chat=chat, frame_interval=chat_frame_interval)
        middleware.append(Middleware(chat_ws.ChatSocketShortcut, endpoint=socket_endpoint))
        route_list += [
            *chat_ws.routes(chat=chat, endpoint=socket_endpoint),
            *chat_api.routes(chat=chat, users=chat.users),
            *moderation.routes(chat=chat, users=chat.users, config=config),
        ]
        if notification_service is not None:
            route_list += notifications.routes(notifications=notification_service, users=chat.users)
        if chat_auth_service is not None:
            route_list += chat_auth.routes(auth=chat_auth_service, users=chat.users)
    if emoji_store is not None:
        route_list += emoji.routes(emoji=emoji_store, config=config)
    if admin_api is not None:
        route_list += admin_api_routes(admin_api, config=config, data_dir=data_dir, chat=chat)
    route_list += admin_accounts.identity_routes(config=config)
    if accounts is not None:
        route_list += admin_accounts.routes(accounts=accounts, audit=gate.audit, config=config)
    if federation_service is not None:
        route_list += federation.routes(federation=federation_service, config=config)
    if indieauth_provider_service is not None:
        route_list += indieauth_provider.routes(provider=indieauth_provider_service, config=config)

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("404 page not found", status_code=404)

    async def client_gone(request: Request, exc: Exception) -> Response:
        # The client went away while its body was being read: nothing to answer, nothing wrong
        # with the server (this is not logged as an error, as an unhandled exception would be).
        return Response(status_code=400)

    app = Starlette(
        routes=route_list,
        exception_handlers={404: not_found, ClientDisconnect: client_gone},
        middleware=middleware,
    )
    app.router.default = pages.static_fallback(data_dir=data_dir)  # web files for unrouted paths
    app.state.admin_gate = gate  # what require_admin asks (web/auth.py)
    return app
