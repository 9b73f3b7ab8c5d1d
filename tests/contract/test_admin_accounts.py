"""Bindings of the ``AdminAccountRepository`` contract: the in-memory fake and SQLite (a real
file, reopened between handles), plus the migration that adds the table to older databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from owncast_adapters.sqlite.admin_account_repository import SqliteAdminAccountRepository
from owncast_adapters.sqlite.database import Database
from owncast_adapters.sqlite.migrations import MIGRATIONS
from owncast_core.testing.contracts.admin_accounts import (
    AdminAccountRepositoryContract,
    RepositoryFactory,
    account,
)
from owncast_core.testing.fakes import InMemoryAdminAccountRepository


class TestInMemoryAdminAccountRepository(AdminAccountRepositoryContract):
    @pytest.fixture
    async def make_repository(self) -> RepositoryFactory:
        repo = InMemoryAdminAccountRepository()

        async def make() -> InMemoryAdminAccountRepository:
            return repo

        return make


class TestSqliteAdminAccountRepository(AdminAccountRepositoryContract):
    @pytest.fixture
    async def make_repository(self, tmp_path: Path) -> AsyncIterator[RepositoryFactory]:
        opened: list[Database] = []

        async def make() -> SqliteAdminAccountRepository:
            for db in opened:
                await db.close()
            db = Database(tmp_path / "owncast.db")
            await db.open()
            opened.append(db)
            return SqliteAdminAccountRepository(database=db)

        yield make
        for db in opened:
            await db.close()


async def test_an_older_database_gains_the_table(tmp_path: Path) -> None:
    """A database made before the admin-accounts migration upgrades to the newest version and
    keeps its data."""
    path = tmp_path / "owncast.db"
    mine = next(m.version for m in MIGRATIONS if m.name == "named admin accounts")
    old = Database(path, migrations=tuple(m for m in MIGRATIONS if m.version < mine))
    await old.open()
    await old.run(lambda h: h.execute("INSERT INTO config (key, value) VALUES ('kept', '1')"))
    await old.close()

    db = Database(path)
    await db.open()
    try:
        repo = SqliteAdminAccountRepository(database=db)
        assert await repo.list() == []
        await repo.create(account("alice"))
        assert [a.username for a in await repo.list()] == ["alice"]
        assert await db.run(lambda h: h.execute("SELECT value FROM config WHERE key = 'kept'").fetchone()) == ("1",)
        assert await db.run(lambda h: h.execute("PRAGMA user_version").fetchone()[0]) == MIGRATIONS[-1].version
    finally:
        await db.close()
