"""``FollowersRepository`` on SQLite (table ``ap_followers``, Owncast's name and columns plus
``shared_inbox``). Queries interpolate only the constant column list and state conditions
below (hence the S608 noqa)."""

from __future__ import annotations

import builtins
from typing import Any

import sqlite_utils

from owncast_adapters.sqlite.admin_schema import text_time, time_text
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.activitypub import Follower, FollowerState

_STATE_WHERE = {
    "approved": "disabled_at IS NULL AND approved_at IS NOT NULL",
    "pending": "disabled_at IS NULL AND approved_at IS NULL",
    "blocked": "disabled_at IS NOT NULL",
}
_COLUMNS = "iri, inbox, shared_inbox, name, username, image, request, created_at, approved_at, disabled_at"


def _follower(row: tuple[Any, ...]) -> Follower:
    iri, inbox, shared, name, username, image, request, created, approved, disabled = row
    created_at = text_time(str(created))
    assert created_at is not None
    return Follower(actor_iri=str(iri), inbox=str(inbox), shared_inbox=str(shared), name=str(name),
                    username=str(username), image=str(image), follow_iri=str(request), created_at=created_at,
                    approved_at=text_time(approved), disabled_at=text_time(disabled))


class SqliteFollowersRepository:
    """Implements ``owncast_core.ports.activitypub.FollowersRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def save(self, follower: Follower) -> None:
        f = follower
        values = [f.actor_iri, f.inbox, f.shared_inbox, f.name, f.username, f.image, f.follow_iri,
                  time_text(f.created_at), time_text(f.approved_at) if f.approved_at else None,
                  time_text(f.disabled_at) if f.disabled_at else None]

        def upsert(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.conn.execute(
                    f"INSERT INTO ap_followers ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "  # noqa: S608
                    "ON CONFLICT (iri) DO UPDATE SET inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, "
                    "name = excluded.name, username = excluded.username, image = excluded.image, "
                    "request = excluded.request, approved_at = excluded.approved_at, "
                    "disabled_at = excluded.disabled_at",
                    values,
                )

        await self._database.run(upsert)

    async def get(self, actor_iri: str) -> Follower | None:
        row = await self._database.run(lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM ap_followers WHERE iri = ?", [actor_iri]).fetchone())  # noqa: S608
        return _follower(row) if row else None

    async def remove(self, actor_iri: str) -> bool:
        def delete(db: sqlite_utils.Database) -> bool:
            with db.conn:
                cursor = db.conn.execute("DELETE FROM ap_followers WHERE iri = ?", [actor_iri])
            return cursor.rowcount > 0

        return await self._database.run(delete)

    async def list(self, state: FollowerState, *, offset: int = 0,
                   limit: int | None = None) -> builtins.list[Follower]:
        sql = (f"SELECT {_COLUMNS} FROM ap_followers WHERE {_STATE_WHERE[state]} "  # noqa: S608
               "ORDER BY created_at DESC, iri LIMIT ? OFFSET ?")
        rows = await self._database.run(lambda db: db.execute(
            sql, [-1 if limit is None else limit, offset]).fetchall())
        return [_follower(r) for r in rows]

    async def count(self, state: FollowerState) -> int:
        row = await self._database.run(lambda db: db.execute(
            f"SELECT COUNT(*) FROM ap_followers WHERE {_STATE_WHERE[state]}").fetchone())  # noqa: S608
        return int(row[0])
