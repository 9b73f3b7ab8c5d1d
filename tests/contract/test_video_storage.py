"""Bindings of the VideoStorage contract: the in-memory fake and local disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from owncast_adapters.storage.local import LocalVideoStorage
from owncast_core.errors import NotFoundError
from owncast_core.ports.video import VideoStorage
from owncast_core.testing.contracts.video_storage import StorageEnv, VideoStorageContract
from owncast_core.testing.fakes import InMemoryVideoStorage


def served_by(storage: VideoStorage):  # type: ignore[no-untyped-def]
    async def fetch(path: str) -> bytes | None:
        try:
            return (await storage.get(path)).body
        except NotFoundError:
            return None

    return fetch


class TestInMemoryVideoStorage(VideoStorageContract):
    @pytest.fixture
    async def storage_env(self, tmp_path: Path) -> StorageEnv:
        storage = InMemoryVideoStorage(tmp_path / "hls")
        return StorageEnv(storage=storage, root=tmp_path / "hls", fetch=served_by(storage))


class TestLocalVideoStorage(VideoStorageContract):
    @pytest.fixture
    async def storage_env(self, tmp_path: Path) -> StorageEnv:
        storage = LocalVideoStorage(hls_dir=tmp_path / "hls", segments_per_variant=3)
        return StorageEnv(storage=storage, root=tmp_path / "hls", fetch=served_by(storage))
