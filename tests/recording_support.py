"""Real MPEG-TS segments for recording tests, written the way the transcoder's HLS muxer does."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_ts_segments(directory: Path, *, seconds: int = 8, segment_seconds: int = 2) -> list[str]:
    """``seconds`` of h264/aac test pattern cut into ``segment_seconds`` MPEG-TS segments by one
    ``hls`` muxer (with a timestamp offset, as the transcoder uses); their paths in order."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
         "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24", "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", str(24 * segment_seconds),
         "-c:a", "aac", "-output_ts_offset", "10", "-f", "hls", "-hls_time", str(segment_seconds),
         "-hls_list_size", "0", "-hls_segment_filename", str(directory / "stream-x-%d.ts"),
         str(directory / "stream.m3u8")],
        check=True, timeout=60,
    )
    paths = sorted(directory.glob("stream-x-*.ts"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [str(p) for p in paths]
