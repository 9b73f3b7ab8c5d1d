"""``RecordingStore`` contract bound to the in-memory fake and the local-disk adapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from owncast_adapters.storage.recordings import LocalRecordingStore
from owncast_core.testing.contracts.recordings import RecordingEnv, RecordingStoreContract
from owncast_core.testing.fakes import InMemoryRecordingStore

from ..recording_support import make_ts_segments

SEGMENT_SECONDS = 2
SEGMENTS = 4


@pytest.fixture(scope="module")
def ts_segments(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Four 2 s h264/aac MPEG-TS segments of one HLS muxer, as the transcoder writes them."""
    paths = make_ts_segments(tmp_path_factory.mktemp("segments"), seconds=SEGMENT_SECONDS * SEGMENTS,
                             segment_seconds=SEGMENT_SECONDS)
    assert len(paths) == SEGMENTS
    return paths


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
