"""StatsService on fakes: peaks persistence, viewers over time, hardware, playback, health, gauges."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.geo import GeoInfo
from owncast_core.domain.stats import HardwareSample, PlaybackReport
from owncast_core.domain.stream import BroadcasterDetails
from owncast_core.errors import ValidationError
from owncast_core.services.config import ConfigService
from owncast_core.services.stats import StatsService
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_core.testing.fakes import (
    FakeClock,
    FakeHardwareMonitor,
    FakeTranscoder,
    InMemoryConfigRepository,
    InMemoryEventBus,
    InMemoryMetricsExporter,
    InMemoryStatsRepository,
    InMemoryVideoStorage,
    PlainPasswordHasher,
    SequentialIds,
    StaticGeoIPLookup,
)


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.clock = FakeClock()
        self.bus = InMemoryEventBus()
        self.repo = InMemoryConfigRepository()
        self.config = ConfigService(repository=self.repo, hasher=PlainPasswordHasher())
        self.transcoder = FakeTranscoder()
        self.stream = StreamService(config=self.config, transcoder=self.transcoder,
                                    storage_factory=lambda: InMemoryVideoStorage(tmp_path / "hls"), bus=self.bus,
                                    clock=self.clock, ids=SequentialIds(), hls_dir=str(tmp_path / "hls"),
                                    thumbnail_path=str(tmp_path / "t.jpg"))
        self.viewers = ViewerService(clock=self.clock)
        self.bus.subscribe(self.viewers.on_event)
        self.samples = InMemoryStatsRepository()
        self.hardware = FakeHardwareMonitor()
        self.metrics = InMemoryMetricsExporter()
        self.stats = self.make_stats()

    def make_stats(self) -> StatsService:
        return StatsService(repository=self.samples, viewers=self.viewers, config=self.config, stream=self.stream,
                            hardware=self.hardware, metrics=self.metrics,
                            geoip=StaticGeoIPLookup(
                                {"203.0.113.5": GeoInfo("NL", "North Holland", "Europe/Amsterdam")}),
                            clock=self.clock, chat_counts=lambda: {"owncast_instance_active_chat_client_count": 4})

    async def go_online(self) -> None:
        details = BroadcasterDetails.from_metadata({"width": 640, "height": 360, "videocodecid": 7,
                                                    "audiocodecid": 10}, remote_addr="127.0.0.1",
                                                   connected_at=self.clock.now())
        sink = await self.stream.begin(details, lambda: None)
        await sink.write(b"x" * 1000)
        assert self.stream.status().online


@pytest.fixture
async def rig(tmp_path: Path) -> Rig:
    r = Rig(tmp_path)
    await r.config.load()
    return r


async def test_peaks_round_trip_and_stale_session_peak_is_dropped(rig: Rig) -> None:
    await rig.go_online()
    for n in range(3):
        rig.viewers.seen(f"203.0.113.{n}", "ua")
    await rig.stats.save_peaks_job()
    assert rig.config.number(Keys.PEAK_VIEWERS_OVERALL) == 3

    fresh = ViewerService(clock=rig.clock)
    rig.viewers = fresh
    rig.clock.advance(60)
    await rig.make_stats().restore_peaks()
    assert (fresh.overall_peak, fresh.session_peak) == (3, 3)

    stale = ViewerService(clock=rig.clock)
    rig.viewers = stale
    rig.clock.advance(301)
    await rig.make_stats().restore_peaks()
    assert (stale.overall_peak, stale.session_peak) == (3, 0)


async def test_viewer_counts_are_sampled_only_while_online(rig: Rig) -> None:
    start = rig.clock.now()
    await rig.stats.sample_viewers_job()
    assert await rig.stats.viewers_over_time(start) == []
    await rig.go_online()
    rig.viewers.seen("203.0.113.5", "ua")
    await rig.stats.sample_viewers_job()
    rig.clock.advance(120)  # the first viewer keeps pinging, a second one arrives
    rig.viewers.seen("203.0.113.5", "ua")
    rig.viewers.seen("203.0.113.6", "ua")
    await rig.stats.sample_viewers_job()
    assert [p["value"] for p in await rig.stats.viewers_over_time(start)] == [1, 2]
    assert [p["value"] for p in await rig.stats.viewers_over_time(start + timedelta(seconds=60))] == [2]
    assert rig.metrics.values["owncast_instance_active_viewer_count"] == 2
    assert rig.metrics.values["owncast_instance_active_chat_client_count"] == 4


async def test_active_viewers_carry_geo(rig: Rig) -> None:
    await rig.go_online()
    rig.viewers.seen("203.0.113.5", "ua1")
    rig.viewers.seen("127.0.0.1", "ua2")
    rig.viewers.seen("198.51.100.1", "ua3")
    by_ip = {v["ipAddress"]: v["geo"] for v in await rig.stats.active_viewers()}
    assert by_ip == {"203.0.113.5": {"countryCode": "NL", "regionName": "North Holland",
                                     "timeZone": "Europe/Amsterdam"},
                     "127.0.0.1": {"countryCode": "N/A", "regionName": "Localhost", "timeZone": ""},
                     "198.51.100.1": None}


async def test_hardware_ring_buffers_gauges_and_alerts(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.stats = StatsService(repository=rig.samples, viewers=rig.viewers, config=rig.config, stream=rig.stream,
                             hardware=rig.hardware, metrics=rig.metrics, geoip=StaticGeoIPLookup(), clock=rig.clock,
                             max_values=3)
    for cpu in (10, 20, 30, 97, 98):
        rig.hardware.next = HardwareSample(cpu, 50, 60)
        with caplog.at_level(logging.WARNING, logger="owncast.stats"):
            await rig.stats.sample_hardware_job()
        rig.clock.advance(60)
    hw = rig.stats.hardware_stats()
    assert [p["value"] for p in hw["cpu"]] == [30, 97, 98]  # bounded
    assert [p["value"] for p in hw["memory"]] == [50, 50, 50]
    assert rig.metrics.values["owncast_instance_cpu_usage"] == 98
    assert sum("cpu utilization" in r.message for r in caplog.records) == 1  # once per excursion


async def test_playback_metrics_aggregate_per_window(rig: Rig) -> None:
    await rig.go_online()
    for n, (bandwidth, latency, errors) in enumerate(((3000, 4.0, 0), (1000, 8.0, 2), (2000, 6.0, 0))):
        rig.viewers.seen(f"203.0.113.{n}", "ua")
        rig.stats.record_playback(f"client{n}", PlaybackReport(bandwidth=bandwidth, latency=latency,
                                                               download_duration=0.5 * (n + 1), errors=errors,
                                                               quality_variant_changes=1))
    rig.stats.record_playback("client0", PlaybackReport(bandwidth=3200, latency=4.0))  # latest report wins
    rig.stats.collect_playback_job()
    m = rig.stats.video_metrics()
    last = {k: v[-1]["value"] for k, v in m.items() if isinstance(v, list) and v and isinstance(v[0], dict)}
    assert last["errors"] == 2 and last["qualityVariantChanges"] == 2
    assert (last["lowestLatency"], last["medianLatency"], last["highestLatency"]) == (4, 6, 8)
    assert (last["minPlayerBitrate"], last["medianPlayerBitrate"], last["maxPlayerBitrate"]) == (1000, 2000, 3200)
    assert m["availableBitrates"] == [1200] and m["segmentLength"] == 3 and m["representation"] == 100
    health = rig.stats.health()
    assert health == {"healthy": False, "healthPercentage": 67, "representation": 100,
                      "message": "1 of 3 viewers (33%) are consuming video slower than, or too close to your "
                                 "bitrate of 1200 kbps."}
    rig.stats.collect_playback_job()  # an empty window gives zeros
    assert rig.stats.video_metrics()["errors"][-1]["value"] == 0
    assert rig.metrics.values["owncast_instance_playback_error_count"] == 0


def test_playback_report_validation() -> None:
    assert PlaybackReport.from_json({"bandwidth": 10, "latency": None}).bandwidth == 10
    for bad in ([], {"latency": "slow"}, {"errors": -1}, {"bandwidth": float("inf")}, {"bandwidth": True},
                {"bandwidth": 10**400}):  # an integer too large for a double: refused, not OverflowError
        with pytest.raises(ValidationError):
            PlaybackReport.from_json(bad)


async def test_prometheus_refreshes_gauges(rig: Rig) -> None:
    text, content_type = await rig.stats.prometheus()
    assert b"owncast_instance_cpu_usage" in text and content_type.startswith("text/plain")


async def test_last_disconnect_time_survives_a_restart(rig: Rig, tmp_path: Path) -> None:
    await rig.go_online()
    await rig.stream.disconnect()
    ended = rig.stream.status().last_disconnect_time
    assert ended is not None
    await rig.stats.save_peaks_job()

    restarted = Rig(tmp_path)
    restarted.config = rig.config  # the same stored configuration, a new stream service
    await restarted.make_stats().restore_peaks()
    assert restarted.stream.status().last_disconnect_time == ended
