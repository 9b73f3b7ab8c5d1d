"""Tables of the admin side: webhooks, viewer-count samples, notification destinations, admin
accounts and their roles; time <-> text."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils


def create_webhooks_table(db: sqlite_utils.Database) -> None:
    # AUTOINCREMENT: ids of deleted webhooks are never handed out again.
    db.execute("""CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        secret TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        last_used TEXT
    )""")


def create_viewer_counts_table(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE viewer_counts (time TEXT NOT NULL, count INTEGER NOT NULL)")
    db.execute("CREATE INDEX viewer_counts_time ON viewer_counts (time)")


def create_notifications_table(db: sqlite_utils.Database) -> None:
    """Owncast's columns; the pair (channel, destination) is unique (a browser registers once)."""
    db.execute("""CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        destination TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (channel, destination)
    )""")


def create_admin_accounts_table(db: sqlite_utils.Database) -> None:
    """Named admin accounts (the built-in ``admin`` lives in the config); names are unique
    whatever their case."""
    db.execute("""CREATE TABLE admin_accounts (
        username TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_login_at TEXT
    )""")


def add_admin_account_roles(db: sqlite_utils.Database) -> None:
    """Each named account's role (``admin`` or ``moderator``). Accounts that exist get ``admin``,
    what every account could do before roles: nobody loses access by upgrading. No CHECK
    constraint (a later role would need a table rebuild); the repository refuses unknown values
    on the way in (``AdminRole``) and on the way out (``StorageError``)."""
    db.execute("ALTER TABLE admin_accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'")


def time_text(value: datetime) -> str:
    """Aware datetime -> sortable UTC text with microseconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def text_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
