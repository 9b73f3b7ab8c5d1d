"""``NotificationsRepository`` on SQLite (table ``notifications``, as Owncast's)."""

from __future__ import annotations

import builtins
from datetime import datetime

import sqlite_utils

from owncast_adapters.sqlite.admin_schema import text_time, time_text
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.notifications import NotificationDestination


class SqliteNotificationsRepository:
    """Implements ``owncast_core.ports.notifications.NotificationsRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def add(self, channel: str, destination: str, created_at: datetime) -> bool:
        def insert(db: sqlite_utils.Database) -> bool:
            with db.conn:
                cursor = db.conn.execute(
                    "INSERT OR IGNORE INTO notifications (channel, destination, created_at) VALUES (?, ?, ?)",
                    [channel, destination, time_text(created_at)],
                )
            return cursor.rowcount > 0

        return await self._database.run(insert)

    async def list(self, channel: str) -> builtins.list[NotificationDestination]:
        rows = await self._database.run(lambda db: db.execute(
            "SELECT destination, created_at FROM notifications WHERE channel = ? ORDER BY id", [channel]).fetchall())
        out = []
        for destination, created in rows:
            at = text_time(str(created))
            assert at is not None
            out.append(NotificationDestination(channel, str(destination), at))
        return out

    async def count(self, channel: str) -> int:
        row = await self._database.run(lambda db: db.execute(
            "SELECT COUNT(*) FROM notifications WHERE channel = ?", [channel]).fetchone())
        return int(row[0])

    async def remove(self, channel: str, destination: str) -> bool:
        def delete(db: sqlite_utils.Database) -> bool:
            with db.conn:
                cursor = db.conn.execute("DELETE FROM notifications WHERE channel = ? AND destination = ?",
                                         [channel, destination])
            return cursor.rowcount > 0

        return await self._database.run(delete)
