"""``UserRepository`` on SQLite: users, access tokens, API users and IP bans.

Queries interpolate only the constant column lists of ``chat_schema`` (hence the S608 noqa).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlite_utils

from owncast_adapters.sqlite.chat_schema import (
    USER_COLUMNS,
    api_user_from_row,
    from_text,
    to_text,
    user_from_row,
    user_row,
)
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.chat import API_USER, ApiUser, ChatUser, IPBan
from owncast_core.errors import NotFoundError, ValidationError

T = TypeVar("T")
_API_SELECT = (
    f"SELECT {', '.join('u.' + c.strip() for c in USER_COLUMNS.split(','))}, t.token "  # noqa: S608
    "FROM users u JOIN user_access_tokens t ON t.user_id = u.id WHERE u.type = 'API'"
)


def _write(fn: Callable[[sqlite3.Connection], T]) -> Callable[[sqlite_utils.Database], T]:
    """Run ``fn`` in one immediate transaction; constraint violations become ``ValidationError``."""

    def run(db: sqlite_utils.Database) -> T:
        conn = db.conn
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                return fn(conn)
        except sqlite3.IntegrityError as exc:
            raise ValidationError(f"conflicting record: {exc}") from exc

    return run


class SqliteUserRepository:
    """Implements ``owncast_core.ports.chat.UserRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def _one_user(self, sql: str, args: Sequence[Any], missing: str) -> ChatUser:
        def read(db: sqlite_utils.Database) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = db.execute(sql, list(args)).fetchone()
            return row

        row = await self._database.run(read)
        if row is None:
            raise NotFoundError(missing)
        return user_from_row(row)

    async def _users(self, sql: str, args: Sequence[Any] = ()) -> list[ChatUser]:
        def read(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
            return list(db.execute(sql, list(args)).fetchall())

        return [user_from_row(r) for r in await self._database.run(read)]

    async def _update(self, user_id: str, sql: str, args: Sequence[Any]) -> ChatUser:
        def change(conn: sqlite3.Connection) -> int:
            return conn.execute(sql, [*args, user_id]).rowcount

        if await self._database.run(_write(change)) == 0:
            raise NotFoundError(f"no user {user_id!r}")
        return await self.user_by_id(user_id)

    # chat users ----------------------------------------------------------------------------------
    async def create_user(self, user: ChatUser, access_token: str) -> None:
        row = user_row(user)

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(f"INSERT INTO users ({USER_COLUMNS}) VALUES ({', '.join('?' * len(row))})", row)  # noqa: S608
            conn.execute(
                "INSERT INTO user_access_tokens (token, user_id, created_at) VALUES (?, ?, ?)",
                [access_token, user.id, to_text(user.created_at)],
            )

        await self._database.run(_write(insert))

    async def add_token(self, user_id: str, access_token: str) -> None:
        user = await self.user_by_id(user_id)

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO user_access_tokens (token, user_id, created_at) VALUES (?, ?, ?)",
                [access_token, user.id, to_text(user.created_at)],
            )

        await self._database.run(_write(insert))

    async def user_by_token(self, access_token: str) -> ChatUser:
        return await self._one_user(
            f"SELECT {', '.join('u.' + c.strip() for c in USER_COLUMNS.split(','))} FROM users u "  # noqa: S608
            "JOIN user_access_tokens t ON t.user_id = u.id WHERE t.token = ?",
            [access_token],
            "unknown access token",
        )

    async def user_by_id(self, user_id: str) -> ChatUser:
        return await self._one_user(
            f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", [user_id], f"no user {user_id!r}"  # noqa: S608
        )

    async def rename(self, user_id: str, name: str, at: datetime) -> ChatUser:
        user = await self.user_by_id(user_id)
        previous = json.dumps([*user.previous_names, name])
        return await self._update(
            user_id,
            "UPDATE users SET display_name = ?, previous_names = ?, namechanged_at = ? WHERE id = ?",
            [name, previous, to_text(at)],
        )

    async def set_color(self, user_id: str, color: int) -> ChatUser:
        return await self._update(user_id, "UPDATE users SET display_color = ? WHERE id = ?", [int(color)])

    async def set_disabled(self, user_id: str, at: datetime | None) -> ChatUser:
        return await self._update(user_id, "UPDATE users SET disabled_at = ? WHERE id = ?", [to_text(at)])

    async def set_scopes(self, user_id: str, scopes: Sequence[str]) -> ChatUser:
        value = json.dumps(list(dict.fromkeys(scopes)))
        return await self._update(user_id, "UPDATE users SET scopes = ? WHERE id = ?", [value])

    async def name_reserved(self, name: str, except_user_id: str | None = None) -> bool:
        def read(db: sqlite_utils.Database) -> bool:
            row = db.execute(
                "SELECT 1 FROM users WHERE display_name = ? COLLATE NOCASE AND authenticated_at IS NOT NULL "
                "AND disabled_at IS NULL AND id IS NOT ? LIMIT 1",
                [name, except_user_id],
            ).fetchone()
            return row is not None

        return await self._database.run(read)

    async def disabled_users(self) -> list[ChatUser]:
        return await self._users(
            f"SELECT {USER_COLUMNS} FROM users WHERE disabled_at IS NOT NULL AND type != ? "  # noqa: S608
            "ORDER BY disabled_at, rowid",
            [API_USER],
        )

    async def moderators(self) -> list[ChatUser]:
        return await self._users(
            f"SELECT {USER_COLUMNS} FROM users WHERE scopes LIKE '%\"MODERATOR\"%' "  # noqa: S608
            "AND type != ? ORDER BY created_at, rowid",
            [API_USER],
        )

    async def count_users(self) -> int:
        row = await self._database.run(
            lambda db: db.execute("SELECT COUNT(*) FROM users WHERE type != ?", [API_USER]).fetchone())
        return int(row[0])

    # API users -------------------------------------------------------------------------------------
    async def create_api_user(self, user: ApiUser) -> None:
        row = user_row(user.as_chat_user())
        scopes = json.dumps(list(user.scopes))

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(f"INSERT INTO users ({USER_COLUMNS}) VALUES ({', '.join('?' * len(row))})", row)  # noqa: S608
            conn.execute(
                "UPDATE users SET scopes = ?, last_used_at = ? WHERE id = ?",
                [scopes, to_text(user.last_used_at), user.id],
            )
            conn.execute(
                "INSERT INTO user_access_tokens (token, user_id, created_at) VALUES (?, ?, ?)",
                [user.access_token, user.id, to_text(user.created_at)],
            )

        await self._database.run(_write(insert))

    async def api_user_by_token(self, access_token: str) -> ApiUser:
        def read(db: sqlite_utils.Database) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = db.execute(
                _API_SELECT + " AND t.token = ?", [access_token]
            ).fetchone()
            return row

        row = await self._database.run(read)
        if row is None:
            raise NotFoundError("unknown access token")
        return api_user_from_row(row)

    async def api_users(self) -> list[ApiUser]:
        def read(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
            return list(db.execute(_API_SELECT + " ORDER BY u.created_at, u.rowid").fetchall())

        return [api_user_from_row(r) for r in await self._database.run(read)]

    async def delete_api_user(self, access_token: str) -> None:
        user = await self.api_user_by_token(access_token)

        def remove(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM user_access_tokens WHERE user_id = ?", [user.id])
            conn.execute("DELETE FROM users WHERE id = ?", [user.id])

        await self._database.run(_write(remove))

    async def touch_api_user(self, access_token: str, at: datetime) -> None:
        user = await self.api_user_by_token(access_token)

        def touch(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE users SET last_used_at = ? WHERE id = ?", [to_text(at), user.id])

        await self._database.run(_write(touch))

    # IP bans -----------------------------------------------------------------------------------------
    async def ban_ip(self, ip_address: str, notes: str, at: datetime) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO ip_bans (ip_address, notes, created_at) VALUES (?, ?, ?)",
                [ip_address, notes, to_text(at)],
            )

        await self._database.run(_write(insert))

    async def unban_ip(self, ip_address: str) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM ip_bans WHERE ip_address = ?", [ip_address])

        await self._database.run(_write(remove))

    async def ip_bans(self) -> list[IPBan]:
        def read(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
            return list(
                db.execute("SELECT ip_address, notes, created_at FROM ip_bans ORDER BY created_at, rowid")
            )

        return [
            IPBan(ip, notes, from_text(at) or datetime.min)
            for ip, notes, at in await self._database.run(read)
        ]

    async def is_ip_banned(self, ip_address: str) -> bool:
        def read(db: sqlite_utils.Database) -> bool:
            return (
                db.execute("SELECT 1 FROM ip_bans WHERE ip_address = ?", [ip_address]).fetchone() is not None
            )

        return await self._database.run(read)
