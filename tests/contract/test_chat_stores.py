"""Bindings of the UserRepository and ChatRepository contracts: in-memory fakes and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from owncast_adapters.sqlite.chat_repository import SqliteChatRepository
from owncast_adapters.sqlite.database import Database
from owncast_adapters.sqlite.user_repository import SqliteUserRepository
from owncast_core.testing.contracts.chat import ChatRepositoryContract, ChatStores, ChatStoresFactory
from owncast_core.testing.contracts.users import UserRepositoryContract, UserRepositoryFactory
from owncast_core.testing.fakes import InMemoryChatRepository, InMemoryUserRepository


class TestInMemoryUserRepository(UserRepositoryContract):
    @pytest.fixture
    async def make_repository(self) -> UserRepositoryFactory:
        repo = InMemoryUserRepository()

        async def make() -> InMemoryUserRepository:
            return repo

        return make


class TestInMemoryChatRepository(ChatRepositoryContract):
    @pytest.fixture
    async def make_stores(self) -> ChatStoresFactory:
        users = InMemoryUserRepository()
        chat = InMemoryChatRepository(users)

        async def make() -> ChatStores:
            return chat, users

        return make


@pytest.fixture
async def reopening_database(tmp_path: Path) -> AsyncIterator[list[Database]]:
    opened: list[Database] = []
    yield opened
    for db in opened:
        await db.close()


async def _reopen(opened: list[Database], path: Path) -> Database:
    """Close earlier handles and open the same file again, so persistence is real."""
    for db in opened:
        await db.close()
    db = Database(path)
    await db.open()
    opened.append(db)
    return db


class TestSqliteUserRepository(UserRepositoryContract):
    @pytest.fixture
    async def make_repository(
        self, tmp_path: Path, reopening_database: list[Database]
    ) -> UserRepositoryFactory:
        async def make() -> SqliteUserRepository:
            return SqliteUserRepository(database=await _reopen(reopening_database, tmp_path / "owncast.db"))

        return make


class TestSqliteChatRepository(ChatRepositoryContract):
    @pytest.fixture
    async def make_stores(self, tmp_path: Path, reopening_database: list[Database]) -> ChatStoresFactory:
        async def make() -> ChatStores:
            db = await _reopen(reopening_database, tmp_path / "owncast.db")
            return SqliteChatRepository(database=db), SqliteUserRepository(database=db)

        return make
