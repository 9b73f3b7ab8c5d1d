"""Test media helpers: small FLV files made with the ffmpeg CLI, ffprobe queries, and a
``TranscoderListener`` that records what it is told."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from owncast_core.ports.video import SegmentInfo, VariantInfo


def make_flv(
    path: Path,
    *,
    seconds: float = 4.0,
    size: str = "640x360",
    rate: int = 30,
    video: bool = True,
    audio: bool = True,
    gop: int | None = None,
    bframes: int = 0,
    x264_params: str = "",
    sample_rate: int = 44100,
    channels: int = 1,
    audio_codec: str = "aac",
) -> Path:
    """Write a test-pattern (H.264) + tone (AAC) FLV with the ffmpeg CLI; returns ``path``.
    ``bframes``: B-frames between references (non-reference ones, as OBS's x264 sends);
    ``x264_params``: more ``-x264-params`` (``:``-separated)."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    if video:
        cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={sample_rate}"]
    cmd += ["-t", str(seconds)]
    if video:
        cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(gop or rate * 2)]
        params = [p for p in (x264_params, "b-pyramid=none:b-adapt=0" if bframes else "") if p]
        if bframes:
            cmd += ["-bf", str(bframes)]
        if params:
            cmd += ["-x264-params", ":".join(params)]
    if audio:
        cmd += ["-c:a", audio_codec, "-ac", str(channels), *(["-b:a", "64k"] if audio_codec == "aac" else [])]
    cmd += ["-f", "flv", str(path)]
    subprocess.run(cmd, check=True, timeout=120)
    return path


def ffprobe(path: str | os.PathLike[str], *args: str) -> dict[str, Any]:
    """ffprobe's JSON output for ``path`` with extra arguments (``-show_streams`` etc.)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", *args, str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    return dict(json.loads(out))


def video_packets(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The video packets of a file (``pts_time``, ``flags``), in order."""
    data = ffprobe(path, "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-show_packets")
    return list(data.get("packets", []))


def decoded_video_frames(path: str | os.PathLike[str]) -> int:
    """How many video frames ffprobe decodes from a file."""
    data = ffprobe(path, "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames")
    return int(data["streams"][0]["nb_read_frames"])


def decode_errors(path: str | os.PathLike[str]) -> str:
    """What the ffmpeg CLI reports as errors while decoding every stream of a file ("" if none)."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stderr  # fmt: skip


def playlist_segments(path: str | os.PathLike[str]) -> list[str]:
    """The segment URIs a media playlist lists."""
    return [line for line in Path(path).read_text().splitlines() if line and not line.startswith("#")]


def _size(path: str) -> int:
    return os.path.getsize(path)


@dataclass
class RecordingListener:
    """Records every listener call in order; ``exited`` is set by ``transcoder_exited``.

    For each variant playlist event it also keeps the playlist's size at that moment (an
    empty playlist must never be announced).
    """

    calls: list[tuple[str, Any]] = field(default_factory=list)
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    returncode: int | None = None
    playlist_sizes: list[int] = field(default_factory=list)

    async def segment_written(self, segment: SegmentInfo) -> None:
        self.calls.append(("segment", segment))

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        self.playlist_sizes.append(_size(path))
        self.calls.append(("variant_playlist", (variant, path)))

    async def master_playlist_written(self, path: str, variants: tuple[VariantInfo, ...]) -> None:
        self.calls.append(("master_playlist", (path, variants)))

    async def thumbnail_written(self, path: str) -> None:
        self.calls.append(("thumbnail", path))

    async def transcoder_error(self, message: str, *, fatal: bool) -> None:
        self.calls.append(("error", (message, fatal)))

    async def transcoder_exited(self, returncode: int) -> None:
        self.returncode = returncode
        self.calls.append(("exited", returncode))
        self.exited.set()

    def of(self, kind: str) -> list[Any]:
        """The arguments of every call of one kind, in order."""
        return [args for name, args in self.calls if name == kind]

    def segments(self, variant: int) -> list[SegmentInfo]:
        return [s for s in self.of("segment") if s.variant == variant]


FLV_HEADER = 9 + 4  # the FLV header and the first PreviousTagSize
FLV_AUDIO, FLV_VIDEO = 8, 9


def flv_tags(data: bytes) -> list[bytearray]:
    """The tags of an FLV file, each with its trailing PreviousTagSize."""
    tags, pos = [], FLV_HEADER
    while pos + 11 <= len(data):
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        tags.append(bytearray(data[pos : pos + 11 + size + 4]))
        pos += 11 + size + 4
    return tags


def flv_tag_time(tag: bytearray) -> int:
    return int.from_bytes(tag[4:7], "big") | tag[7] << 24


def set_flv_tag_time(tag: bytearray, time: int) -> None:
    time &= 0xFFFFFFFF
    tag[4:7], tag[7] = (time & 0xFFFFFF).to_bytes(3, "big"), time >> 24


def shift_flv_timestamps(source: Path, target: Path, *, from_ms: int, by_ms: int) -> Path:
    """Copy an FLV file, adding ``by_ms`` to the timestamp of every audio and video tag at or
    after ``from_ms`` (as a publisher whose clock jumps); returns ``target``."""
    data = source.read_bytes()
    out = bytearray(data[:FLV_HEADER])
    for tag in flv_tags(data):
        time = flv_tag_time(tag)
        if tag[0] in (FLV_AUDIO, FLV_VIDEO) and time >= from_ms:
            set_flv_tag_time(tag, time + by_ms)
        out += tag
    target.write_bytes(bytes(out))
    return target


def rewrite_flv_tags(source: Path, target: Path, change: Callable[[int, bytearray], None]) -> Path:
    """Copy an FLV file, letting ``change(index, tag)`` alter each tag in place (the whole tag:
    11-byte header, payload, PreviousTagSize; the size must stay); returns ``target``."""
    data = source.read_bytes()
    out = bytearray(data[:FLV_HEADER])
    for index, tag in enumerate(flv_tags(data)):
        change(index, tag)
        out += tag
    target.write_bytes(bytes(out))
    return target


def join_flv(first: Path, second: Path, target: Path, *, at_ms: int) -> Path:
    """One FLV stream: ``first``, then the audio and video of ``second`` (sequence headers
    included, as a publisher that changes its settings mid-stream sends them) from ``at_ms``
    on; returns ``target``."""
    out = bytearray(first.read_bytes())
    for tag in flv_tags(second.read_bytes()):
        if tag[0] in (FLV_AUDIO, FLV_VIDEO):
            set_flv_tag_time(tag, flv_tag_time(tag) + at_ms)
            out += tag
    target.write_bytes(bytes(out))
    return target
