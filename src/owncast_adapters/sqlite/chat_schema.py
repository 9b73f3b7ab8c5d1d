"""Chat tables (users, access tokens, IP bans, messages) and row <-> entity conversion."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from owncast_core.domain.chat import ApiUser, ChatRecord, ChatUser

USER_COLUMNS = (
    "id, display_name, display_color, created_at, disabled_at, previous_names, namechanged_at, "
    "scopes, type, authenticated_at, last_used_at"
)
MESSAGE_COLUMNS = "id, user_id, body, event_type, hidden_at, timestamp, image, link, title, subtitle"


def create_users_tables(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE users (
        id TEXT PRIMARY KEY NOT NULL,
        display_name TEXT NOT NULL,
        display_color INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        disabled_at TEXT,
        previous_names TEXT NOT NULL DEFAULT '[]',
        namechanged_at TEXT,
        scopes TEXT NOT NULL DEFAULT '[]',
        type TEXT NOT NULL DEFAULT 'STANDARD',
        authenticated_at TEXT,
        last_used_at TEXT)""")
    db.execute("CREATE INDEX users_display_name ON users (display_name COLLATE NOCASE)")
    db.execute("""CREATE TABLE user_access_tokens (
        token TEXT PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX user_access_tokens_user ON user_access_tokens (user_id)")
    db.execute("""CREATE TABLE ip_bans (
        ip_address TEXT PRIMARY KEY NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL)""")


def create_auth_table(db: sqlite_utils.Database) -> None:
    """External identities linked to chat users (Owncast's ``auth`` table: ``token`` is the
    identity, ``type`` INDIEAUTH or FEDIVERSE); one user per identity of a type."""
    db.execute("""CREATE TABLE auth (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token TEXT NOT NULL,
        type TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        UNIQUE (type, token))""")
    db.execute("CREATE INDEX auth_user ON auth (user_id)")


def create_messages_table(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE messages (
        id TEXT PRIMARY KEY NOT NULL,
        user_id TEXT,
        body TEXT NOT NULL,
        event_type TEXT NOT NULL,
        hidden_at TEXT,
        timestamp TEXT NOT NULL,
        image TEXT,
        link TEXT,
        title TEXT,
        subtitle TEXT)""")
    db.execute("CREATE INDEX messages_timestamp ON messages (timestamp)")
    db.execute("CREATE INDEX messages_user ON messages (user_id)")


def to_text(value: datetime | None) -> str | None:
    """UTC ISO 8601 with microseconds: fixed width, so text order is time order."""
    return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def user_from_row(row: sqlite3.Row | tuple[Any, ...]) -> ChatUser:
    (uid, name, color, created, disabled, previous, renamed, scopes, kind, authenticated, _used) = row[:11]
    return ChatUser(
        id=uid,
        display_name=name,
        display_color=int(color),
        created_at=from_text(created) or datetime.min,
        previous_names=tuple(json.loads(previous or "[]")),
        name_changed_at=from_text(renamed),
        disabled_at=from_text(disabled),
        scopes=tuple(json.loads(scopes or "[]")),
        authenticated_at=from_text(authenticated),
        user_type=kind,
    )


def user_row(user: ChatUser) -> tuple[Any, ...]:
    return (
        user.id,
        user.display_name,
        user.display_color,
        to_text(user.created_at),
        to_text(user.disabled_at),
        json.dumps(list(user.previous_names)),
        to_text(user.name_changed_at),
        json.dumps(list(user.scopes)),
        user.user_type,
        to_text(user.authenticated_at),
        None,
    )


def api_user_from_row(row: tuple[Any, ...]) -> ApiUser:
    user = user_from_row(row)
    return ApiUser(
        id=user.id,
        access_token=row[11],
        display_name=user.display_name,
        display_color=user.display_color,
        scopes=user.scopes,
        created_at=user.created_at,
        last_used_at=from_text(row[10]),
    )


def record_from_row(row: tuple[Any, ...]) -> ChatRecord:
    (mid, user_id, body, kind, hidden, stamp, image, link, title, subtitle) = row[:10]
    return ChatRecord(
        id=mid,
        event_type=kind,
        body=body,
        timestamp=from_text(stamp) or datetime.min,
        user_id=user_id,
        hidden_at=from_text(hidden),
        image=image,
        link=link,
        title=title,
        subtitle=subtitle,
    )


def record_row(record: ChatRecord) -> tuple[Any, ...]:
    return (
        record.id,
        record.user_id,
        record.body,
        record.event_type,
        to_text(record.hidden_at),
        to_text(record.timestamp),
        record.image,
        record.link,
        record.title,
        record.subtitle,
    )
