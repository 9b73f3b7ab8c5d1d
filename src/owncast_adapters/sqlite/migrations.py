"""Versioned schema migrations, applied in order by ``Database.open``.

The schema version lives in ``PRAGMA user_version``. Append new migrations with the next
version number; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from owncast_adapters.sqlite.activitypub_schema import (
    create_delivery_domains_table,
    create_delivery_tables,
    create_followers_table,
    create_outbox_tables,
)
from owncast_adapters.sqlite.admin_schema import (
    add_admin_account_roles,
    create_admin_accounts_table,
    create_notifications_table,
    create_viewer_counts_table,
    create_webhooks_table,
)
from owncast_adapters.sqlite.chat_schema import create_auth_table, create_messages_table, create_users_tables


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step; ``apply`` runs inside a transaction."""

    version: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


def _config_table(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE config (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "configuration table", _config_table),
    Migration(2, "chat users, access tokens and IP bans", create_users_tables),
    Migration(3, "chat messages", create_messages_table),
    Migration(4, "webhooks", create_webhooks_table),
    Migration(5, "viewer counts over time", create_viewer_counts_table),
    Migration(6, "go-live notification destinations", create_notifications_table),
    Migration(7, "Fediverse followers", create_followers_table),
    Migration(8, "Fediverse outbox and received engagement", create_outbox_tables),
    Migration(9, "identities linked to chat users (IndieAuth, Fediverse)", create_auth_table),
    Migration(10, "Fediverse delivery queue", create_delivery_tables),
    Migration(11, "Fediverse delivery: failing and unavailable domains", create_delivery_domains_table),
    Migration(12, "named admin accounts", create_admin_accounts_table),
    Migration(13, "roles of named admin accounts", add_admin_account_roles),
)
