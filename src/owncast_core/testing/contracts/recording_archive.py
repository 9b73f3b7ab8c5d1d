"""Contract suite for remote ``RecordingArchive`` adapters (``ports/recordings.py``).

Bindings provide an ``archive_env`` fixture returning an ``ArchiveEnv``: ``archive``, the
archive under test (empty); ``fetch(url)``, what an HTTP GET of a ``download_url`` URL answers
(``(body, headers with lower-case names)``, or ``None`` for anything but a success);
``files``, a directory to write the files to upload in; ``big``, a size in bytes the archive
must upload in several parts (over its multipart threshold; any size for a fake).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from owncast_core.domain.recordings import check_archive_key
from owncast_core.errors import NotFoundError, StorageError, ValidationError
from owncast_core.ports.recordings import RecordingArchive

from .recordings import HOSTILE_IDS

Fetched = tuple[bytes, dict[str, str]]
RID = "20260101-120000-abc"


@dataclass
class ArchiveEnv:
    archive: RecordingArchive
    fetch: Callable[[str], Awaitable[Fetched | None]]
    files: Path
    big: int


def _file(env: ArchiveEnv, name: str, data: bytes) -> str:
    path = env.files / name
    path.write_bytes(data)
    return str(path)


async def _url(env: ArchiveEnv, key: str, filename: str = "My-show-2026-01-01-1200.mp4") -> str:
    return await env.archive.download_url(key, filename=filename, expires_seconds=300)


class RecordingArchiveContract:
    """Provide an ``archive_env`` fixture (``ArchiveEnv``)."""

    @pytest.fixture
    def archive_env(self) -> ArchiveEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_an_upload_is_downloadable_as_an_mp4_attachment(self, archive_env: ArchiveEnv) -> None:
        archive = archive_env.archive
        assert archive.remote and archive.describe()
        # a remote archive names where its objects are (recordings remember it), the same on every call
        assert isinstance(archive.location, str) and archive.location and archive.location == archive.location
        data = os.urandom(70_000)
        key = await archive.upload(RID, _file(archive_env, "a.mp4", data))
        assert key.endswith(f"recordings/{RID}.mp4") and check_archive_key(key) == key
        fetched = await archive_env.fetch(await _url(archive_env, key))
        assert fetched is not None
        body, headers = fetched
        assert body == data
        assert headers["content-type"] == "video/mp4"
        assert headers["content-disposition"] == 'attachment; filename="My-show-2026-01-01-1200.mp4"'

    async def test_a_big_file_goes_in_parts_and_arrives_whole(self, archive_env: ArchiveEnv) -> None:
        data = os.urandom(archive_env.big)
        key = await archive_env.archive.upload(RID, _file(archive_env, "big.mp4", data))
        fetched = await archive_env.fetch(await _url(archive_env, key))
        assert fetched is not None and len(fetched[0]) == len(data) and fetched[0] == data

    async def test_uploading_again_replaces_the_object(self, archive_env: ArchiveEnv) -> None:
        archive = archive_env.archive
        first = await archive.upload(RID, _file(archive_env, "1.mp4", b"first"))
        again = await archive.upload(RID, _file(archive_env, "2.mp4", b"second"))
        assert again == first
        fetched = await archive_env.fetch(await _url(archive_env, first))
        assert fetched is not None and fetched[0] == b"second"
        other = await archive.upload("20260101-130000-def", _file(archive_env, "3.mp4", b""))
        assert other != first
        fetched = await archive_env.fetch(await _url(archive_env, other))
        assert fetched is not None and fetched[0] == b""

    async def test_delete_removes_the_object_and_is_idempotent(self, archive_env: ArchiveEnv) -> None:
        archive = archive_env.archive
        key = await archive.upload(RID, _file(archive_env, "a.mp4", b"doomed"))
        kept = await archive.upload("20260101-130000-def", _file(archive_env, "b.mp4", b"kept"))
        old_url = await _url(archive_env, key)
        await archive.delete(key)
        assert await archive_env.fetch(old_url) is None
        with pytest.raises(NotFoundError):
            await _url(archive_env, key)
        await archive.delete(key)
        fetched = await archive_env.fetch(await _url(archive_env, kept))
        assert fetched is not None and fetched[0] == b"kept"

    async def test_a_missing_file_fails_and_keeps_nothing(self, archive_env: ArchiveEnv) -> None:
        archive = archive_env.archive
        with pytest.raises(StorageError):
            await archive.upload(RID, str(archive_env.files / "missing.mp4"))
        key = await archive.upload(RID, _file(archive_env, "a.mp4", b"x"))
        await archive.delete(key)
        with pytest.raises(NotFoundError):
            await _url(archive_env, key)

    async def test_hostile_ids_and_keys_are_refused(self, archive_env: ArchiveEnv) -> None:
        archive = archive_env.archive
        path = _file(archive_env, "a.mp4", b"x")
        for bad in HOSTILE_IDS:
            with pytest.raises(ValidationError):
                await archive.upload(bad, path)
        for key in ("", "../recordings/x.mp4", "recordings/../../x.mp4", "hls/0/stream.m3u8", "recordings/a b.mp4",
                    "recordings/x.mp4\r\nX-Evil: 1"):
            with pytest.raises(ValidationError):
                await _url(archive_env, key)
            with pytest.raises(ValidationError):
                await archive.delete(key)
