"""Recording ports: what the stream service tells a recorder, and where recordings are kept.

``StreamService`` calls a ``Recorder`` (implemented by ``RecordingService``) when a broadcast
starts, for each segment of the recorded variant, and when the broadcast ends. The recording
service keeps recordings in a ``RecordingStore`` (local disk: ``LocalRecordingStore``).
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

    async def media_path(self, recording_id: str) -> str:
        """The local path of the finished file, for download (``NotFoundError`` if there is none)."""
        ...

    async def free_bytes(self) -> int:
        """Free space where recordings are written, in bytes."""
        ...

    def location(self, recording_id: str) -> str:
        """Where the streamer finds this recording (for log lines), e.g. ``data/recordings/<id>/``."""
        ...
