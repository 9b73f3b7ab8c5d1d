"""``RecordingArchive`` for local video storage: recordings stay in ``data/recordings/``.

The no-op archive: ``remote`` is ``False``, so ``RecordingService`` never uploads. Recordings
uploaded while S3 storage was on are out of reach through it: their download and deletion raise
``StorageError`` saying so, and the entries stay listed until S3 storage is on again.
"""

from __future__ import annotations

from owncast_core.errors import StorageError


class LocalRecordingArchive:
    """The no-op ``RecordingArchive`` (see the module docstring)."""

    @property
    def remote(self) -> bool:
        return False

    def describe(self) -> str:
        return "this server's disk"

    @property
    def location(self) -> str:
        return ""

    async def upload(self, recording_id: str, path: str) -> str:
        return ""

    async def download_url(self, key: str, *, filename: str, expires_seconds: int) -> str:
        raise StorageError(f"{key} is in the S3 bucket, but S3 storage is turned off: turn it on to download it")

    async def delete(self, key: str) -> None:
        raise StorageError(f"{key} is in the S3 bucket, but S3 storage is turned off: turn it on to delete it")
