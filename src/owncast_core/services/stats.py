"""StatsService: peaks persistence, viewers over time, hardware, playback metrics, Prometheus.

The server calls the ``*_job`` coroutines periodically (Owncast's intervals: peaks every minute,
viewer counts every two minutes, hardware every minute, playback aggregation every minute).
Everything here is in memory except the viewer-count samples (``StatsRepository``) and the
peaks (``ConfigService``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from owncast_core.domain.config import Keys
from owncast_core.domain.stats import (
    HardwareSample,
    HealthOverview,
    PlaybackReport,
    Spread,
    TimestampedValue,
    int_percentage,
    series_json,
)
from owncast_core.domain.stream import latency_level
from owncast_core.domain.timefmt import go_time
from owncast_core.errors import OwncastError
from owncast_core.ports.clock import Clock
from owncast_core.ports.geoip import GeoIPLookup
from owncast_core.ports.stats import HardwareMonitor, MetricsExporter, StatsRepository
from owncast_core.services.config import ConfigService
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService

MAX_COLLECTION_VALUES = 300
VIEWER_SAMPLE_RETENTION = timedelta(days=30)
HEALTHY_PERCENTAGE_MIN = 75
MAX_CPU_USAGE = 90
MIN_CLIENTS_FOR_DETAILS = 3
ALERT_THRESHOLDS: Final = {"cpu": 95.0, "memory": 95.0, "disk": 90.0}

ChatCounts = Callable[[], Mapping[str, float]]
"""Returns chat gauges by name (``owncast_instance_active_chat_client_count`` ...), when chat exists."""
ChatTotals = Callable[[], Awaitable[Mapping[str, float]]]
"""Reads the stored chat gauges (``owncast_instance_total_chat_users`` ...) from the repositories."""


class StatsService:
    """Collects and serves the admin statistics. Keyword-only ports; no module state."""

    def __init__(
        self,
        *,
        repository: StatsRepository,
        viewers: ViewerService,
        config: ConfigService,
        stream: StreamService,
        hardware: HardwareMonitor,
        metrics: MetricsExporter,
        geoip: GeoIPLookup,
        clock: Clock,
        chat_counts: ChatCounts | None = None,
        chat_totals: ChatTotals | None = None,
        max_values: int = MAX_COLLECTION_VALUES,
        logger: logging.Logger | None = None,
    ) -> None:
        self._repository = repository
        self._viewers = viewers
        self._config = config
        self._stream = stream
        self._hardware = hardware
        self._metrics = metrics
        self._geoip = geoip
        self._clock = clock
        self._chat_counts = chat_counts
        self._chat_totals = chat_totals
        self._log = logger or logging.getLogger("owncast.stats")
        self._cpu: deque[TimestampedValue] = deque(maxlen=max_values)
        self._memory: deque[TimestampedValue] = deque(maxlen=max_values)
        self._disk: deque[TimestampedValue] = deque(maxlen=max_values)
        self._series: dict[str, deque[TimestampedValue]] = {
            name: deque(maxlen=max_values) for name in _PLAYBACK_SERIES
        }
        self._window: dict[str, dict[str, float]] = {name: {} for name in _WINDOW_FIELDS}
        self._health: HealthOverview | None = None
        self._alerting: set[str] = set()
        self._last_representation = 0

    # peaks ----------------------------------------------------------------------------------
    async def restore_peaks(self) -> None:
        saved = self._config.get(Keys.PEAK_VIEWERS_SAVED_AT)
        self._viewers.restore_peaks(
            overall=self._config.number(Keys.PEAK_VIEWERS_OVERALL),
            session=self._config.number(Keys.PEAK_VIEWERS_SESSION),
            saved_at=_parse_time(saved),
        )
        self._stream.restore_last_disconnect(_parse_time(self._config.get(Keys.LAST_DISCONNECT_TIME)))

    async def save_peaks_job(self) -> None:
        """Persist the peaks and the last disconnect time (Owncast: every minute)."""
        values: dict[str, Any] = {
            Keys.PEAK_VIEWERS_OVERALL: self._viewers.overall_peak,
            Keys.PEAK_VIEWERS_SESSION: self._viewers.session_peak,
            Keys.PEAK_VIEWERS_SAVED_AT: go_time(self._clock.now()),
        }
        disconnected = self._stream.status().last_disconnect_time
        if disconnected is not None:
            values[Keys.LAST_DISCONNECT_TIME] = go_time(disconnected)
        await self._config.set_many(values)

    # viewers over time ----------------------------------------------------------------------
    async def sample_viewers_job(self) -> None:
        """Store the current viewer count while the stream is online (Owncast: every 2 min)."""
        self._update_gauges()
        if not self._stream.status().online:
            return
        now = self._clock.now()
        await self._repository.add_viewer_count(now, self._viewers.count())
        await self._repository.prune(now - VIEWER_SAMPLE_RETENTION)

    async def viewers_over_time(self, window_start: datetime) -> list[dict[str, Any]]:
        return series_json(await self._repository.viewer_counts(window_start))

    async def active_viewers(self) -> list[dict[str, Any]]:
        """``/api/admin/viewers``: active viewers with their location (when GeoIP knows it)."""
        out = []
        for viewer in self._viewers.active():
            geo = await self._geoip.lookup(viewer.ip_address)
            out.append({
                "firstSeen": go_time(viewer.first_seen),
                "userAgent": viewer.user_agent,
                "ipAddress": viewer.ip_address,
                "clientID": viewer.client_id,
                "geo": geo.to_json() if geo else None,
            })
        return out

    # hardware -------------------------------------------------------------------------------
    async def sample_hardware_job(self) -> None:
        """Sample CPU/RAM/disk into the ring buffers, update gauges, log threshold alerts."""
        sample = await self._hardware.sample()
        now = self._clock.now()
        self._cpu.append(TimestampedValue(now, round(sample.cpu, 2)))
        self._memory.append(TimestampedValue(now, round(sample.memory, 2)))
        self._disk.append(TimestampedValue(now, round(sample.disk, 2)))
        self._metrics.set("owncast_instance_cpu_usage", sample.cpu)
        self._metrics.set("owncast_instance_ram_usage", sample.memory)
        self._metrics.set("owncast_instance_disk_usage", sample.disk)
        self._alert(sample)
        self._update_gauges()

    def _alert(self, sample: HardwareSample) -> None:
        for name, value in (("cpu", sample.cpu), ("memory", sample.memory), ("disk", sample.disk)):
            limit = ALERT_THRESHOLDS[name]
            if value >= limit and name not in self._alerting:
                self._alerting.add(name)
                self._log.warning("%s utilization is at %.0f%% (over %.0f%%): the stream may suffer", name,
                                  value, limit)
            elif value < limit - 5:
                self._alerting.discard(name)

    def hardware_stats(self) -> dict[str, Any]:
        return {"cpu": series_json(self._cpu), "memory": series_json(self._memory),
                "disk": series_json(self._disk)}

    # playback metrics -------------------------------------------------------------------------
    def record_playback(self, client_id: str, report: PlaybackReport) -> None:
        """Remember a player's latest report until the next ``collect_playback_job``."""
        self._window["errors"][client_id] = report.errors
        self._window["qualityVariantChanges"][client_id] = report.quality_variant_changes
        self._window["bandwidth"][client_id] = report.bandwidth
        self._window["latency"][client_id] = report.latency
        self._window["downloadDuration"][client_id] = report.download_duration

    def collect_playback_job(self) -> None:
        """Reduce the window to one point per series (sums, min/median/max) and reset it."""
        now = self._clock.now()
        if self._stream.status().online:
            self._health = self._health_overview()
        errors = sum(self._window["errors"].values())
        changes = sum(self._window["qualityVariantChanges"].values())
        latency = Spread.of(self._window["latency"].values())
        download = Spread.of(self._window["downloadDuration"].values())
        bandwidth = Spread.of(self._window["bandwidth"].values())
        points = {
            "errors": errors,
            "qualityVariantChanges": changes,
            "highestLatency": latency.high,
            "medianLatency": latency.median,
            "lowestLatency": latency.low,
            "medianSegmentDownloadDuration": download.median,
            "maximumSegmentDownloadDuration": download.high,
            "minimumSegmentDownloadDuration": download.low,
            "minPlayerBitrate": round(bandwidth.low),
            "medianPlayerBitrate": round(bandwidth.median),
            "maxPlayerBitrate": round(bandwidth.high),
        }
        for name, value in points.items():
            self._series[name].append(TimestampedValue(now, float(value)))
        self._metrics.set("owncast_instance_playback_error_count", errors)
        self._last_representation = self._representation()
        for window in self._window.values():
            window.clear()

    def _representation(self) -> int:
        return int_percentage(len(self._window["bandwidth"]), len(self._viewers.active()))

    def video_metrics(self) -> dict[str, Any]:
        """``/api/admin/metrics/video``."""
        state = self._stream.status()
        out: dict[str, Any] = {name: series_json(self._series[name]) for name in _PLAYBACK_SERIES}
        out["availableBitrates"] = [v.video_bitrate for v in state.variants]
        out["segmentLength"] = latency_level(state.latency_level).segment_seconds
        out["representation"] = self._last_representation
        return out

    def health(self) -> dict[str, Any] | None:
        return self._health.to_json() if self._health else None

    def _health_overview(self) -> HealthOverview | None:
        players = len(self._viewers.active())
        errors = self._window["errors"]
        if players == 0 or not errors:
            return None
        with_errors = sum(1 for count in errors.values() if count > 0)
        pct = 100 if with_errors == 0 else 100 - int_percentage(with_errors, len(errors))
        if pct < 1:
            return None
        bandwidth = self._window["bandwidth"]
        representation = int_percentage(len(bandwidth), players) if bandwidth else 0
        return HealthOverview(healthy=pct > HEALTHY_PERCENTAGE_MIN, health_percentage=pct,
                              message=self._health_message(with_errors), representation=representation)

    def _health_message(self, with_errors: int) -> str:
        variants = self._stream.status().variants
        cpu = [p.value for p in list(self._cpu)[-2:]]
        if len(cpu) == 2 and sum(cpu) / 2 >= MAX_CPU_USAGE:
            return (f"The CPU usage on your server is over {MAX_CPU_USAGE}%. This may cause video to be "
                    "provided slower than necessary, causing buffering for your viewers. Consider increasing "
                    "the resources available or reducing the number of output variants you made available.")
        speeds = self._window["bandwidth"]
        if speeds and variants:
            ordered = sorted(variants, key=lambda v: (not v.video_passthrough, -v.video_bitrate))
            lowest = float(ordered[-1].video_bitrate)
            slow = sum(1 for speed in speeds.values() if int(speed) < int(lowest * 1.1))
            if slow:
                share = int(slow / len(speeds) * 100)
                return (f"{slow} of {len(speeds)} viewers ({share}%) are consuming video slower than, or too "
                        f"close to your bitrate of {int(lowest)} kbps.")
        total = len(speeds)
        if with_errors and total >= MIN_CLIENTS_FOR_DETAILS:
            pct = int_percentage(with_errors, total)
            if any(v.video_passthrough for v in variants):
                return (f"{with_errors} of {total} viewers ({pct}%) are experiencing errors. You're "
                        "currently using a video passthrough output, often known for causing playback issues "
                        "for people. It is suggested you turn it off.")
            return f"{with_errors} of {total} viewers ({pct}%) may be experiencing some issues."
        return ""

    # prometheus -------------------------------------------------------------------------------
    def _update_gauges(self) -> None:
        self._metrics.set("owncast_instance_active_viewer_count", self._viewers.count())
        if self._chat_counts is not None:
            try:
                for name, value in self._chat_counts().items():
                    self._metrics.set(name, value)
            except Exception as exc:  # chat trouble must not break metrics
                self._log.warning("could not read chat counts for metrics: %s", exc)

    async def prometheus(self) -> tuple[bytes, str]:
        """The Prometheus exposition (gauges refreshed first, stored chat counts included)."""
        if self._chat_totals is not None:
            try:
                for name, value in (await self._chat_totals()).items():
                    self._metrics.set(name, value)
            except OwncastError as exc:  # a storage hiccup must not break metrics
                self._log.warning("could not count chat users and messages for metrics: %s", exc)
        self._update_gauges()
        return self._metrics.exposition()


_PLAYBACK_SERIES = (
    "errors", "qualityVariantChanges", "highestLatency", "medianLatency", "lowestLatency",
    "medianSegmentDownloadDuration", "maximumSegmentDownloadDuration", "minimumSegmentDownloadDuration",
    "minPlayerBitrate", "medianPlayerBitrate", "maxPlayerBitrate",
)
_WINDOW_FIELDS = ("errors", "qualityVariantChanges", "bandwidth", "latency", "downloadDuration")


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
