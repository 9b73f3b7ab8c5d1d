"""Repository ports: where the core keeps what must survive a restart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

JsonValue = Any
"""A value that round-trips through JSON (str, int, float, bool, None, list, dict)."""


class ConfigRepository(Protocol):
    """Runtime configuration as a map from key to JSON value.

    Contract (checked by ``owncast_core.testing.contracts.config.ConfigRepositoryContract``):
    - ``get`` returns the last value ``set`` for the key (an equal JSON value, not necessarily the
      same object) and raises ``NotFoundError`` for a key never written or deleted.
    - ``set`` of a value that is not JSON-serialisable raises ``ValidationError`` and stores nothing.
    - ``set_many`` is atomic: after a failure no key of the batch has changed.
    - ``all`` returns every stored key and value.
    - Values survive closing and reopening the same store (for persistent adapters).
    - Concurrent calls from many tasks are safe.
    """

    async def get(self, key: str) -> JsonValue: ...

    async def set(self, key: str, value: JsonValue) -> None: ...

    async def set_many(self, values: Mapping[str, JsonValue]) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def all(self) -> dict[str, JsonValue]: ...
