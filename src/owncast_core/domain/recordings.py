"""Recordings of broadcasts (video on demand): the entity, its id rules and how it is shown.

Owncast has no recordings; here a broadcast can be recorded from its highest-quality variant
into one MP4 per broadcast (``services/recordings.py``). Everything in this module is pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from owncast_core.domain.stream import StreamOutputVariant
from owncast_core.domain.timefmt import go_time
from owncast_core.errors import ValidationError

MIN_FREE_BYTES: Final = 1024**3
"""Recording stops (with a warning) when the data directory has less free space than this."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


class RecordingStatus(StrEnum):
    """``recording`` while the broadcast runs, ``processing`` while the MP4 is made, then
    ``ready`` (downloadable) or ``failed`` (nothing playable was kept)."""

    RECORDING = "recording"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Recording:
    """One broadcast's recording. ``title`` is the stream title when the broadcast started;
    ``duration_seconds`` is the media's own length once ready, ``size_bytes`` the MP4's size."""

    id: str
    title: str
    started_at: datetime
    status: RecordingStatus = RecordingStatus.RECORDING
    ended_at: datetime | None = None
    duration_seconds: float = 0.0
    size_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        """The shape of ``GET /api/admin/recordings`` entries (and of the stored metadata)."""
        return {
            "id": self.id,
            "title": self.title,
            "startedAt": go_time(self.started_at),
            "endedAt": go_time(self.ended_at),
            "durationSeconds": round(self.duration_seconds, 3),
            "sizeBytes": self.size_bytes,
            "status": self.status.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recording:
        """Inverse of ``to_json``; raises ``ValidationError`` for a malformed entry."""
        try:
            ended = data.get("endedAt")
            return cls(
                id=check_recording_id(data["id"]),
                title=str(data.get("title") or ""),
                started_at=_parse_time(data["startedAt"]),
                status=RecordingStatus(data["status"]),
                ended_at=_parse_time(ended) if ended else None,
                duration_seconds=float(data.get("durationSeconds") or 0.0),
                size_bytes=int(data.get("sizeBytes") or 0),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"malformed recording entry: {exc}") from exc


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What finishing a recording produced: the playable file's duration and size."""

    duration_seconds: float
    size_bytes: int


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("a time must be an RFC 3339 string")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def is_recording_id(value: object) -> bool:
    """Ids are 1-80 ASCII letters, digits, ``-`` and ``_``, starting with a letter or digit:
    never a path separator, a dot, whitespace or anything outside ASCII."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def check_recording_id(value: object) -> str:
    """``value`` if it is a valid recording id (``is_recording_id``), else ``ValidationError``."""
    if not isinstance(value, str) or not is_recording_id(value):
        raise ValidationError("invalid recording id")
    return value


def new_recording_id(started_at: datetime, unique: str) -> str:
    """A readable, sortable id: ``20260101-120000-<unique>`` (UTC start time, then ``unique``
    reduced to id characters)."""
    suffix = re.sub(r"[^A-Za-z0-9_-]", "", unique)[:40] or "0"
    return f"{started_at.strftime('%Y%m%d-%H%M%S')}-{suffix}"


def recorded_variant(variants: Sequence[StreamOutputVariant]) -> int:
    """The index of the variant to record: the highest quality one. A video passthrough variant
    (the publisher's own video) wins, then the highest video bitrate; ties go to the lower index
    (variant 0 of the default ladder)."""
    if not variants:
        return 0
    return min(
        range(len(variants)),
        key=lambda i: (not variants[i].video_passthrough, -variants[i].effective_video_bitrate, i),
    )


def download_name(recording: Recording) -> str:
    """A file name safe in a ``Content-Disposition`` header and on any file system:
    ``<title>-<start date>.mp4`` with the title folded to ASCII letters, digits, ``-``/``_``."""
    folded = unicodedata.normalize("NFKD", recording.title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^A-Za-z0-9_-]+", "-", folded).strip("-_")[:60].strip("-_")
    stamp = recording.started_at.strftime("%Y-%m-%d-%H%M")
    return f"{words or 'recording'}-{stamp}.mp4"


def describe_duration(seconds: float) -> str:
    """``42 s``, ``12 min``, ``1 h 05 min`` (for log lines a streamer reads)."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def describe_size(size: int) -> str:
    """``512 KB``, ``180 MB``, ``2.4 GB`` (decimal units, as file managers show them)."""
    if size < 1_000_000:
        return f"{max(size, 0) // 1000} KB"
    if size < 1_000_000_000:
        return f"{round(size / 1_000_000)} MB"
    return f"{size / 1_000_000_000:.1f} GB"
