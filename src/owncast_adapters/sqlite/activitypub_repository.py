"""``ActivityPubRepository`` on SQLite (tables ``ap_outbox`` and ``ap_accepted_activities``)."""

from __future__ import annotations

import builtins
import json
from typing import Any

import sqlite_utils

from owncast_adapters.sqlite.admin_schema import text_time, time_text
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.activitypub import FederatedAction, OutboxItem


def _item(row: tuple[Any, ...]) -> OutboxItem:
    object_id, activity_id, value, created, live = row
    at = text_time(str(created))
    assert at is not None
    return OutboxItem(object_id=str(object_id), activity_id=str(activity_id), activity=json.loads(value),
                      created_at=at, live_notification=bool(live))


def _action(row: tuple[Any, ...]) -> FederatedAction:
    iri, actor, kind, timestamp = row
    at = text_time(str(timestamp))
    assert at is not None
    return FederatedAction(iri=str(iri), actor_iri=str(actor), type=str(kind), timestamp=at)


_ITEM = "SELECT id, activity_id, value, created_at, live_notification FROM ap_outbox"


class SqliteActivityPubRepository:
    """Implements ``owncast_core.ports.activitypub.ActivityPubRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def add_outbox(self, item: OutboxItem) -> None:
        values = [item.object_id, item.activity_id, json.dumps(item.activity), str(item.activity.get("type", "")),
                  time_text(item.created_at), int(item.live_notification)]

        def insert(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.conn.execute("INSERT INTO ap_outbox (id, activity_id, value, type, created_at, live_notification) "
                                "VALUES (?, ?, ?, ?, ?, ?)", values)

        await self._database.run(insert)

    async def get_outbox(self, item_id: str) -> OutboxItem | None:
        row = await self._database.run(lambda db: db.execute(
            f"{_ITEM} WHERE id = ? OR activity_id = ? LIMIT 1", [item_id, item_id]).fetchone())
        return _item(row) if row else None

    async def list_outbox(self, *, offset: int = 0, limit: int | None = None) -> builtins.list[OutboxItem]:
        rows = await self._database.run(lambda db: db.execute(
            f"{_ITEM} ORDER BY created_at DESC, id LIMIT ? OFFSET ?", [-1 if limit is None else limit, offset]
        ).fetchall())
        return [_item(r) for r in rows]

    async def count_outbox(self) -> int:
        row = await self._database.run(lambda db: db.execute("SELECT COUNT(*) FROM ap_outbox").fetchone())
        return int(row[0])

    async def add_action(self, action: FederatedAction) -> bool:
        def insert(db: sqlite_utils.Database) -> bool:
            with db.conn:
                cursor = db.conn.execute(
                    "INSERT OR IGNORE INTO ap_accepted_activities (iri, actor, type, timestamp) VALUES (?, ?, ?, ?)",
                    [action.iri, action.actor_iri, action.type, time_text(action.timestamp)])
            return cursor.rowcount > 0

        return await self._database.run(insert)

    async def list_actions(self, *, offset: int = 0,
                           limit: int | None = None) -> builtins.list[FederatedAction]:
        rows = await self._database.run(lambda db: db.execute(
            "SELECT iri, actor, type, timestamp FROM ap_accepted_activities ORDER BY timestamp DESC, id DESC "
            "LIMIT ? OFFSET ?", [-1 if limit is None else limit, offset]).fetchall())
        return [_action(r) for r in rows]

    async def count_actions(self) -> int:
        row = await self._database.run(
            lambda db: db.execute("SELECT COUNT(*) FROM ap_accepted_activities").fetchone())
        return int(row[0])
