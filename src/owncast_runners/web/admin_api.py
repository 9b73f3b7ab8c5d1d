"""The admin, configuration, statistics, webhook and integration APIs, assembled.

``AdminApi`` bundles the services these routes need so ``app.create_app`` takes one argument
for all of them; ``routes`` returns every route of issue 4's area:

- ``config_api``: ``/api/config``, ``/api/yp``, ``/api/socialplatforms``, ``/logo/external``
- ``admin_config``: ``/api/admin/serverconfig``, ``/api/admin/config/<name>``
- ``admin_status``: ``/api/admin/status``, viewers, stats, metrics, logs, Prometheus, playback
- ``admin_webhooks``: ``/api/admin/webhooks*``
- ``admin_recordings``: ``/api/admin/recordings*`` (when a recording service is given)
- ``admin_tokens``, ``integrations``: ``/api/admin/accesstokens*``, ``/api/integrations/*``
  (these need the chat service)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.routing import BaseRoute

from owncast_core.ports.stats import LogHistory
from owncast_core.services.admin_config import AdminConfigService
from owncast_core.services.chat import ChatService
from owncast_core.services.config import ConfigService
from owncast_core.services.config_views import ConfigViews
from owncast_core.services.recordings import RecordingService
from owncast_core.services.stats import StatsService
from owncast_core.services.status import StatusService
from owncast_core.services.webhooks import WebhookService
from owncast_runners.web import (
    admin_config,
    admin_recordings,
    admin_status,
    admin_tokens,
    admin_webhooks,
    config_api,
    integrations,
)


@dataclass(frozen=True, slots=True)
class AdminApi:
    """The services behind the admin/config/stats/webhook/integration routes."""

    status: StatusService
    stats: StatsService
    webhooks: WebhookService
    admin: AdminConfigService
    views: ConfigViews
    logs: LogHistory
    recordings: RecordingService | None = None


def routes(api: AdminApi, *, config: ConfigService, data_dir: Path,
           chat: ChatService | None) -> list[BaseRoute]:
    out: list[BaseRoute] = [
        *config_api.routes(views=api.views, config=config, data_dir=data_dir),
        *admin_config.routes(admin=api.admin, views=api.views, config=config),
        *admin_status.routes(status=api.status, stats=api.stats, config=config, logs=api.logs),
        *admin_webhooks.routes(webhooks=api.webhooks, config=config),
    ]
    if api.recordings is not None:
        out += admin_recordings.routes(recordings=api.recordings, config=config)
    if chat is not None:
        out += [
            *admin_tokens.routes(users=chat.users, config=config),
            *integrations.routes(users=chat.users, chat=chat, admin=api.admin, status=api.status),
        ]
    return out
