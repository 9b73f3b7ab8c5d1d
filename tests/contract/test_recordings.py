"""``RecordingStore`` contract bound to the in-memory fake and the local-disk adapter."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from owncast_adapters.storage.recordings import LocalRecordingStore
from owncast_core.testing.contracts.recordings import RecordingEnv, RecordingStoreContract
from owncast_core.testing.fakes import InMemoryRecordingStore

SEGMENT_SECONDS = 2
SEGMENTS = 4


@pytest.fixture(scope="module")
def ts_segments(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Four 2 s h264/aac MPEG-TS segments of one HLS muxer, as the transcoder writes them."""
    directory = tmp_path_factory.mktemp("segments")
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
         "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24", "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", str(SEGMENT_SECONDS * SEGMENTS), "-c:v", "libx264", "-preset", "ultrafast", "-g", "48",
         "-c:a", "aac", "-output_ts_offset", "10", "-f", "hls", "-hls_time", str(SEGMENT_SECONDS),
         "-hls_list_size", "0", "-hls_segment_filename", str(directory / "stream-x-%d.ts"),
         str(directory / "stream.m3u8")],
        check=True, timeout=60,
    )
    paths = sorted(directory.glob("stream-x-*.ts"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert len(paths) == SEGMENTS
    return [str(p) for p in paths]


class TestInMemoryRecordingStore(RecordingStoreContract):
    @pytest.fixture
    def recording_env(self) -> RecordingEnv:
        store = InMemoryRecordingStore(seconds_per_append=SEGMENT_SECONDS)
        paths = [f"/hls/0/stream-x-{i}.ts" for i in range(SEGMENTS)]
        store.files = {path: f"segment {i}".encode() for i, path in enumerate(paths)}
        return RecordingEnv(store=store, segments=paths, seconds=SEGMENT_SECONDS * SEGMENTS, reopen=lambda: store)


class TestLocalRecordingStore(RecordingStoreContract):
    @pytest.fixture
    def recording_env(self, tmp_path: Path, ts_segments: list[str]) -> RecordingEnv:
        root = tmp_path / "recordings"
        return RecordingEnv(store=LocalRecordingStore(root=root), segments=ts_segments,
                            seconds=SEGMENT_SECONDS * SEGMENTS, reopen=lambda: LocalRecordingStore(root=root))
