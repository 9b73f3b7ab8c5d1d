"""Bindings of the ConfigRepository contract: the in-memory fake and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from owncast_adapters.sqlite.config_repository import SqliteConfigRepository
from owncast_adapters.sqlite.database import Database
from owncast_core.testing.contracts.config import ConfigRepositoryContract, RepositoryFactory
from owncast_core.testing.fakes import InMemoryConfigRepository


class TestInMemoryConfigRepository(ConfigRepositoryContract):
    @pytest.fixture
    async def make_repository(self) -> RepositoryFactory:
        repo = InMemoryConfigRepository()

        async def make() -> InMemoryConfigRepository:
            return repo

        return make


class TestSqliteConfigRepository(ConfigRepositoryContract):
    @pytest.fixture
    async def make_repository(self, tmp_path: Path) -> AsyncIterator[RepositoryFactory]:
        opened: list[Database] = []

        async def make() -> SqliteConfigRepository:
            # A second call closes the first handle and reopens the same file: persistence is real.
            for db in opened:
                await db.close()
            db = Database(tmp_path / "owncast.db")
            await db.open()
            opened.append(db)
            return SqliteConfigRepository(database=db)

        yield make
        for db in opened:
            await db.close()
