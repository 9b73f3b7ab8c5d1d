"""``IdentityLinkRepository`` on SQLite: the ``auth`` table (migration 9) beside the users."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import sqlite_utils

from owncast_adapters.sqlite.chat_schema import USER_COLUMNS, from_text, to_text, user_from_row
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.chat import API_USER, ChatUser
from owncast_core.domain.chat_auth import IdentityLink
from owncast_core.errors import NotFoundError, ValidationError


class SqliteIdentityLinkRepository:
    """Implements ``owncast_core.ports.chat_auth.IdentityLinkRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def link(self, user_id: str, kind: str, identity: str, at: datetime) -> ChatUser:
        def write(db: sqlite_utils.Database) -> tuple[Any, ...]:
            conn = db.conn
            try:
                with conn:
                    conn.execute("BEGIN IMMEDIATE")
                    changed = conn.execute("UPDATE users SET authenticated_at = ? WHERE id = ?",
                                           [to_text(at), user_id]).rowcount
                    if changed == 0:
                        raise NotFoundError(f"no user {user_id!r}")
                    conn.execute("INSERT INTO auth (user_id, token, type, timestamp) VALUES (?, ?, ?, ?)",
                                 [user_id, identity, kind, to_text(at)])
                    row: tuple[Any, ...] = conn.execute(
                        f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", [user_id]  # noqa: S608
                    ).fetchone()
                    return row
            except sqlite3.IntegrityError as exc:
                raise ValidationError(f"{kind} identity {identity!r} is already linked") from exc

        return user_from_row(await self._database.run(write))

    async def linked_user_id(self, kind: str, identity: str) -> str:
        def read(db: sqlite_utils.Database) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = db.execute(
                "SELECT user_id FROM auth WHERE type = ? AND token = ?", [kind, identity]
            ).fetchone()
            return row

        row = await self._database.run(read)
        if row is None:
            raise NotFoundError(f"no user holds {kind} identity {identity!r}")
        return str(row[0])

    async def links(self, user_id: str) -> list[IdentityLink]:
        def read(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
            return list(db.execute("SELECT user_id, type, token, timestamp FROM auth WHERE user_id = ? "
                                   "ORDER BY timestamp, id", [user_id]).fetchall())

        return [IdentityLink(uid, kind, identity, from_text(at) or datetime.min)
                for uid, kind, identity, at in await self._database.run(read)]

    async def move_token(self, access_token: str, user_id: str) -> None:
        def write(db: sqlite_utils.Database) -> None:
            conn = db.conn
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                if conn.execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone() is None:
                    raise NotFoundError(f"no user {user_id!r}")
                changed = conn.execute(
                    "UPDATE user_access_tokens SET user_id = ? WHERE token = ? AND user_id IN "
                    "(SELECT id FROM users WHERE type != ?)", [user_id, access_token, API_USER]
                ).rowcount
                if changed == 0:
                    raise NotFoundError("unknown access token")

        await self._database.run(write)
