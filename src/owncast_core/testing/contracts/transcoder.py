"""Contract suite for ``Transcoder`` / ``TranscodeSession``.

Bindings provide a ``transcoder_env`` fixture returning a ``TranscoderEnv``: the transcoder, an
input the transcoder accepts (an FLV byte stream of a few seconds for a real one) and an empty
output directory.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from owncast_core.domain.stream import BroadcasterDetails, StreamOutputVariant, TranscodeJob, latency_level
from owncast_core.errors import TranscoderGone
from owncast_core.ports.video import SegmentInfo, Transcoder, VariantInfo


@dataclass
class TranscoderEnv:
    transcoder: Transcoder
    media: bytes
    output_dir: Path


@dataclass
class RecordingListener:
    """Records every callback in order as ``(kind, detail)``."""

    events: list[tuple[str, object]] = field(default_factory=list)
    exited: asyncio.Event = field(default_factory=asyncio.Event)

    async def segment_written(self, segment: SegmentInfo) -> None:
        self.events.append(("segment", segment))

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        self.events.append(("playlist", (variant, Path(path).read_text())))  # noqa: ASYNC240 - tiny test file

    async def master_playlist_written(self, path: str, variants: tuple[VariantInfo, ...]) -> None:
        self.events.append(("master", variants))

    async def thumbnail_written(self, path: str) -> None:
        self.events.append(("thumbnail", path))

    async def transcoder_error(self, message: str, *, fatal: bool) -> None:
        self.events.append(("error", (message, fatal)))

    async def transcoder_exited(self, returncode: int) -> None:
        self.events.append(("exited", returncode))
        self.exited.set()

    def of(self, kind: str) -> list[object]:
        return [detail for k, detail in self.events if k == kind]


def make_job(output_dir: Path) -> TranscodeJob:
    details = BroadcasterDetails(remote_addr="127.0.0.1", connected_at=datetime.now(UTC))
    variant = StreamOutputVariant(video_bitrate=400, framerate=15, cpu_usage_level=0, scaled_height=180)
    return TranscodeJob(variants=(variant,), latency=latency_level(0), output_dir=str(output_dir),
                        details=details, segment_prefix="contract")


async def feed(session: object, media: bytes, chunk: int = 16384) -> None:
    for start in range(0, len(media), chunk):
        await session.write(media[start:start + chunk])  # type: ignore[attr-defined]


class TranscoderContract:
    """Behaviour every ``Transcoder`` must have."""

    @pytest.fixture
    async def transcoder_env(self) -> TranscoderEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_whole_input_becomes_segments_then_exit(self, transcoder_env: TranscoderEnv) -> None:
        listener = RecordingListener()
        session = await transcoder_env.transcoder.start(make_job(transcoder_env.output_dir), listener)
        await feed(session, transcoder_env.media)
        await session.close()
        await asyncio.wait_for(listener.exited.wait(), 60)
        assert listener.of("exited") == [0]
        assert listener.events[-1][0] == "exited"
        assert not session.running
        assert listener.of("master"), "no master playlist reported"
        assert len(listener.of("segment")) >= 2

    async def test_segments_are_reported_before_the_playlist_naming_them(
        self, transcoder_env: TranscoderEnv
    ) -> None:
        listener = RecordingListener()
        session = await transcoder_env.transcoder.start(make_job(transcoder_env.output_dir), listener)
        await feed(session, transcoder_env.media)
        await session.close()
        await asyncio.wait_for(listener.exited.wait(), 60)
        # The listener reads the playlist when it handles the event; by then the transcoder may
        # have written a newer one, naming a segment whose event is still on its way. Such a
        # segment must then be reported before the playlist event of that newer write: so
        # every name is reported before some playlist event at or after the one that read it.
        reported: set[str] = set()
        unexplained: set[str] = set()
        playlists = 0
        for kind, detail in listener.events:
            if kind == "segment":
                assert isinstance(detail, SegmentInfo)
                reported.add(Path(detail.path).name)
            elif kind == "playlist":
                assert isinstance(detail, tuple)
                playlists += 1
                names = {ln for ln in str(detail[1]).splitlines() if ln and not ln.startswith("#")}
                unexplained = (unexplained - reported) | (names - reported)
        assert playlists, "no playlist reported"
        assert not unexplained, f"the last playlist names unreported segments: {unexplained}"

    async def test_stop_ends_the_session(self, transcoder_env: TranscoderEnv) -> None:
        listener = RecordingListener()
        session = await transcoder_env.transcoder.start(make_job(transcoder_env.output_dir), listener)
        await feed(session, transcoder_env.media[: len(transcoder_env.media) // 2])
        await session.stop()
        await asyncio.wait_for(listener.exited.wait(), 30)
        assert not session.running
        assert len(listener.of("exited")) == 1
        with pytest.raises(TranscoderGone):
            await feed(session, transcoder_env.media)

    async def test_close_is_idempotent(self, transcoder_env: TranscoderEnv) -> None:
        listener = RecordingListener()
        session = await transcoder_env.transcoder.start(make_job(transcoder_env.output_dir), listener)
        await feed(session, transcoder_env.media)
        await session.close()
        await session.close()
        await asyncio.wait_for(listener.exited.wait(), 60)
        await session.stop()
        assert len(listener.of("exited")) == 1
