"""The parent/child protocol: event lines, job JSON, child arguments."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from owncast_adapters.video.transcoder.events import (
    EventWriter,
    MasterPlaylistWritten,
    ThumbnailWritten,
    TranscoderEvent,
    TranscoderFailed,
    VariantPlaylistWritten,
    decode_event,
    deliver,
    encode_event,
)
from owncast_adapters.video.transcoder.launch import (
    child_arguments,
    job_from_json,
    job_to_json,
    parse_child_arguments,
)
from owncast_core.domain.stream import BroadcasterDetails, LatencyLevel, StreamOutputVariant, TranscodeJob
from owncast_core.ports.video import SegmentInfo, VariantInfo

EVENTS: list[TranscoderEvent] = [
    SegmentInfo(1, "/hls/1/stream-x-3.ts", 2.5),
    VariantPlaylistWritten(0, "/hls/0/stream.m3u8"),
    MasterPlaylistWritten(
        "/hls/stream.m3u8", (VariantInfo(0, 864000, 640, 360, "avc1.64001e,mp4a.40.2", 30.0),)
    ),
    ThumbnailWritten("/data/thumbnail.jpg"),
    TranscoderFailed("disk full: cannot write HLS segments to /hls/0", True),
]


@pytest.mark.parametrize("event", EVENTS)
def test_events_round_trip_as_single_lines(event: TranscoderEvent) -> None:
    line = encode_event(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_event(line) == event


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b"[1, 2]",
        b'{"event": "segment", "variant": 0, "path": "/x.ts"}',
        b'{"event": "segment", "variant": "0", "path": "/x.ts", "duration": 1}',
        b'{"event": "error", "message": "x", "fatal": "yes"}',
        b'{"event": "master_playlist", "path": "/m", "variants": {}}',
        b'{"event": "launch_missiles"}',
    ],
)
def test_malformed_event_lines_are_refused(line: bytes) -> None:
    with pytest.raises(ValueError):
        decode_event(line)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def segment_written(self, segment: SegmentInfo) -> None:
        self.calls.append(("segment_written", segment))

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        self.calls.append(("variant_playlist_written", (variant, path)))

    async def master_playlist_written(self, path: str, variants: tuple[VariantInfo, ...]) -> None:
        self.calls.append(("master_playlist_written", (path, variants)))

    async def thumbnail_written(self, path: str) -> None:
        self.calls.append(("thumbnail_written", path))

    async def transcoder_error(self, message: str, *, fatal: bool) -> None:
        self.calls.append(("transcoder_error", (message, fatal)))

    async def transcoder_exited(self, returncode: int) -> None:
        self.calls.append(("transcoder_exited", returncode))


async def test_deliver_calls_the_matching_listener_method() -> None:
    recorder = Recorder()
    for event in EVENTS:
        await deliver(event, recorder)
    assert [name for name, _ in recorder.calls] == [
        "segment_written",
        "variant_playlist_written",
        "master_playlist_written",
        "thumbnail_written",
        "transcoder_error",
    ]
    assert recorder.calls[2][1] == ("/hls/stream.m3u8", EVENTS[2].variants)  # type: ignore[union-attr]
    assert recorder.calls[4][1] == ("disk full: cannot write HLS segments to /hls/0", True)


def test_event_writer_writes_whole_lines_and_survives_a_gone_reader() -> None:
    read_end, write_end = os.pipe()
    writer = EventWriter(write_end)
    writer.emit(EVENTS[0])
    writer.emit(EVENTS[1])
    assert os.read(read_end, 4096).splitlines() == [
        encode_event(EVENTS[0]).strip(),
        encode_event(EVENTS[1]).strip(),
    ]
    os.close(read_end)
    writer.emit(EVENTS[2])  # broken pipe: dropped, no exception
    writer.emit(EVENTS[3])
    os.close(write_end)


def make_job(metadata: dict[str, object]) -> TranscodeJob:
    return TranscodeJob(
        variants=(
            StreamOutputVariant(video_passthrough=True),
            StreamOutputVariant(scaled_height=480, framerate=30, audio_passthrough=False, audio_bitrate=96),
        ),
        latency=LatencyLevel(4, 5, 4),
        output_dir="/data/hls",
        details=BroadcasterDetails(
            remote_addr="10.0.0.1",
            connected_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            width=1280,
            height=720,
            framerate=29.97,
            has_audio=False,
            metadata=metadata,
        ),
        segment_prefix="abc",
        thumbnail_path="/data/thumbnail.jpg",
        thumbnail_interval_seconds=15.0,
        video_codec="libx264",
    )


def test_job_round_trips_through_json() -> None:
    job = make_job({"encoder": "obs", "nested": {"a": [1, 2]}})
    assert job_from_json(job_to_json(job)) == job


def test_job_metadata_json_cannot_hold_becomes_text() -> None:
    back = job_from_json(job_to_json(make_job({"odd": datetime(2026, 1, 1)})))
    assert back.details.metadata == {"odd": "2026-01-01 00:00:00"}


def test_malformed_job_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        job_from_json('{"variants": []}')
    with pytest.raises(ValueError):
        job_from_json("nope")


def test_child_arguments_round_trip() -> None:
    args = parse_child_arguments(child_arguments(log_level="DEBUG", open_timeout=2.5))
    assert (args.log_level, args.open_timeout) == ("DEBUG", 2.5)
