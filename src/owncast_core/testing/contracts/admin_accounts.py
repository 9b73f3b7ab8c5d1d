# ruff: noqa: S105, S107  (test secrets)
"""Contract suite for ``AdminAccountRepository``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.admin_accounts import AdminAccount, AdminRole
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.ports.admin_accounts import AdminAccountRepository

RepositoryFactory = Callable[[], Awaitable[AdminAccountRepository]]
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def account(name: str, password_hash: str = "hash-1", created_at: datetime = T0,
            role: AdminRole = AdminRole.ADMIN) -> AdminAccount:
    return AdminAccount(username=name, password_hash=password_hash, created_at=created_at, role=role)


class AdminAccountRepositoryContract:
    """Provide ``make_repository``: an async factory; a second call must return a handle on the
    *same* store (reopened, for persistent adapters)."""

    @pytest.fixture
    async def make_repository(self) -> RepositoryFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def repository(self, make_repository: RepositoryFactory) -> AdminAccountRepository:
        return await make_repository()

    async def test_create_then_get_returns_the_account(self, repository: AdminAccountRepository) -> None:
        alice = account("alice", "$2b$10$abc")
        await repository.create(alice)
        got = await repository.get("alice")
        assert got == alice and got is not None and got.last_login_at is None

    async def test_get_of_an_unknown_name_is_none(self, repository: AdminAccountRepository) -> None:
        assert await repository.get("nobody") is None

    async def test_names_are_case_insensitive(self, repository: AdminAccountRepository) -> None:
        await repository.create(account("alice"))
        assert (await repository.get("ALICE")) == account("alice")
        with pytest.raises(ValidationError):
            await repository.create(account("Alice", "other"))
        assert [a.password_hash for a in await repository.list()] == ["hash-1"]

    async def test_a_duplicate_changes_nothing(self, repository: AdminAccountRepository) -> None:
        await repository.create(account("bob", "first"))
        with pytest.raises(ValidationError):
            await repository.create(account("bob", "second", T0 + timedelta(days=1)))
        assert await repository.get("bob") == account("bob", "first")

    async def test_list_is_ordered_by_username(self, repository: AdminAccountRepository) -> None:
        for name in ("carol", "alice", "bob.b", "bob-a", "bob_c"):
            await repository.create(account(name))
        assert [a.username for a in await repository.list()] == sorted(["carol", "alice", "bob.b", "bob-a", "bob_c"])

    async def test_delete(self, repository: AdminAccountRepository) -> None:
        await repository.create(account("alice"))
        await repository.create(account("bob"))
        assert await repository.delete("ALICE") is True
        assert await repository.delete("alice") is False
        assert await repository.get("alice") is None
        assert [a.username for a in await repository.list()] == ["bob"]

    async def test_set_password_hash(self, repository: AdminAccountRepository) -> None:
        await repository.create(account("alice", "old"))
        await repository.set_password_hash("alice", "new")
        got = await repository.get("alice")
        assert got is not None and got.password_hash == "new" and got.created_at == T0
        with pytest.raises(NotFoundError):
            await repository.set_password_hash("nobody", "x")

    async def test_record_login(self, repository: AdminAccountRepository) -> None:
        await repository.create(account("alice"))
        at = T0 + timedelta(hours=2, microseconds=7)
        await repository.record_login("alice", at)
        got = await repository.get("alice")
        assert got is not None and got.last_login_at == at and got.password_hash == "hash-1"
        with pytest.raises(NotFoundError):
            await repository.record_login("nobody", at)

    async def test_the_role_is_stored_as_given(self, repository: AdminAccountRepository) -> None:
        await repository.create(account("mod", role=AdminRole.MODERATOR))
        await repository.create(account("boss"))
        got = await repository.get("mod")
        assert got is not None and got.role is AdminRole.MODERATOR
        assert [(a.username, a.role) for a in await repository.list()] == [
            ("boss", AdminRole.ADMIN), ("mod", AdminRole.MODERATOR)]

    async def test_set_role_changes_the_role_only(self, repository: AdminAccountRepository) -> None:
        at = T0 + timedelta(minutes=5)
        await repository.create(account("alice", "h"))
        await repository.record_login("alice", at)
        await repository.set_role("ALICE", AdminRole.MODERATOR)
        assert await repository.get("alice") == AdminAccount("alice", "h", T0, at, AdminRole.MODERATOR)
        await repository.set_role("alice", AdminRole.ADMIN)
        assert await repository.get("alice") == AdminAccount("alice", "h", T0, at, AdminRole.ADMIN)
        await repository.set_password_hash("alice", "h2")  # other updates keep the role
        await repository.set_role("alice", AdminRole.MODERATOR)
        await repository.record_login("alice", at + timedelta(minutes=1))
        got = await repository.get("alice")
        assert got is not None and got.role is AdminRole.MODERATOR and got.password_hash == "h2"
        with pytest.raises(NotFoundError):
            await repository.set_role("nobody", AdminRole.ADMIN)
        assert [a.username for a in await repository.list()] == ["alice"]

    async def test_concurrent_creates_of_one_name_store_one(self, repository: AdminAccountRepository) -> None:
        results = await asyncio.gather(*(repository.create(account("dave", f"h{i}")) for i in range(10)),
                                       return_exceptions=True)
        assert sum(1 for r in results if r is None) == 1
        assert all(isinstance(r, ValidationError) for r in results if r is not None)
        assert len(await repository.list()) == 1

    async def test_persists_across_handles(self, make_repository: RepositoryFactory) -> None:
        first = await make_repository()
        await first.create(account("alice", "h", T0))
        await first.record_login("alice", T0 + timedelta(minutes=1))
        await first.create(account("bob", "hb", T0, AdminRole.MODERATOR))
        await first.create(account("carol", "hc", T0, AdminRole.MODERATOR))
        await first.set_role("carol", AdminRole.ADMIN)
        second = await make_repository()
        assert await second.get("alice") == AdminAccount("alice", "h", T0, T0 + timedelta(minutes=1))
        assert await second.get("bob") == AdminAccount("bob", "hb", T0, None, AdminRole.MODERATOR)
        assert await second.get("carol") == AdminAccount("carol", "hc", T0, None, AdminRole.ADMIN)
        await second.set_role("alice", AdminRole.MODERATOR)
        third = await make_repository()
        got = await third.get("alice")
        assert got is not None and got.role is AdminRole.MODERATOR
