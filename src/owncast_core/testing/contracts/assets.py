"""Contract suite for ``LogoStore``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from owncast_core.ports.assets import LogoStore


@dataclass
class LogoEnv:
    """The store and ``read(name)``: the bytes stored under a file name, or ``None``."""

    store: LogoStore
    read: Callable[[str], bytes | None]


class LogoStoreContract:
    """Provide a ``logo_env`` fixture (``LogoEnv``)."""

    @pytest.fixture
    def logo_env(self) -> LogoEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_save_returns_the_file_name(self, logo_env: LogoEnv) -> None:
        assert await logo_env.store.save(b"\x89PNG\r\n\x1a\nxx", ".png") == "logo.png"
        assert logo_env.read("logo.png") == b"\x89PNG\r\n\x1a\nxx"

    async def test_new_logo_replaces_the_old_one(self, logo_env: LogoEnv) -> None:
        await logo_env.store.save(b"old", ".png")
        assert await logo_env.store.save(b"<svg/>", ".svg") == "logo.svg"
        assert logo_env.read("logo.svg") == b"<svg/>"
        assert logo_env.read("logo.png") is None
