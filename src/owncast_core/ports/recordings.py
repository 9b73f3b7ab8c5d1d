"""Recording ports: what the stream service tells a recorder, and where recordings are kept.

``StreamService`` calls a ``Recorder`` (implemented by ``RecordingService``) when a broadcast
starts, for each segment of the recorded variant, and when the broadcast ends. The recording
service keeps recordings in a ``RecordingStore`` (local disk: ``LocalRecordingStore``) and, when
video storage is S3, moves each finished MP4 to a ``RecordingArchive`` (``S3RecordingArchive``;
``LocalRecordingArchive`` is the no-op used with local video storage).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from owncast_core.domain.recordings import MediaInfo, Recording
from owncast_core.ports.video import SegmentInfo


class Recorder(Protocol):
    """Told about one broadcast at a time, on the event loop, in order.

    None of these calls may slow or break the live stream: a recorder keeps its failures to
    itself (logged), never raises, and returns quickly.

    - ``broadcast_started`` returns whether this broadcast is recorded; ``variant`` is the index
      of the variant whose segments will be passed (the highest quality one).
    - ``segment_written`` is called with each finished segment of that variant *before* the
      video storage sees it (the storage may delete the file afterwards): when it returns, the
      recorder holds the bytes it needs.
    - ``broadcast_ended`` starts finishing the recording (in the background) and returns.
    """

    async def broadcast_started(self, started_at: datetime, variant: int) -> bool: ...

    async def segment_written(self, segment: SegmentInfo) -> None: ...

    async def broadcast_ended(self, ended_at: datetime) -> None: ...


class RecordingStore(Protocol):
    """Keeps recordings: their metadata, the MPEG-TS appended while live, the finished MP4.

    Ids are checked with ``domain.recordings.is_recording_id``: any other id (path separators,
    ``..``, non-ASCII, over 80 characters) is unknown (``NotFoundError``) for lookups and a
    ``ValidationError`` for ``create``. Entries survive a restart of the process (a new store
    over the same place lists them), so a recording interrupted by a crash can be finished.
    Failures raise ``owncast_core.errors.StorageError`` (``DiskFullError`` when the disk is full).
    """

    async def create(self, recording: Recording) -> None:
        """Add a new, empty recording (``ValidationError`` for a bad id or an id in use)."""
        ...

    async def save(self, recording: Recording) -> None:
        """Replace the metadata of an existing recording (``NotFoundError`` if unknown)."""
        ...

    async def get(self, recording_id: str) -> Recording: ...

    async def list(self) -> list[Recording]:
        """Every recording, newest start first."""
        ...

    async def read_segment(self, path: str) -> bytes:
        """The bytes of a finished segment file the transcoder wrote (``StorageError`` if gone)."""
        ...

    async def append(self, recording_id: str, data: bytes) -> None:
        """Append MPEG-TS bytes to the recording's stream (segments of one muxer concatenate)."""
        ...

    async def finalize(self, recording_id: str) -> MediaInfo:
        """Turn what was appended into the playable file (an MP4, stream copy) and drop the
        appended stream. Safe to call again after an interruption (a finished file is kept and
        measured again). ``StorageError`` when nothing playable can be made. May take seconds:
        it runs off the event loop."""
        ...

    async def delete(self, recording_id: str) -> None:
        """Remove the recording's files and entry (``NotFoundError`` if unknown)."""
        ...

    async def drop_media(self, recording_id: str) -> None:
        """Remove the finished file but keep the entry (the file was archived elsewhere):
        ``media_path`` is ``NotFoundError`` afterwards. ``NotFoundError`` for an unknown id;
        nothing happens when there is no file."""
        ...

    async def media_path(self, recording_id: str) -> str:
        """The local path of the finished file, for download (``NotFoundError`` if there is none)."""
        ...

    async def free_bytes(self) -> int:
        """Free space where recordings are written, in bytes."""
        ...

    def location(self, recording_id: str) -> str:
        """Where the streamer finds this recording (for log lines), e.g. ``data/recordings/<id>/``."""
        ...


class RecordingArchive(Protocol):
    """Where finished recordings are kept off this machine (an S3 bucket), as private objects.

    ``remote`` is ``False`` for the no-op archive used with local video storage: recordings
    then stay in the ``RecordingStore``, ``upload`` returns ``""`` without doing anything, and
    ``download_url``/``delete`` raise ``StorageError`` (recordings uploaded while S3 storage was
    on are out of reach until it is on again). For a remote archive:

    - ``upload(recording_id, path)`` copies the local file at ``path`` (of any size: big files
      go in parts) and returns the key it is kept under, ``[<prefix>/]recordings/<id>.mp4``
      (``domain.recordings.archive_key_for``). Uploading the same id again replaces the object.
      ``ValidationError`` for a bad id; ``StorageError`` when the file cannot be read or the
      archive refuses or does not answer (then nothing is kept under the key, or the previous
      object is).
    - ``download_url(key, filename, expires_seconds)`` is a URL anyone holding it can GET the
      object from for ``expires_seconds`` seconds, answered as ``video/mp4`` with
      ``Content-Disposition: attachment; filename="<filename>"`` (``filename`` is ASCII, as
      ``domain.recordings.download_name`` makes it). ``NotFoundError`` when nothing is kept
      under ``key``.
    - ``delete(key)`` removes the object; deleting one that is not there is not an error.
    - ``describe()`` names the archive for log lines ("S3 bucket 'b' at https://...").
    - ``location`` tells archives apart: two instances with the same ``location`` reach the same
      objects (for S3, the bucket's name). A recording remembers the ``location`` it was
      uploaded to, so one uploaded to another bucket is never looked for in this one. ``""``
      for the no-op archive.

    Keys other than ``domain.recordings.check_archive_key`` accepts are ``ValidationError``
    for ``download_url`` and ``delete``. Every method may be called on a fresh instance (the
    container makes one per use from the current settings): nothing is held between calls.
    """

    @property
    def remote(self) -> bool: ...

    def describe(self) -> str: ...

    @property
    def location(self) -> str: ...

    async def upload(self, recording_id: str, path: str) -> str: ...

    async def download_url(self, key: str, *, filename: str, expires_seconds: int) -> str: ...

    async def delete(self, key: str) -> None: ...
