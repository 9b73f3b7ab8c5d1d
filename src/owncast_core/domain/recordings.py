"""Recordings of broadcasts (video on demand): the entity, its id rules and how it is shown.

Owncast has no recordings; here a broadcast can be recorded from its highest-quality variant
into one MP4 per broadcast (``services/recordings.py``). Everything in this module is pure.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from owncast_core.domain.stream import StreamOutputVariant
from owncast_core.domain.timefmt import go_time
from owncast_core.errors import ValidationError

MIN_FREE_BYTES: Final = 1024**3
"""Recording stops (with a warning) when the data directory has less free space than this."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
_ARCHIVE_KEY = re.compile(r"(?:[^/\x00-\x1f\x7f]{1,200}/){0,20}recordings/[A-Za-z0-9][A-Za-z0-9_-]{0,79}\.mp4")

GB: Final = 1_000_000_000
"""Retention sizes are decimal gigabytes, as file managers and ``describe_size`` show them."""
MAX_AGE_DAYS_CEILING: Final = 36_500
"""The largest ``maxAgeDays`` accepted (100 years): anything above is a typo, not a policy."""
MAX_TOTAL_GB_CEILING: Final = 1_000_000
"""The largest ``maxTotalGB`` accepted (1 PB)."""
MIN_TOTAL_GB: Final = 0.1
"""The smallest non-zero ``maxTotalGB`` accepted (100 MB): below, every recording would go."""
DOWNLOAD_URL_SECONDS: Final = 300
"""How long a download link to an archived recording (a presigned URL) stays valid."""


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
    archive_key: str = ""
    archive_location: str = ""  # the archive's ``location`` when it was uploaded ("" before it was)

    @property
    def finished(self) -> bool:
        """Ready or failed: nothing writes to it any more, so retention may delete it."""
        return self.status in (RecordingStatus.READY, RecordingStatus.FAILED)

    def to_json(self) -> dict[str, Any]:
        """The shape of ``GET /api/admin/recordings`` entries (and of the stored metadata).
        ``archiveKey`` (where the MP4 is kept in the archive) and ``archiveLocation`` (which
        archive: the S3 bucket's name) are present only once the recording was uploaded there."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "startedAt": go_time(self.started_at),
            "endedAt": go_time(self.ended_at),
            "durationSeconds": round(self.duration_seconds, 3),
            "sizeBytes": self.size_bytes,
            "status": self.status.value,
        }
        if self.archive_key:
            out["archiveKey"] = self.archive_key
        if self.archive_location:
            out["archiveLocation"] = self.archive_location
        return out

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
                archive_key=check_archive_key(data["archiveKey"]) if data.get("archiveKey") else "",
                archive_location=str(data.get("archiveLocation") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"malformed recording entry: {exc}") from exc


@dataclass(frozen=True, slots=True)
class RecordingDownload:
    """Where a ready recording's MP4 is fetched: a local ``path``, or (archived) a short-lived ``url``."""

    recording: Recording
    path: str | None = None
    url: str | None = None


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


def check_archive_key(value: object) -> str:
    """``value`` if it is an archive key as ``archive_key_for`` makes them
    (``[<prefix>/]recordings/<id>.mp4``: no control character, empty, ``.`` or ``..`` segment),
    else ``ValidationError``."""
    if (not isinstance(value, str) or _ARCHIVE_KEY.fullmatch(value) is None
            or any(part in (".", "..") for part in value.split("/"))):
        raise ValidationError("invalid archive key")
    return value


def archive_key_for(recording_id: str, prefix: str = "") -> str:
    """The archive key of a recording: ``[<prefix>/]recordings/<id>.mp4`` (``ValidationError``
    for a bad id)."""
    base = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return check_archive_key(f"{base}recordings/{check_recording_id(recording_id)}.mp4")


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


# retention ---------------------------------------------------------------------------------------

_RETENTION_EXAMPLE = '{"maxAgeDays": 30, "maxTotalGB": 50}'


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How many recordings are kept: none older than ``max_age_days`` days and at most
    ``max_total_gb`` (decimal) gigabytes together; 0 means no limit (the default for both:
    recordings are kept forever). Stored as ``{"maxAgeDays", "maxTotalGB"}``."""

    max_age_days: int = 0
    max_total_gb: float = 0.0

    @property
    def limited(self) -> bool:
        return self.max_age_days > 0 or self.max_total_gb > 0

    @property
    def max_total_bytes(self) -> int:
        return round(self.max_total_gb * GB)

    def to_json(self) -> dict[str, Any]:
        gb = self.max_total_gb
        return {"maxAgeDays": self.max_age_days, "maxTotalGB": int(gb) if gb == int(gb) else gb}

    @classmethod
    def parse(cls, value: object) -> RetentionPolicy:
        """The policy an admin sent (``{"maxAgeDays": 30, "maxTotalGB": 50}``; a missing field
        is 0). ``ValidationError`` with a message naming the field for anything else: not an
        object, an unknown field, a non-number (strings and booleans too), a negative, NaN or
        infinite number, a fractional number of days, more than 36500 days or 1000000 GB, or
        a size limit under 0.1 GB (other than 0)."""
        if not isinstance(value, dict):
            raise ValidationError(f"recordings retention must be an object like {_RETENTION_EXAMPLE}")
        unknown = sorted(str(k) for k in value if k not in ("maxAgeDays", "maxTotalGB"))
        if unknown:
            raise ValidationError(f"unknown recordings retention setting {unknown[0]!r} "
                                  "(the settings are maxAgeDays and maxTotalGB)")
        days = _limit(value.get("maxAgeDays", 0), "maxAgeDays", "a number of days", MAX_AGE_DAYS_CEILING,
                      "100 years")
        if days != int(days):
            raise ValidationError(f"maxAgeDays must be a whole number of days, not {days:g}")
        gb = _limit(value.get("maxTotalGB", 0), "maxTotalGB", "a number of gigabytes", MAX_TOTAL_GB_CEILING,
                    "1 PB")
        if 0 < gb < MIN_TOTAL_GB:
            raise ValidationError(f"maxTotalGB must be at least {MIN_TOTAL_GB:g} (100 MB), or 0 for no limit")
        return cls(max_age_days=int(days), max_total_gb=gb)

    def describe_size_limit(self) -> str:
        return f"{self.max_total_gb:g} GB"

    def describe_age_limit(self) -> str:
        return "1 day" if self.max_age_days == 1 else f"{self.max_age_days} days"


def _limit(value: object, name: str, what: str, ceiling: int, ceiling_words: str) -> float:
    # sign and ceiling are compared before any float conversion: an integer too large for a
    # double (JSON allows 10**400) is "at most ...", not an OverflowError (a 500)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not math.isfinite(value)):
        raise ValidationError(f"{name} must be {what} (0 = no limit), not {_shown(value)}")
    if value < 0:
        raise ValidationError(f"{name} must not be negative (0 = no limit)")
    if value > ceiling:
        raise ValidationError(f"{name} must be at most {ceiling} ({ceiling_words}); use 0 for no limit")
    return float(value)


def _shown(value: object) -> str:
    """``value`` as the admin sent it, in JSON (``null``, ``true``, ``"30"``), not Python's repr."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_retention(value: object) -> dict[str, Any]:
    """The ``recordings/retention`` admin setter's parser: the stored form of a valid policy."""
    return RetentionPolicy.parse(value).to_json()


@dataclass(frozen=True, slots=True)
class Expiry:
    """A recording retention deletes, and why (``older than 30 days``, ``total over 50 GB``)."""

    recording: Recording
    reason: str

    def describe(self) -> str:
        """The log line a streamer reads: ``recording "Friday show" (2026-01-01 12:00 UTC,
        1.2 GB) deleted: older than 30 days`` (the id when there is no title)."""
        r = self.recording
        title = "".join(c if c.isprintable() else " " for c in r.title).strip()
        name = f'"{title}"' if title else r.id
        when = r.started_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"recording {name} ({when}, {describe_size(r.size_bytes)}) deleted: {self.reason}"


def expired_recordings(
    recordings: Sequence[Recording], policy: RetentionPolicy, *, now: datetime,
    protected: Collection[str] = (),
) -> list[Expiry]:
    """What ``policy`` deletes from ``recordings``, oldest first.

    Only finished recordings (``ready``/``failed``) whose id is not in ``protected`` (being
    written, finished or uploaded) can go. Age is measured from the start of the broadcast: one
    that started more than ``max_age_days`` days before ``now`` goes ("older than N days"; exactly
    N days old stays). Then, while the sizes of every recording that stays (protected and
    unfinished ones included) add up to more than ``max_total_gb``, the oldest deletable
    recording with a size goes ("total over N GB"), until the total fits or nothing deletable
    is left, except the newest ready recording: a broadcast just recorded never vanishes
    because it alone is larger than the limit (the age limit still applies to it). "Oldest"
    orders by start time, then id (ids start with the start time).
    """
    if not policy.limited:
        return []
    order = sorted(recordings, key=lambda r: (r.started_at, r.id))
    deletable = [r for r in order if r.finished and r.id not in protected]
    gone: dict[str, Expiry] = {}
    if policy.max_age_days > 0:
        cutoff = now - timedelta(days=policy.max_age_days)
        reason = f"older than {policy.describe_age_limit()}"
        gone.update((r.id, Expiry(r, reason)) for r in deletable if r.started_at < cutoff)
    if policy.max_total_gb > 0:
        total = sum(max(r.size_bytes, 0) for r in order if r.id not in gone)
        reason = f"total over {policy.describe_size_limit()}"
        newest_ready = next((r.id for r in reversed(order) if r.status is RecordingStatus.READY), None)
        for r in deletable:
            if total <= policy.max_total_bytes:
                break
            if r.id not in gone and r.size_bytes > 0 and r.id != newest_ready:
                gone[r.id] = Expiry(r, reason)
                total -= r.size_bytes
    return [gone[r.id] for r in order if r.id in gone]
