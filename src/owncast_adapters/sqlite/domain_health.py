"""``DomainHealthRepository`` on SQLite (table ``ap_delivery_domains``, migration 11): one row
per failing domain, times as sortable UTC text (``admin_schema.time_text``)."""

from __future__ import annotations

import builtins
from typing import Any

import sqlite_utils

from owncast_adapters.sqlite.admin_schema import text_time, time_text
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.delivery import DomainHealth

_COLUMNS = "domain, failures, pause, open_until, first_failure_at, unavailable_since, next_probe_at"


def _record(row: tuple[Any, ...]) -> DomainHealth:
    domain, failures, pause, open_until, first_failure, unavailable, probe = row
    return DomainHealth(domain=str(domain), failures=int(failures), pause=float(pause),
                        open_until=text_time(open_until), first_failure_at=text_time(first_failure),
                        unavailable_since=text_time(unavailable), next_probe_at=text_time(probe))


def _text(value: Any) -> str | None:
    return None if value is None else time_text(value)


class SqliteDomainHealthRepository:
    """Implements ``owncast_core.ports.activitypub.DomainHealthRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def save(self, record: DomainHealth) -> None:
        values = [record.domain, record.failures, record.pause, _text(record.open_until),
                  _text(record.first_failure_at), _text(record.unavailable_since), _text(record.next_probe_at)]

        def upsert(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.conn.execute(f"INSERT OR REPLACE INTO ap_delivery_domains ({_COLUMNS}) "  # noqa: S608
                                "VALUES (?, ?, ?, ?, ?, ?, ?)", values)

        await self._database.run(upsert)

    async def list(self) -> builtins.list[DomainHealth]:
        rows = await self._database.run(lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM ap_delivery_domains ORDER BY domain").fetchall())  # noqa: S608
        return [_record(r) for r in rows]

    async def remove(self, domain: str) -> bool:
        def delete(db: sqlite_utils.Database) -> bool:
            with db.conn:
                return bool(db.conn.execute("DELETE FROM ap_delivery_domains WHERE domain = ?", [domain]).rowcount)

        return await self._database.run(delete)
