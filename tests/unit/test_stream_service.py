"""StreamService on fakes: authorization, live/offline transitions, storage hand-off."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.events import StreamOnline, StreamStarted, StreamStopped
from owncast_core.domain.stream import BroadcasterDetails
from owncast_core.errors import StorageError, StreamAlreadyLive, StreamKeyRejected, TranscoderGone
from owncast_core.ports.video import SegmentInfo
from owncast_core.services.config import ConfigService
from owncast_core.services.stream import StreamService
from owncast_core.testing.fakes import (
    FakeClock,
    FakeTranscoder,
    InMemoryConfigRepository,
    InMemoryEventBus,
    InMemoryRecorder,
    InMemoryVideoStorage,
    PlainPasswordHasher,
    SequentialIds,
)


class Rig:
    def __init__(self, tmp_path: Path, override: str | None = None, recorder: InMemoryRecorder | None = None) -> None:
        self.clock = FakeClock()
        self.bus = InMemoryEventBus()
        self.transcoder = FakeTranscoder(bytes_per_segment=100)
        self.storage = InMemoryVideoStorage(tmp_path / "hls")
        self.config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher(),
                                    stream_key_override=override)
        self.hangups = 0
        self.service = StreamService(
            config=self.config, transcoder=self.transcoder, storage_factory=lambda: self.storage,
            bus=self.bus, clock=self.clock, ids=SequentialIds(), hls_dir=str(tmp_path / "hls"),
            thumbnail_path=str(tmp_path / "thumbnail.jpg"), recorder=recorder,
        )

    def hang_up(self) -> None:
        self.hangups += 1

    def details(self) -> BroadcasterDetails:
        return BroadcasterDetails.from_metadata(
            {"width": 1280, "height": 720, "framerate": 30, "videocodecid": 7, "audiocodecid": 10},
            remote_addr="1.2.3.4", connected_at=datetime(2000, 1, 1, tzinfo=UTC),
        )


@pytest.fixture
async def rig(tmp_path: Path) -> Rig:
    r = Rig(tmp_path)
    await r.config.load()
    return r


def test_default_key_is_accepted_and_wrong_key_rejected(rig: Rig) -> None:
    rig.service.authorize("abc123", "1.2.3.4")
    with pytest.raises(StreamKeyRejected):
        rig.service.authorize("abc124", "1.2.3.4")
    with pytest.raises(StreamKeyRejected):
        rig.service.authorize("", "1.2.3.4")


async def test_every_configured_key_works(rig: Rig) -> None:
    await rig.config.set(Keys.STREAM_KEYS, [{"key": "one", "comment": ""}, {"key": "two", "comment": "x"}])
    rig.service.authorize("one", "h")
    rig.service.authorize("two", "h")
    with pytest.raises(StreamKeyRejected):
        rig.service.authorize("abc123", "h")


async def test_cli_override_replaces_configured_keys(tmp_path: Path) -> None:
    r = Rig(tmp_path, override="temporary")
    await r.config.load()
    r.service.authorize("temporary", "h")
    with pytest.raises(StreamKeyRejected):
        r.service.authorize("abc123", "h")
    assert "temporary" not in str(await r.config._repository.all())  # never persisted


async def test_online_only_once_a_playlist_exists(rig: Rig) -> None:
    assert not rig.service.status().online
    sink = await rig.service.begin(rig.details(), rig.hang_up)
    status = rig.service.status()
    assert status.connected and not status.online
    assert status.last_connect_time == rig.clock.now() and status.last_disconnect_time is None
    assert [type(e) for e in rig.bus.published] == [StreamStarted]
    await sink.write(b"x" * 100)
    assert rig.service.status().online
    assert len(rig.bus.of_type(StreamOnline)) == 1
    await sink.write(b"x" * 300)
    assert len(rig.bus.of_type(StreamOnline)) == 1  # announced once
    assert (await rig.storage.get("0/stream.m3u8")).body.count(b".ts") == 3


async def test_second_publisher_refused_while_live(rig: Rig) -> None:
    await rig.service.begin(rig.details(), rig.hang_up)
    with pytest.raises(StreamAlreadyLive):
        rig.service.authorize("abc123", "5.6.7.8")


async def test_publisher_gone_ends_stream_and_seals_playlists(rig: Rig) -> None:
    sink = await rig.service.begin(rig.details(), rig.hang_up)
    await sink.write(b"x" * 250)
    rig.clock.advance(30)
    await sink.close()
    status = rig.service.status()
    assert not status.connected and not status.online
    assert status.last_disconnect_time == rig.clock.now() and status.last_connect_time is None
    stopped = rig.bus.of_type(StreamStopped)
    assert len(stopped) == 1
    assert (await rig.storage.get("0/stream.m3u8")).body.rstrip().endswith(b"#EXT-X-ENDLIST")
    rig.service.authorize("abc123", "1.2.3.4")  # a reconnect is allowed again
    with pytest.raises(TranscoderGone):
        await sink.write(b"late")


async def test_transcoder_crash_hangs_up_publisher_and_goes_offline(rig: Rig) -> None:
    await rig.service.begin(rig.details(), rig.hang_up)
    await rig.transcoder.sessions[0].crash()
    assert rig.hangups == 1
    assert not rig.service.status().connected
    stopped = rig.bus.of_type(StreamStopped)
    assert stopped and "transcoder exited (1)" in stopped[0].reason  # type: ignore[attr-defined]


async def test_admin_disconnect(rig: Rig) -> None:
    assert not await rig.service.disconnect()
    await rig.service.begin(rig.details(), rig.hang_up)
    assert await rig.service.disconnect()
    assert rig.hangups >= 1
    assert not rig.service.status().connected
    await rig.service.wait_offline(timeout=1)
    assert [e.reason for e in rig.bus.of_type(StreamStopped)] == ["disconnected by the admin"]  # type: ignore[attr-defined]


async def test_shutdown_is_the_reason_a_broadcast_ends(rig: Rig) -> None:
    rig.service.shutting_down()  # nothing live: nothing to label
    sink = await rig.service.begin(rig.details(), rig.hang_up)
    rig.service.shutting_down()
    await sink.close()  # the RTMP server closing its connections
    assert [e.reason for e in rig.bus.of_type(StreamStopped)] == ["the server is shutting down"]  # type: ignore[attr-defined]
    sink = await rig.service.begin(rig.details(), rig.hang_up)  # a later broadcast is not labelled
    await sink.close()
    assert rig.bus.of_type(StreamStopped)[-1].reason == "publisher disconnected"  # type: ignore[attr-defined]


async def test_job_uses_configured_variants_and_latency(rig: Rig) -> None:
    await rig.config.set(Keys.VIDEO_VARIANTS, [{"videoBitrate": 800, "framerate": 30},
                                               {"videoPassthrough": True}])
    await rig.config.set(Keys.LATENCY_LEVEL, 4)
    await rig.service.begin(rig.details(), rig.hang_up)
    job = rig.transcoder.sessions[0].job
    assert [v.video_bitrate for v in job.variants] == [800, 1200]
    assert job.variants[1].video_passthrough
    assert (job.latency.segment_seconds, job.latency.playlist_segments) == (5, 4)
    assert job.details.width == 1280 and job.details.video_codec == "H.264"


class OrderCheckingRecorder(InMemoryRecorder):
    """Also notes, for each segment, whether the storage already had it."""

    def __init__(self, storage: InMemoryVideoStorage) -> None:
        super().__init__()
        self.storage = storage
        self.seen_by_storage_first: list[bool] = []

    async def segment_written(self, segment: SegmentInfo) -> None:
        name = segment.path.rsplit("/", 2)
        self.seen_by_storage_first.append(f"{name[-2]}/{name[-1]}" in self.storage.files)
        await super().segment_written(segment)


async def test_recorder_gets_the_best_variant_before_the_storage(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    recorder = OrderCheckingRecorder(rig.storage)
    rig.service._recorder = recorder
    await rig.config.load()
    await rig.config.set(Keys.VIDEO_VARIANTS, [{"videoBitrate": 800}, {"videoBitrate": 4000}])
    sink = await rig.service.begin(rig.details(), rig.hang_up)
    assert recorder.calls == [("started", rig.clock.now(), 1)]
    await sink.write(b"x" * 200)
    rig.clock.advance(8)
    await sink.close()
    kinds = [call[0] for call in recorder.calls]
    assert kinds == ["started", "segment", "segment", "ended"]
    assert {call[1].variant for call in recorder.calls[1:3]} == {1}
    assert recorder.seen_by_storage_first == [False, False]
    assert recorder.calls[-1] == ("ended", rig.clock.now())


async def test_no_segments_reach_a_recorder_that_does_not_record(tmp_path: Path) -> None:
    recorder = InMemoryRecorder(records=False)
    rig = Rig(tmp_path, recorder=recorder)
    await rig.config.load()
    sink = await rig.service.begin(rig.details(), rig.hang_up)
    await sink.write(b"x" * 200)
    await sink.close()
    assert [call[0] for call in recorder.calls] == ["started"]


async def test_a_broken_recorder_never_breaks_the_live_stream(tmp_path: Path) -> None:
    recorder = InMemoryRecorder()
    rig = Rig(tmp_path, recorder=recorder)
    await rig.config.load()
    sink = await rig.service.begin(rig.details(), rig.hang_up)
    recorder.error = StorageError("disk on fire")
    await sink.write(b"x" * 300)
    assert rig.service.status().online
    assert (await rig.storage.get("0/stream.m3u8")).body.count(b".ts") == 3
    await sink.close()
    assert not rig.service.status().connected
    assert [call[0] for call in recorder.calls] == ["started", "segment", "segment", "segment", "ended"]
