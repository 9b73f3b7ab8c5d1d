"""``DeliveryQueue`` on SQLite (tables ``ap_delivery_bodies`` and ``ap_deliveries``, migration 10).

"First queued for its inbox" is ``MIN(id)`` per inbox (ids only grow: AUTOINCREMENT). Queries
interpolate only constant SQL and ``?`` placeholders."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from owncast_adapters.sqlite.admin_schema import text_time, time_text
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.delivery import QueuedDelivery, delivery_domain

_SELECT = ("SELECT d.id, d.activity_id, d.inbox, b.body, d.created_at, d.next_attempt_at, d.attempts, d.last_error "
           "FROM ap_deliveries d JOIN ap_delivery_bodies b ON b.activity_id = d.activity_id")
_HEADS = "d.id IN (SELECT MIN(id) FROM ap_deliveries GROUP BY inbox)"


def _delivery(row: tuple[Any, ...]) -> QueuedDelivery:
    delivery_id, activity_id, inbox, body, created, next_at, attempts, error = row
    created_at, next_attempt_at = text_time(str(created)), text_time(str(next_at))
    assert created_at is not None and next_attempt_at is not None
    return QueuedDelivery(id=int(delivery_id), activity_id=str(activity_id), inbox=str(inbox), body=bytes(body),
                          created_at=created_at, next_attempt_at=next_attempt_at, attempts=int(attempts),
                          last_error=str(error))


def _skip(skip_domains: Collection[str]) -> tuple[str, list[str]]:
    domains = sorted(set(skip_domains))
    if not domains:
        return "", []
    return f" AND d.domain NOT IN ({', '.join('?' for _ in domains)})", domains


class SqliteDeliveryQueue:
    """Implements ``owncast_core.ports.activitypub.DeliveryQueue`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def add(self, activity_id: str, body: bytes, inboxes: Sequence[str], *, at: datetime) -> int:
        unique = list(dict.fromkeys(inboxes))
        if not unique:
            return 0
        when = time_text(at)

        def insert(db: sqlite_utils.Database) -> int:
            added = 0
            with db.conn:
                db.conn.execute("BEGIN")
                db.conn.execute("INSERT OR IGNORE INTO ap_delivery_bodies (activity_id, body) VALUES (?, ?)",
                                [activity_id, bytes(body)])
                for inbox in unique:
                    cursor = db.conn.execute(
                        "INSERT OR IGNORE INTO ap_deliveries (activity_id, inbox, domain, next_attempt_at, created_at)"
                        " VALUES (?, ?, ?, ?, ?)", [activity_id, inbox, delivery_domain(inbox), when, when])
                    added += cursor.rowcount
            return added

        return await self._database.run(insert)

    async def due(self, now: datetime, *, limit: int,
                  skip_domains: Collection[str] = ()) -> builtins.list[QueuedDelivery]:
        skip, params = _skip(skip_domains)
        sql = f"{_SELECT} WHERE {_HEADS} AND d.next_attempt_at <= ?{skip} ORDER BY d.id LIMIT ?"
        rows = await self._database.run(lambda db: db.execute(
            sql, [time_text(now), *params, max(0, limit)]).fetchall())
        return [_delivery(r) for r in rows]

    async def next_due(self, *, skip_domains: Collection[str] = ()) -> datetime | None:
        skip, params = _skip(skip_domains)
        sql = f"SELECT MIN(d.next_attempt_at) FROM ap_deliveries d WHERE {_HEADS}{skip}"  # noqa: S608
        row = await self._database.run(lambda db: db.execute(sql, params).fetchone())
        return text_time(row[0]) if row and row[0] is not None else None

    async def retry(self, delivery_id: int, *, at: datetime, error: str) -> None:
        def update(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.conn.execute("UPDATE ap_deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
                                "WHERE id = ?", [time_text(at), error, delivery_id])

        await self._database.run(update)

    async def remove(self, delivery_id: int) -> bool:
        def delete(db: sqlite_utils.Database) -> bool:
            with db.conn:
                db.conn.execute("BEGIN")
                row = db.conn.execute("SELECT activity_id FROM ap_deliveries WHERE id = ?", [delivery_id]).fetchone()
                if row is None:
                    return False
                db.conn.execute("DELETE FROM ap_deliveries WHERE id = ?", [delivery_id])
                db.conn.execute("DELETE FROM ap_delivery_bodies WHERE activity_id = ? AND NOT EXISTS "
                                "(SELECT 1 FROM ap_deliveries WHERE activity_id = ?)", [row[0], row[0]])
            return True

        return await self._database.run(delete)

    async def clear(self) -> int:
        def delete(db: sqlite_utils.Database) -> int:
            with db.conn:
                db.conn.execute("BEGIN")
                count = db.conn.execute("DELETE FROM ap_deliveries").rowcount
                db.conn.execute("DELETE FROM ap_delivery_bodies")
            return int(count)

        return await self._database.run(delete)

    async def remove_domain(self, domain: str) -> int:
        return await self._delete_where("domain = ?", domain)

    async def remove_created_before(self, moment: datetime) -> int:
        return await self._delete_where("created_at < ?", time_text(moment))

    async def _delete_where(self, condition: str, value: str) -> int:
        """Delete the deliveries matching ``condition`` (constant SQL with one ``?``) and the
        bodies no delivery uses any more."""

        def delete(db: sqlite_utils.Database) -> int:
            with db.conn:
                db.conn.execute("BEGIN")
                count = db.conn.execute(f"DELETE FROM ap_deliveries WHERE {condition}", [value]).rowcount  # noqa: S608
                db.conn.execute("DELETE FROM ap_delivery_bodies WHERE activity_id NOT IN "
                                "(SELECT activity_id FROM ap_deliveries)")
            return int(count)

        return await self._database.run(delete)

    async def list(self, *, offset: int = 0, limit: int | None = None) -> builtins.list[QueuedDelivery]:
        rows = await self._database.run(lambda db: db.execute(
            f"{_SELECT} ORDER BY d.id LIMIT ? OFFSET ?", [-1 if limit is None else limit, offset]).fetchall())
        return [_delivery(r) for r in rows]

    async def count(self) -> int:
        row = await self._database.run(lambda db: db.execute("SELECT COUNT(*) FROM ap_deliveries").fetchone())
        return int(row[0])
