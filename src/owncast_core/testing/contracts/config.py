"""Contract suite for ``ConfigRepository``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.ports.repositories import ConfigRepository

RepositoryFactory = Callable[[], Awaitable[ConfigRepository]]


class ConfigRepositoryContract:
    """Provide a ``make_repository`` fixture: an async factory; calling it twice must give two
    handles on the *same* store (for persistent adapters, a reopened one) so persistence is
    checked."""

    @pytest.fixture
    async def make_repository(self) -> RepositoryFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def repository(self, make_repository: RepositoryFactory) -> ConfigRepository:
        return await make_repository()

    async def test_missing_key_raises_not_found(self, repository: ConfigRepository) -> None:
        with pytest.raises(NotFoundError):
            await repository.get("never-written")

    @pytest.mark.parametrize(
        "value",
        ["text", "", 0, 42, 1.5, True, False, None, [1, "a", None], {"a": {"b": [1, 2]}}, "ünïcödé ✓"],
    )
    async def test_set_then_get_round_trips(self, repository: ConfigRepository, value: Any) -> None:
        await repository.set("k", value)
        assert await repository.get("k") == value

    async def test_overwrite_keeps_last_value(self, repository: ConfigRepository) -> None:
        await repository.set("k", 1)
        await repository.set("k", 2)
        assert await repository.get("k") == 2

    async def test_returned_values_are_copies(self, repository: ConfigRepository) -> None:
        await repository.set("k", {"list": [1]})
        first = await repository.get("k")
        first["list"].append(2)
        assert await repository.get("k") == {"list": [1]}

    async def test_non_json_value_is_rejected_and_nothing_stored(self, repository: ConfigRepository) -> None:
        await repository.set("ok", 1)
        with pytest.raises(ValidationError):
            await repository.set_many({"ok": 2, "bad": object()})
        assert await repository.get("ok") == 1
        with pytest.raises(NotFoundError):
            await repository.get("bad")

    async def test_set_many_and_all(self, repository: ConfigRepository) -> None:
        await repository.set_many({"a": 1, "b": [2], "c": {"d": "e"}})
        assert await repository.all() == {"a": 1, "b": [2], "c": {"d": "e"}}

    async def test_delete(self, repository: ConfigRepository) -> None:
        await repository.set("k", 1)
        await repository.delete("k")
        with pytest.raises(NotFoundError):
            await repository.get("k")
        await repository.delete("k")  # deleting twice is fine

    async def test_concurrent_writers(self, repository: ConfigRepository) -> None:
        await asyncio.gather(*(repository.set(f"k{i}", i) for i in range(50)))
        stored = await repository.all()
        assert {k: v for k, v in stored.items() if k.startswith("k")} == {f"k{i}": i for i in range(50)}

    async def test_values_persist_across_handles(self, make_repository: RepositoryFactory) -> None:
        first = await make_repository()
        await first.set("persisted", {"x": 1})
        second = await make_repository()
        assert await second.get("persisted") == {"x": 1}
