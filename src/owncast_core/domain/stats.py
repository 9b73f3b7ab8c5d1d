"""Statistics values: time series points, hardware samples, playback reports, stream health."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from owncast_core.domain.numbers import finite_number
from owncast_core.domain.timefmt import go_time
from owncast_core.errors import ValidationError


@dataclass(frozen=True, slots=True)
class TimestampedValue:
    """One point of a series: ``{"time": ..., "value": ...}`` in JSON."""

    time: datetime
    value: float

    def to_json(self) -> dict[str, Any]:
        value: float = self.value
        if float(value).is_integer():
            value = int(value)
        return {"time": go_time(self.time), "value": value}


def series_json(points: Iterable[TimestampedValue]) -> list[dict[str, Any]]:
    return [p.to_json() for p in points]


@dataclass(frozen=True, slots=True)
class HardwareSample:
    """Utilisation percentages (0..100) of CPU, memory and the data directory's disk."""

    cpu: float
    memory: float
    disk: float


GAUGES: Final[Mapping[str, str]] = {
    "owncast_instance_active_viewer_count": "The number of viewers.",
    "owncast_instance_active_chat_client_count": "The number of connected chat clients.",
    "owncast_instance_cpu_usage": "CPU usage as a percentage.",
    "owncast_instance_ram_usage": "Memory usage as a percentage.",
    "owncast_instance_disk_usage": "Disk usage of the data directory's file system as a percentage.",
    "owncast_instance_total_chat_users": "The total number of chat users on this Owncast instance.",
    "owncast_instance_current_chat_message_count": "The number of chat messages currently saved.",
    "owncast_instance_playback_error_count": "Errors played back by players in the last collection window.",
}
"""Prometheus gauges (Owncast's names, plus RAM and disk)."""


PLAYBACK_FIELDS: Final = ("bandwidth", "latency", "downloadDuration", "errors", "qualityVariantChanges")


@dataclass(frozen=True, slots=True)
class PlaybackReport:
    """What a player reports to ``POST /api/metrics/playback`` (bandwidth in kbps, times in s)."""

    bandwidth: float = 0.0
    latency: float = 0.0
    download_duration: float = 0.0
    errors: float = 0.0
    quality_variant_changes: float = 0.0

    @classmethod
    def from_json(cls, data: object) -> PlaybackReport:
        """Parse a report; every field must be a finite, non-negative number if present."""
        if not isinstance(data, Mapping):
            raise ValidationError("playback metrics must be a JSON object")
        values: dict[str, float] = {}
        for name in PLAYBACK_FIELDS:
            raw = data.get(name, 0)
            if raw is None:
                raw = 0
            number = finite_number(raw)
            if number is None or number < 0:
                raise ValidationError(f"{name} must be a non-negative number")
            values[name] = number
        return cls(values["bandwidth"], values["latency"], values["downloadDuration"], values["errors"],
                   values["qualityVariantChanges"])


@dataclass(frozen=True, slots=True)
class Spread:
    """Minimum, median and maximum of a window of values (all 0 for an empty window)."""

    low: float
    median: float
    high: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        items = list(values)
        if not items:
            return cls(0.0, 0.0, 0.0)
        return cls(min(items), float(statistics.median(items)), max(items))


@dataclass(frozen=True, slots=True)
class HealthOverview:
    """``health`` of ``/api/admin/status`` (Owncast ``models.StreamHealthOverview``)."""

    healthy: bool
    health_percentage: int
    message: str
    representation: int

    def to_json(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "healthPercentage": self.health_percentage, "message": self.message,
                "representation": self.representation}


def int_percentage(part: int, total: int) -> int:
    """Owncast ``utils.IntPercentage``: ``int(part / total * 100)`` (0 when ``total`` is 0)."""
    return int(part / total * 100) if total else 0
