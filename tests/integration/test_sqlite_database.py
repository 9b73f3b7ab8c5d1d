"""The SQLite Database adapter on a real file: WAL, migrations, backups, errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from owncast_adapters.sqlite.database import BACKUP_NAME, Database
from owncast_adapters.sqlite.migrations import MIGRATIONS, Migration
from owncast_core.errors import StorageError


async def test_opens_in_wal_mode_with_normal_sync(tmp_path: Path) -> None:
    db = Database(tmp_path / "owncast.db")
    await db.open()
    try:
        mode = await db.run(lambda d: d.execute("PRAGMA journal_mode").fetchone()[0])
        sync = await db.run(lambda d: d.execute("PRAGMA synchronous").fetchone()[0])
        version = await db.run(lambda d: d.execute("PRAGMA user_version").fetchone()[0])
    finally:
        await db.close()
    assert mode == "wal" and sync == 1  # NORMAL
    assert version == max(m.version for m in MIGRATIONS)


async def test_backup_is_a_consistent_copy_replaced_atomically(tmp_path: Path) -> None:
    db = Database(tmp_path / "owncast.db", backup_dir=tmp_path / "backup")
    await db.open()
    try:
        await db.run(lambda d: d.execute("INSERT INTO config VALUES ('a', '1')") and d.conn.commit())
        first = await db.backup()
        await db.run(lambda d: d.execute("INSERT INTO config VALUES ('b', '2')") and d.conn.commit())
        second = await db.backup()
    finally:
        await db.close()
    assert first == second == tmp_path / "backup" / BACKUP_NAME
    rows = sqlite3.connect(second).execute("SELECT key FROM config ORDER BY key").fetchall()
    assert rows == [("a",), ("b",)]
    assert not (tmp_path / "backup" / (BACKUP_NAME + ".tmp")).exists()
    assert sqlite3.connect(second).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_migrations_back_up_first_and_apply_in_order(tmp_path: Path) -> None:
    path = tmp_path / "owncast.db"
    db = Database(path)
    await db.open()
    await db.run(lambda d: d.execute("INSERT INTO config VALUES ('kept', '\"yes\"')") and d.conn.commit())
    await db.close()

    applied: list[int] = []

    def add_table(d: sqlite_utils.Database) -> None:
        applied.append(100)
        d.execute("CREATE TABLE extra (x INTEGER)")

    newer = (*MIGRATIONS, Migration(100, "extra table", add_table))
    db = Database(path, migrations=newer)
    await db.open()
    try:
        assert applied == [100]
        assert await db.run(lambda d: d.execute("PRAGMA user_version").fetchone()[0]) == 100
    finally:
        await db.close()
    backup = sqlite3.connect(tmp_path / "backup" / BACKUP_NAME)
    assert backup.execute("SELECT value FROM config WHERE key='kept'").fetchone() == ('"yes"',)
    assert backup.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1].version


async def test_a_version_10_database_upgrades_to_11_keeping_its_delivery_queue(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from owncast_adapters.sqlite.delivery_queue import SqliteDeliveryQueue
    from owncast_adapters.sqlite.domain_health import SqliteDomainHealthRepository
    from owncast_core.domain.delivery import DomainHealth

    path, at = tmp_path / "owncast.db", datetime(2026, 1, 1, tzinfo=UTC)
    old = Database(path, migrations=tuple(m for m in MIGRATIONS if m.version <= 10))
    await old.open()
    await SqliteDeliveryQueue(database=old).add("a1", b"{}", ["https://social.example/inbox"], at=at)
    await old.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 10

    db = Database(path)
    await db.open()
    try:
        assert await db.run(lambda d: d.execute("PRAGMA user_version").fetchone()[0]) == MIGRATIONS[-1].version
        assert [d.activity_id for d in await SqliteDeliveryQueue(database=db).list()] == ["a1"]
        domains = SqliteDomainHealthRepository(database=db)
        assert await domains.list() == []
        await domains.save(DomainHealth("social.example", failures=1, first_failure_at=at))
        assert [r.domain for r in await domains.list()] == ["social.example"]
    finally:
        await db.close()


async def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    def broken(d: sqlite_utils.Database) -> None:
        d.execute("CREATE TABLE half (x INTEGER)")
        d.execute("THIS IS NOT SQL")

    db = Database(tmp_path / "owncast.db", migrations=(*MIGRATIONS, Migration(50, "broken", broken)))
    with pytest.raises(StorageError):
        await db.open()
    conn = sqlite3.connect(tmp_path / "owncast.db")
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='half'").fetchone() is None
    assert conn.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1].version


async def test_closed_database_raises_storage_error(tmp_path: Path) -> None:
    db = Database(tmp_path / "owncast.db")
    with pytest.raises(StorageError):
        await db.run(lambda d: 1)
