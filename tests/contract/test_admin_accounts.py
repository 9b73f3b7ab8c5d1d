"""Bindings of the ``AdminAccountRepository`` contract: the in-memory fake and SQLite (a real
file, reopened between handles), plus the migrations that add the table and the roles to older
databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from owncast_adapters.sqlite.admin_account_repository import SqliteAdminAccountRepository
from owncast_adapters.sqlite.database import Database
from owncast_adapters.sqlite.migrations import MIGRATIONS
from owncast_core.domain.admin_accounts import AdminAccount, AdminRole
from owncast_core.errors import StorageError
from owncast_core.testing.contracts.admin_accounts import (
    T0,
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


async def test_accounts_made_before_roles_become_admins(tmp_path: Path) -> None:
    """A version-12 database (accounts, no roles) upgrades: every existing account is an admin,
    as it was, and keeps everything else; roles can then be changed and new accounts given one."""
    path = tmp_path / "owncast.db"
    roles = next(m.version for m in MIGRATIONS if m.name == "roles of named admin accounts")
    old = Database(path, migrations=tuple(m for m in MIGRATIONS if m.version < roles))
    await old.open()
    await old.run(lambda h: h.execute(
        "INSERT INTO admin_accounts (username, password_hash, created_at, last_login_at) VALUES "
        "('alice', 'ha', '2026-03-01T12:00:00.123456Z', NULL), "
        "('bob', 'hb', '2026-03-01T12:00:00.123456Z', '2026-03-01T13:00:00.000007Z')"))
    await old.close()

    db = Database(path)
    await db.open()
    try:
        repo = SqliteAdminAccountRepository(database=db)
        assert await repo.list() == [
            AdminAccount("alice", "ha", T0),
            AdminAccount("bob", "hb", T0, datetime(2026, 3, 1, 13, 0, 0, 7, tzinfo=UTC), AdminRole.ADMIN),
        ]
        await repo.set_role("bob", AdminRole.MODERATOR)
        await repo.create(account("carol", role=AdminRole.MODERATOR))
        assert [(a.username, a.role) for a in await repo.list()] == [
            ("alice", AdminRole.ADMIN), ("bob", AdminRole.MODERATOR), ("carol", AdminRole.MODERATOR)]
        assert await db.run(lambda h: h.execute("PRAGMA user_version").fetchone()[0]) == MIGRATIONS[-1].version
    finally:
        await db.close()


async def test_a_stored_role_this_version_does_not_know_is_a_storage_error(tmp_path: Path) -> None:
    """Never read as some other role (a newer version's role, or a hand edit)."""
    db = Database(tmp_path / "owncast.db")
    await db.open()
    try:
        repo = SqliteAdminAccountRepository(database=db)
        await repo.create(account("alice"))
        await db.run(lambda h: h.execute("UPDATE admin_accounts SET role = 'owner'"))
        with pytest.raises(StorageError, match="unknown role 'owner'"):
            await repo.get("alice")
        with pytest.raises(StorageError):
            await repo.list()
    finally:
        await db.close()
