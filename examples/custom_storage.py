"""Example: a third-party ``VideoStorage`` adapter and its contract-suite binding.

``MirrorVideoStorage`` publishes the HLS output into a directory that something else serves
(an nginx docroot, a mounted network share synced to a CDN): segments are copied there as the
transcoder reports them, each variant playlist after its segments, and the master playlist is
kept in memory and served by owncast itself. It is deliberately small; it is not used by
owncast-py, but ``tests/contract/test_example_storage.py`` runs the binding below in CI, so it
keeps passing the same contract as the built-in adapters.

Plug it in by overriding the container's storage provider::

    container.storage.override(providers.Singleton(MirrorVideoStorage, work_dir=..., public_dir=...))
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from owncast_adapters.storage.hls_paths import check_hls_path, content_type, playlist_entries, reset_hls_tree
from owncast_adapters.storage.hls_text import with_endlist
from owncast_core.errors import NotFoundError, StorageError
from owncast_core.ports.video import HlsFile, SegmentInfo
from owncast_core.testing.contracts.video_storage import StorageEnv, VideoStorageContract


class MirrorVideoStorage:
    """``VideoStorage`` copying finished HLS files from ``work_dir`` into ``public_dir``."""

    def __init__(self, *, work_dir: str | Path, public_dir: str | Path) -> None:
        self._work = Path(work_dir)
        self._public = Path(public_dir)
        self._master: bytes | None = None

    async def setup(self) -> None:
        self._master = None
        for root in (self._work, self._public):
            await asyncio.to_thread(reset_hls_tree, root)

    async def segment_written(self, segment: SegmentInfo) -> None:
        await self._publish(segment.path)

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        await self._publish(path)  # segments were reported (and copied) first

    async def master_playlist_written(self, path: str) -> None:
        self._master = await asyncio.to_thread(Path(path).read_bytes)

    async def get(self, relative_path: str) -> HlsFile:
        rel = check_hls_path(relative_path)  # NotFoundError for anything but HLS files
        if rel == "stream.m3u8":
            if self._master is None:
                raise NotFoundError(rel)
            return HlsFile(self._master, content_type(rel))
        try:
            return HlsFile(await asyncio.to_thread((self._public / rel).read_bytes), content_type(rel))
        except FileNotFoundError:
            raise NotFoundError(rel) from None

    async def stream_ended(self, variant_count: int) -> None:
        for index in range(variant_count):
            playlist = self._public / str(index) / "stream.m3u8"
            if playlist.exists():
                body = with_endlist(await asyncio.to_thread(playlist.read_bytes))
                await asyncio.to_thread(_write_atomically, playlist, body)

    async def cleanup(self) -> None:
        await asyncio.to_thread(self._delete_unlisted)

    async def close(self) -> None:
        return None

    async def _publish(self, path: str) -> None:
        try:
            await asyncio.to_thread(self._copy, Path(path))
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot publish {path}: {exc}") from exc

    def _copy(self, source: Path) -> None:
        rel = source.resolve().relative_to(self._work.resolve()).as_posix()
        _write_atomically(self._public / check_hls_path(rel), source.read_bytes())

    def _delete_unlisted(self) -> None:
        for playlist in self._public.glob("*/stream.m3u8"):
            listed = set(playlist_entries(playlist.read_text(errors="replace")))
            for segment in playlist.parent.glob("*.ts"):
                if segment.name not in listed:
                    segment.unlink(missing_ok=True)


def _write_atomically(target: Path, body: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(body)
    os.replace(tmp, target)


# --- the binding: this is all a third party writes to run the contract suite ---------------------

class TestMirrorVideoStorage(VideoStorageContract):
    @pytest.fixture
    async def storage_env(self, tmp_path: Path) -> StorageEnv:
        public = tmp_path / "public"
        storage = MirrorVideoStorage(work_dir=tmp_path / "hls", public_dir=public)

        async def fetch(path: str) -> bytes | None:  # what a viewer gets
            if path == "stream.m3u8":  # the master comes from owncast itself
                try:
                    return (await storage.get(path)).body
                except NotFoundError:
                    return None
            file = public / path  # the rest from the public server
            return file.read_bytes() if file.is_file() else None

        return StorageEnv(storage=storage, root=tmp_path / "hls", fetch=fetch)


__all__ = ["MirrorVideoStorage", "TestMirrorVideoStorage"]
