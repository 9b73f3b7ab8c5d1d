"""RecordingService on fakes: off by default, what is recorded, faults, recovery, admin actions."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.recordings import (
    MIN_FREE_BYTES,
    Recording,
    RecordingStatus,
    describe_duration,
    describe_size,
    download_name,
    recorded_variant,
)
from owncast_core.domain.stream import StreamOutputVariant
from owncast_core.errors import DiskFullError, NotFoundError, StorageError, ValidationError
from owncast_core.ports.video import SegmentInfo
from owncast_core.services.config import ConfigService
from owncast_core.services.recordings import RecordingService
from owncast_core.testing.fakes import (
    FakeClock,
    InMemoryConfigRepository,
    InMemoryRecordingStore,
    PlainPasswordHasher,
    SequentialIds,
)

LOGGER = "owncast.recordings"


class Rig:
    def __init__(self, **kwargs: int) -> None:
        self.clock = FakeClock()
        self.store = InMemoryRecordingStore(seconds_per_append=4.0)
        self.config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
        self.service = RecordingService(store=self.store, config=self.config, clock=self.clock,
                                        ids=SequentialIds(), **kwargs)
        self.count = 0

    async def enable(self, title: str = "Friday show") -> None:
        await self.config.set_many({Keys.RECORDINGS_ENABLED: True, Keys.STREAM_TITLE: title})

    def segment(self, variant: int = 0, body: bytes | None = None) -> SegmentInfo:
        path = f"/data/hls/{variant}/stream-x-{self.count}.ts"
        self.store.files[path] = body if body is not None else f"<seg {self.count} v{variant}>".encode()
        self.count += 1
        return SegmentInfo(variant=variant, path=path, duration=4.0)

    async def broadcast(self, segments: int, variant: int = 0) -> str:
        assert await self.service.broadcast_started(self.clock.now(), variant)
        (recording,) = [r for r in await self.store.list() if r.status is RecordingStatus.RECORDING]
        for _ in range(segments):
            await self.service.segment_written(self.segment(variant))
            self.clock.advance(4)
        await self.service.broadcast_ended(self.clock.now())
        await self.service.wait_idle()
        return recording.id


@pytest.fixture
async def rig() -> Rig:
    r = Rig()
    await r.config.load()
    return r


async def test_off_by_default_records_nothing(rig: Rig) -> None:
    assert await rig.service.broadcast_started(rig.clock.now(), 0) is False
    await rig.service.segment_written(rig.segment())
    await rig.service.broadcast_ended(rig.clock.now())
    await rig.service.wait_idle()
    assert rig.store.entries == {} and not rig.service.recording


async def test_a_broadcast_becomes_a_ready_recording(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.enable("Friday show")
    started = rig.clock.now()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        recording_id = await rig.broadcast(3)
    assert recording_id == "20260101-120000-id1"
    got = await rig.service.get(recording_id)
    assert got == Recording(id=recording_id, title="Friday show", started_at=started,
                            status=RecordingStatus.READY, ended_at=started + timedelta(seconds=12),
                            duration_seconds=12.0, size_bytes=len(rig.store.media[recording_id]))
    assert rig.store.media[recording_id] == b"<seg 0 v0><seg 1 v0><seg 2 v0>"
    messages = [r.getMessage() for r in caplog.records]
    assert f"recording this broadcast to memory/recordings/{recording_id}/" in messages
    assert f"recording saved: memory/recordings/{recording_id}/recording.mp4 (12 s, 0 KB)" in messages


async def test_only_the_recorded_variant_is_kept(rig: Rig) -> None:
    await rig.enable()
    assert await rig.service.broadcast_started(rig.clock.now(), 1)
    for variant in (0, 1, 0, 1):
        await rig.service.segment_written(rig.segment(variant))
    await rig.service.broadcast_ended(rig.clock.now())
    await rig.service.wait_idle()
    (media,) = rig.store.media.values()
    assert media == b"<seg 1 v1><seg 3 v1>"


async def test_segment_bytes_are_held_once_segment_written_returns(rig: Rig) -> None:
    await rig.enable()
    assert await rig.service.broadcast_started(rig.clock.now(), 0)
    segment = rig.segment(body=b"first")
    await rig.service.segment_written(segment)
    del rig.store.files[segment.path]  # the video storage deletes it (S3 after upload)
    await rig.service.broadcast_ended(rig.clock.now())
    await rig.service.wait_idle()
    assert list(rig.store.media.values()) == [b"first"]


async def test_disk_full_stops_recording_once_and_keeps_what_was_written(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    await rig.enable()
    assert await rig.service.broadcast_started(rig.clock.now(), 0)
    await rig.service.segment_written(rig.segment(body=b"kept"))
    await asyncio.sleep(0)  # the writer appends it
    await asyncio.sleep(0)
    rig.store.append_error = DiskFullError("no space left on the device")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(5):
            await rig.service.segment_written(rig.segment())  # never raises
            await asyncio.sleep(0)
    assert not rig.service.recording
    stops = [r.getMessage() for r in caplog.records if "recording stopped" in r.getMessage()]
    assert len(stops) == 1 and stops[0].startswith("recording stopped: disk full")
    rig.store.append_error = None
    await rig.service.broadcast_ended(rig.clock.now())
    await rig.service.wait_idle()
    (recording,) = await rig.service.list()
    assert recording.status is RecordingStatus.READY
    assert rig.store.media[recording.id] == b"kept"


async def test_an_io_error_stops_recording_without_raising(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.enable()
    rig.store.append_error = StorageError("input/output error")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert await rig.service.broadcast_started(rig.clock.now(), 0)
        await rig.service.segment_written(rig.segment())
        await rig.service.broadcast_ended(rig.clock.now())
        await rig.service.wait_idle()
    assert any(r.getMessage().startswith("recording stopped: could not write") for r in caplog.records)
    assert rig.store.entries == {}  # nothing was written: nothing kept


async def test_an_unreadable_segment_stops_recording(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.enable()
    assert await rig.service.broadcast_started(rig.clock.now(), 0)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await rig.service.segment_written(SegmentInfo(variant=0, path="/gone.ts", duration=4.0))
    assert not rig.service.recording
    assert "could not read the segment /gone.ts" in caplog.text


async def test_not_started_below_the_free_space_floor(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.enable()
    rig.store.free = MIN_FREE_BYTES - 1
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert await rig.service.broadcast_started(rig.clock.now(), 0) is False
    assert rig.store.entries == {}
    assert "not recording this broadcast: only 1023 MiB free in the data directory (recording needs 1024 MiB)" \
        in caplog.text


async def test_stops_when_free_space_falls_under_the_floor(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.enable()
    assert await rig.service.broadcast_started(rig.clock.now(), 0)
    await rig.service.segment_written(rig.segment(body=b"a"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    rig.store.free = MIN_FREE_BYTES // 2
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await rig.service.segment_written(rig.segment(body=b"b"))
        await rig.service.segment_written(rig.segment(body=b"c"))
        await rig.service.broadcast_ended(rig.clock.now())
        await rig.service.wait_idle()
    assert caplog.text.count("recording stopped: disk almost full, only 512 MiB free") == 1
    assert list(rig.store.media.values()) == [b"a"]


async def test_a_writer_too_far_behind_stops_recording(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig(max_queued_segments=2)
    await rig.config.load()
    await rig.enable()
    gate = asyncio.Event()
    real_append = rig.store.append

    async def slow_append(recording_id: str, data: bytes) -> None:
        await gate.wait()
        await real_append(recording_id, data)

    rig.store.append = slow_append  # type: ignore[method-assign]
    assert await rig.service.broadcast_started(rig.clock.now(), 0)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(6):
            await rig.service.segment_written(rig.segment())
            await asyncio.sleep(0)
    assert "recording stopped: the disk is too slow" in caplog.text
    gate.set()
    await rig.service.broadcast_ended(rig.clock.now())
    await rig.service.wait_idle()
    (recording,) = await rig.service.list()
    assert recording.status is RecordingStatus.READY


async def test_a_failed_remux_marks_the_recording_failed(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.enable()
    rig.store.finalize_error = StorageError("remux failed: invalid data")
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        recording_id = await rig.broadcast(2)
    assert (await rig.service.get(recording_id)).status is RecordingStatus.FAILED
    assert "remux failed: invalid data" in caplog.text
    with pytest.raises(NotFoundError):
        await rig.service.download(recording_id)


async def test_interrupted_recordings_are_finished_at_start(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    t0 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    for rid, status in (("crashed", RecordingStatus.RECORDING), ("half", RecordingStatus.PROCESSING),
                        ("empty", RecordingStatus.RECORDING), ("done", RecordingStatus.READY)):
        await rig.store.create(Recording(id=rid, title=rid, started_at=t0))
        await rig.store.save(Recording(id=rid, title=rid, started_at=t0, status=status))
    for rid in ("crashed", "half"):
        await rig.store.append(rid, b"ts")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        rig.service.start()
        await rig.service.wait_idle()
    states = {r.id: r.status for r in await rig.service.list()}
    assert states == {"crashed": RecordingStatus.READY, "half": RecordingStatus.READY,
                      "empty": RecordingStatus.FAILED, "done": RecordingStatus.READY}
    crashed = await rig.service.get("crashed")
    assert crashed.ended_at == t0 + timedelta(seconds=4) and crashed.duration_seconds == 4.0
    assert caplog.text.count("interrupted by a restart") == 3


async def test_admin_delete_and_download(rig: Rig) -> None:
    await rig.enable()
    recording_id = await rig.broadcast(1)
    found = await rig.service.download(recording_id)
    assert found.recording.id == recording_id and found.url is None
    assert found.path is not None and found.path.endswith(f"{recording_id}/recording.mp4")
    for hostile in ("../x", "x" * 200, "r\u00e9c", "", None, 7):
        with pytest.raises(ValidationError):
            await rig.service.delete(hostile)
        with pytest.raises(ValidationError):
            await rig.service.download(hostile)
    with pytest.raises(NotFoundError):
        await rig.service.delete("unknown")
    assert (await rig.service.delete(recording_id)).id == recording_id
    assert await rig.service.list() == []


async def test_a_recording_in_progress_cannot_be_deleted(rig: Rig) -> None:
    await rig.enable()
    assert await rig.service.broadcast_started(rig.clock.now(), 0)
    (recording,) = await rig.service.list()
    with pytest.raises(ValidationError):
        await rig.service.delete(recording.id)
    with pytest.raises(NotFoundError):
        await rig.service.download(recording.id)  # not ready yet
    await rig.service.segment_written(rig.segment())
    await rig.service.broadcast_ended(rig.clock.now())
    await rig.service.wait_idle()
    await rig.service.delete(recording.id)


async def test_a_new_broadcast_finishes_one_that_never_ended(rig: Rig) -> None:
    await rig.enable()
    assert await rig.service.broadcast_started(rig.clock.now(), 0)
    await rig.service.segment_written(rig.segment())
    rig.clock.advance(60)
    assert await rig.service.broadcast_started(rig.clock.now(), 0)
    await rig.service.segment_written(rig.segment())
    await rig.service.broadcast_ended(rig.clock.now())
    await rig.service.wait_idle()
    assert [r.status for r in await rig.service.list()] == [RecordingStatus.READY, RecordingStatus.READY]


def test_the_highest_quality_variant_is_recorded() -> None:
    low, high = StreamOutputVariant(video_bitrate=800), StreamOutputVariant(video_bitrate=3000)
    assert recorded_variant([StreamOutputVariant()]) == 0
    assert recorded_variant([high, low]) == 0
    assert recorded_variant([low, high]) == 1
    assert recorded_variant([low, high, StreamOutputVariant(video_passthrough=True)]) == 2
    assert recorded_variant([high, replace(high)]) == 0


def test_names_and_descriptions() -> None:
    base = Recording(id="x", title="Let's play: Z\u00e9lda / part 2 <b>",
                     started_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC))
    assert download_name(base) == "Let-s-play-Zelda-part-2-b-2026-03-04-0506.mp4"
    assert download_name(replace(base, title="\u2603\u2603")) == "recording-2026-03-04-0506.mp4"
    assert download_name(replace(base, title='a"\r\nb')) == "a-b-2026-03-04-0506.mp4"
    assert [describe_duration(s) for s in (42, 720, 3900)] == ["42 s", "12 min", "1 h 05 min"]
    assert [describe_size(s) for s in (512_000, 180_000_000, 2_400_000_000)] == ["512 KB", "180 MB", "2.4 GB"]
