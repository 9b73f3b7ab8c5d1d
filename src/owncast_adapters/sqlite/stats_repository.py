"""``StatsRepository`` on SQLite (table ``viewer_counts``)."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from owncast_adapters.sqlite.admin_schema import text_time, time_text
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.stats import TimestampedValue


class SqliteStatsRepository:
    """Implements ``owncast_core.ports.stats.StatsRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def add_viewer_count(self, at: datetime, count: int) -> None:
        def insert(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.conn.execute("INSERT INTO viewer_counts (time, count) VALUES (?, ?)",
                                [time_text(at), int(count)])

        await self._database.run(insert)

    async def viewer_counts(self, since: datetime) -> list[TimestampedValue]:
        query = "SELECT time, count FROM viewer_counts WHERE time >= ? ORDER BY time"
        rows = await self._database.run(lambda db: db.execute(query, [time_text(since)]).fetchall())
        points = []
        for at, count in rows:
            when = text_time(str(at))
            if when is not None:
                points.append(TimestampedValue(when, float(count)))
        return points

    async def prune(self, before: datetime) -> int:
        def remove(db: sqlite_utils.Database) -> int:
            with db.conn:
                cursor = db.conn.execute("DELETE FROM viewer_counts WHERE time < ?", [time_text(before)])
                return int(cursor.rowcount)

        return await self._database.run(remove)
