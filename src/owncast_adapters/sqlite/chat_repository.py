"""``ChatRepository`` on SQLite: the ``messages`` table joined with ``users``.

Queries interpolate only the constant column lists of ``chat_schema`` (hence the S608 noqa).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from owncast_adapters.sqlite.chat_schema import (
    MESSAGE_COLUMNS,
    USER_COLUMNS,
    record_from_row,
    record_row,
    to_text,
    user_from_row,
)
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.chat import ChatRecord, HistoryEntry
from owncast_core.errors import ValidationError

_M = ", ".join("m." + c.strip() for c in MESSAGE_COLUMNS.split(","))
_U = ", ".join("u." + c.strip() for c in USER_COLUMNS.split(","))
_JOINED = f"SELECT {_M}, {_U} FROM messages m LEFT JOIN users u ON u.id = m.user_id"  # noqa: S608


def _entry(row: tuple[Any, ...]) -> HistoryEntry:
    user = user_from_row(row[10:]) if row[10] is not None else None
    return HistoryEntry(record_from_row(row), user)


class SqliteChatRepository:
    """Implements ``owncast_core.ports.chat.ChatRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def save(self, records: Sequence[ChatRecord]) -> None:
        rows = [record_row(r) for r in records]
        if not rows:
            return

        def insert(db: sqlite_utils.Database) -> None:
            conn = db.conn
            try:
                with conn:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.executemany(
                        f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES ({', '.join('?' * len(rows[0]))})",  # noqa: S608
                        rows,
                    )
            except sqlite3.IntegrityError as exc:
                raise ValidationError(f"duplicate message id: {exc}") from exc

        await self._database.run(insert)

    async def _entries(self, sql: str, args: Sequence[Any] = ()) -> list[HistoryEntry]:
        def read(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
            return list(db.execute(sql, list(args)).fetchall())

        return [_entry(r) for r in await self._database.run(read)]

    async def history(self, limit: int) -> list[HistoryEntry]:
        newest = await self._entries(
            f"{_JOINED} WHERE m.hidden_at IS NULL AND (m.user_id IS NULL OR (u.id IS NOT NULL AND "
            "u.disabled_at IS NULL)) ORDER BY m.timestamp DESC, m.rowid DESC LIMIT ?",
            [max(0, limit)],
        )
        return newest[::-1]

    async def all_messages(self) -> list[HistoryEntry]:
        return await self._entries(f"{_JOINED} ORDER BY m.timestamp DESC, m.rowid DESC")

    async def set_hidden(self, ids: Sequence[str], at: datetime | None) -> None:
        if not ids:
            return
        values = [(to_text(at), i) for i in ids]

        def update(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.conn.execute("BEGIN IMMEDIATE")
                db.conn.executemany("UPDATE messages SET hidden_at = ? WHERE id = ?", values)

        await self._database.run(update)

    async def message_ids_for_user(self, user_id: str) -> list[str]:
        def read(db: sqlite_utils.Database) -> list[str]:
            return [
                r[0]
                for r in db.execute(
                    "SELECT id FROM messages WHERE user_id = ? ORDER BY timestamp, rowid", [user_id]
                )
            ]

        return await self._database.run(read)

    async def messages_from_user(self, user_id: str) -> list[ChatRecord]:
        def read(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
            return list(
                db.execute(
                    f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE user_id = ? ORDER BY timestamp, rowid",  # noqa: S608
                    [user_id],
                )
            )

        return [record_from_row(r) for r in await self._database.run(read)]

    async def prune(self, before: datetime) -> int:
        def delete(db: sqlite_utils.Database) -> int:
            with db.conn:
                db.conn.execute("BEGIN IMMEDIATE")
                return int(
                    db.conn.execute("DELETE FROM messages WHERE timestamp < ?", [to_text(before)]).rowcount
                )

        return await self._database.run(delete)

    async def count(self) -> int:
        row = await self._database.run(lambda db: db.execute("SELECT COUNT(*) FROM messages").fetchone())
        return int(row[0])
