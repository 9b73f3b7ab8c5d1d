"""ConfigService: typed, cached access to runtime configuration."""

from __future__ import annotations

import copy
import hmac
import json
from collections.abc import Mapping
from typing import Any

from owncast_core.domain.config import DEFAULT_ADMIN_PASSWORD, DEFAULTS, Keys
from owncast_core.domain.stream import LatencyLevel, StreamKey, StreamOutputVariant, latency_level
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.ports.auth import PasswordHasher
from owncast_core.ports.repositories import ConfigRepository, JsonValue


class ConfigService:
    """Reads and writes runtime settings through a ``ConfigRepository``.

    ``load`` must be awaited once before the getters are used: it reads every stored value into
    memory, so getters are synchronous and cheap (they run on hot paths such as ``/api/status``).
    Setters write through to the repository first and update the cache only after the write
    succeeded, so a failed write changes nothing. Getters return copies: mutating a result never
    changes the configuration.

    ``stream_key_override`` (Owncast's ``-streamkey`` flag) replaces the configured keys for this
    process only and is never persisted.
    """

    def __init__(
        self,
        *,
        repository: ConfigRepository,
        hasher: PasswordHasher,
        stream_key_override: str | None = None,
    ) -> None:
        self._repository = repository
        self._hasher = hasher
        self._override = stream_key_override or None
        self._values: dict[str, JsonValue] = {}

    async def load(self) -> None:
        """Read all stored values; on a fresh store, hash and persist the default admin password."""
        self._values = await self._repository.all()
        if not self._values.get(Keys.ADMIN_PASSWORD_HASH):
            await self.set_admin_password(DEFAULT_ADMIN_PASSWORD)

    # generic access -------------------------------------------------------------------------
    def get(self, key: str) -> JsonValue:
        """The stored value of ``key``, else its default; raises ``NotFoundError`` for unknown keys."""
        if key in self._values:
            return copy.deepcopy(self._values[key])
        if key in DEFAULTS:
            return copy.deepcopy(DEFAULTS[key])
        raise NotFoundError(f"unknown configuration key {key!r}")

    async def set(self, key: str, value: JsonValue) -> None:
        """Persist ``value`` under ``key``."""
        await self.set_many({key: value})

    async def set_many(self, values: Mapping[str, JsonValue]) -> None:
        """Persist several values atomically."""
        try:
            snapshot = json.loads(json.dumps(dict(values)))
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"configuration values must be JSON: {exc}") from exc
        await self._repository.set_many(snapshot)
        self._values.update(snapshot)

    # typed views -----------------------------------------------------------------------------
    def stream_keys(self) -> list[StreamKey]:
        """The configured stream keys (the CLI override alone when one was given)."""
        if self._override:
            return [StreamKey(self._override, "Temporary key from the command line")]
        return [StreamKey.from_json(item) for item in self.get(Keys.STREAM_KEYS)]

    @property
    def stream_key_overridden(self) -> bool:
        return self._override is not None

    def stream_key_matches(self, candidate: str) -> bool:
        """Constant-time check of ``candidate`` against every key (no early exit on a match)."""
        given = candidate.encode()
        matched = False
        for key in self.stream_keys():
            if key.key and hmac.compare_digest(given, key.key.encode()):
                matched = True
        return matched

    def variants(self) -> list[StreamOutputVariant]:
        return [StreamOutputVariant.from_json(item) for item in self.get(Keys.VIDEO_VARIANTS)]

    def latency(self) -> LatencyLevel:
        return latency_level(int(self.get(Keys.LATENCY_LEVEL)))

    def video_codec(self) -> str:
        return str(self.get(Keys.VIDEO_CODEC))

    def string(self, key: str) -> str:
        return str(self.get(key) or "")

    def flag(self, key: str) -> bool:
        return bool(self.get(key))

    def number(self, key: str) -> int:
        value: Any = self.get(key)
        return int(value or 0)

    # admin password ----------------------------------------------------------------------------
    async def set_admin_password(self, password: str) -> None:
        """Store ``password`` hashed; raises ``ValidationError`` for an empty password."""
        if not password:
            raise ValidationError("admin password must not be empty")
        await self.set(Keys.ADMIN_PASSWORD_HASH, self._hasher.hash(password))

    def admin_password_hash(self) -> str:
        return self.string(Keys.ADMIN_PASSWORD_HASH)

    def verify_admin_password(self, password: str) -> bool:
        """True when ``password`` is the admin password (constant time in the hasher)."""
        hashed = self.admin_password_hash()
        return bool(hashed) and self._hasher.verify(password, hashed)
