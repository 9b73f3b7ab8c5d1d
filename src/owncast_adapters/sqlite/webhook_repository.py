"""``WebhookRepository`` on SQLite (table ``webhooks``; events as a JSON list)."""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from typing import Any

import sqlite_utils

from owncast_adapters.sqlite.admin_schema import text_time, time_text
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.webhooks import Webhook
from owncast_core.errors import NotFoundError

_SELECT = "SELECT id, url, events, secret, timestamp, last_used FROM webhooks"


def _webhook(row: tuple[Any, ...]) -> Webhook:
    hook_id, url, events, secret, timestamp, last_used = row
    created = text_time(str(timestamp))
    assert created is not None
    return Webhook(id=int(hook_id), url=str(url), events=tuple(json.loads(events)), timestamp=created,
                   last_used=text_time(last_used), secret=str(secret))


class SqliteWebhookRepository:
    """Implements ``owncast_core.ports.webhooks.WebhookRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def create(self, *, url: str, events: tuple[str, ...], secret: str, timestamp: datetime) -> Webhook:
        def insert(db: sqlite_utils.Database) -> int:
            with db.conn:
                cursor = db.conn.execute(
                    "INSERT INTO webhooks (url, events, secret, timestamp) VALUES (?, ?, ?, ?)",
                    [url, json.dumps(list(events)), secret, time_text(timestamp)],
                )
            return int(cursor.lastrowid or 0)

        hook_id = await self._database.run(insert)
        return Webhook(id=hook_id, url=url, events=tuple(events), timestamp=timestamp, secret=secret)

    async def list(self) -> builtins.list[Webhook]:
        rows = await self._database.run(
            lambda db: db.execute(_SELECT + " ORDER BY id").fetchall())
        return [_webhook(row) for row in rows]

    async def get(self, webhook_id: int) -> Webhook:
        row = await self._database.run(
            lambda db: db.execute(_SELECT + " WHERE id = ?", [webhook_id]).fetchone())
        if row is None:
            raise NotFoundError(f"no webhook {webhook_id}")
        return _webhook(row)

    async def for_event(self, event_type: str) -> builtins.list[Webhook]:
        return [hook for hook in await self.list() if hook.wants(event_type)]

    async def delete(self, webhook_id: int) -> bool:
        def remove(db: sqlite_utils.Database) -> int:
            with db.conn:
                return int(db.conn.execute("DELETE FROM webhooks WHERE id = ?", [webhook_id]).rowcount)

        return await self._database.run(remove) > 0

    async def mark_used(self, webhook_id: int, at: datetime) -> None:
        def update(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.conn.execute("UPDATE webhooks SET last_used = ? WHERE id = ?", [time_text(at), webhook_id])

        await self._database.run(update)
