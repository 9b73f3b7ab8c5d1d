"""``ConfigRepository`` on SQLite: one row per key, the value as JSON text."""

from __future__ import annotations

import json
from collections.abc import Mapping

import sqlite_utils

from owncast_adapters.sqlite.database import Database
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.ports.repositories import JsonValue


class SqliteConfigRepository:
    """Implements ``owncast_core.ports.repositories.ConfigRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def get(self, key: str) -> JsonValue:
        def read(db: sqlite_utils.Database) -> str | None:
            row = db.execute("SELECT value FROM config WHERE key = ?", [key]).fetchone()
            return None if row is None else str(row[0])

        raw = await self._database.run(read)
        if raw is None:
            raise NotFoundError(f"no configuration value for {key!r}")
        return json.loads(raw)

    async def set(self, key: str, value: JsonValue) -> None:
        await self.set_many({key: value})

    async def set_many(self, values: Mapping[str, JsonValue]) -> None:
        try:
            rows = [(str(k), json.dumps(v, allow_nan=False)) for k, v in values.items()]
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"configuration values must be JSON: {exc}") from exc

        def write(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.conn.execute("BEGIN IMMEDIATE")
                db.conn.executemany(
                    "INSERT INTO config (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    rows,
                )

        await self._database.run(write)

    async def delete(self, key: str) -> None:
        def remove(db: sqlite_utils.Database) -> None:
            with db.conn:
                db.conn.execute("DELETE FROM config WHERE key = ?", [key])

        await self._database.run(remove)

    async def all(self) -> dict[str, JsonValue]:
        def read(db: sqlite_utils.Database) -> list[tuple[str, str]]:
            return [(str(k), str(v)) for k, v in db.execute("SELECT key, value FROM config").fetchall()]

        return {key: json.loads(raw) for key, raw in await self._database.run(read)}
