"""Live latency of the transcoder: first video frame in -> first segment listed, in real time.

Makes a 1280x720@30 FLV (H.264 with B-frames and a keyframe every 2 s, like OBS's defaults, plus
AAC) with ffmpeg, then writes it into a ``PyAVTranscoder`` session paced by the FLV tag
timestamps, as an RTMP publisher would deliver it. Measures the seconds from writing the first
video tag to (a) the first ``segment_written`` and (b) the first ``variant_playlist_written``
event (the playlist then lists that segment), for latency levels 0 and 1 with 1 and 2
variants. The target is segment length + 0.2 s. Usage: ``python bench/latency.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _flv import FLV_VIDEO_TAG, QuietListener, compile_sources, paced_tags_async

from owncast_adapters.video.transcoder import PyAVTranscoder
from owncast_core.domain.stream import BroadcasterDetails, StreamOutputVariant, TranscodeJob, latency_level
from owncast_core.ports.video import SegmentInfo

SOURCE = StreamOutputVariant(video_bitrate=1200, framerate=30, cpu_usage_level=2, audio_passthrough=True)
LOW = StreamOutputVariant(
    scaled_height=480, video_bitrate=800, framerate=30, cpu_usage_level=2, audio_passthrough=True
)


def make_input(path: Path, seconds: int) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-b:v", "3000k", "-g", "60",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-f", "flv", str(path)],
        check=True,
    )  # fmt: skip


class FirstEvents(QuietListener):
    def __init__(self) -> None:
        super().__init__()
        self.segment: float | None = None
        self.playlist: float | None = None

    async def segment_written(self, segment: SegmentInfo) -> None:
        if self.segment is None:
            self.segment = time.perf_counter()

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        if self.playlist is None:
            self.playlist = time.perf_counter()


async def measure(job: TranscodeJob, data: bytes) -> tuple[float, float]:
    """Seconds from the first video tag written to the first segment / playlist event."""
    events = FirstEvents()
    session = await PyAVTranscoder().start(job, events)
    first_video: float | None = None
    try:
        async for kind, tag in paced_tags_async(data):
            await session.write(tag)
            if first_video is None and kind == FLV_VIDEO_TAG:
                first_video = time.perf_counter()
            if events.playlist is not None:
                break
    finally:
        await session.stop()
    if events.errors or first_video is None or events.segment is None or events.playlist is None:
        raise RuntimeError(f"no segment came out: {events.errors}")
    return events.segment - first_video, events.playlist - first_video


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration")
    args = parser.parse_args()
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="owncast-latency-") as tmp:
        root = Path(tmp)
        flv = root / "input.flv"
        make_input(flv, 8)
        data = flv.read_bytes()
        print(f"{'level':<6} {'segment s':>9} {'variants':>8} {'to segment s':>13} {'to playlist s':>14} "
              f"{'over segment s':>15}  all (to playlist)")  # fmt: skip
        for level in (0, 1):
            latency = latency_level(level)
            for variants in ((SOURCE,), (SOURCE, LOW)):
                runs = []
                for i in range(args.repeat):
                    job = TranscodeJob(
                        variants=variants,
                        latency=latency,
                        output_dir=str(root / f"hls-{level}-{len(variants)}-{i}"),
                        details=BroadcasterDetails(remote_addr="bench", connected_at=datetime.now(UTC)),
                        segment_prefix="bench",
                    )
                    runs.append(asyncio.run(measure(job, data)))
                to_segment = statistics.median(r[0] for r in runs)
                to_playlist = statistics.median(r[1] for r in runs)
                every = " ".join(f"{r[1]:.3f}" for r in runs)
                over = to_playlist - latency.segment_seconds
                print(f"{level:<6} {latency.segment_seconds:>9} {len(variants):>8} {to_segment:>13.3f} "
                      f"{to_playlist:>14.3f} {over:>15.3f}  {every}")  # fmt: skip


if __name__ == "__main__":
    main()
