"""Stream entities: keys, output variants, latency levels, broadcaster details.

Everything here is pure and synchronous. JSON shapes follow Owncast v0.2 (``models/*.go``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

DEFAULT_VIDEO_BITRATE_KBPS = 1200
DEFAULT_FRAMERATE = 24
DEFAULT_CPU_USAGE_LEVEL = 2

# Owncast core/transcoder/codecs.go: cpuUsageLevel -> x264 preset; anything else -> superfast.
_X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast")


def x264_preset(cpu_usage_level: int) -> str:
    """Return the libx264 preset for an Owncast CPU usage level (0..4; other values: superfast)."""
    if 0 <= cpu_usage_level < len(_X264_PRESETS):
        return _X264_PRESETS[cpu_usage_level]
    return "superfast"


@dataclass(frozen=True, slots=True)
class StreamKey:
    """A stream key a broadcaster may publish with, and the streamer's note about it."""

    key: str
    comment: str = ""

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "comment": self.comment}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StreamKey:
        return cls(key=str(data.get("key", "")), comment=str(data.get("comment", "")))


def _bitrate_string(kbps: int) -> str:
    if kbps == 0:
        return ""
    if kbps < 1000:
        return f"{kbps}Kbps"
    if kbps % 1000 == 0:
        return f"{kbps // 1000}Mbps"
    return f"{kbps / 1000:.1f}Mbps"


@dataclass(frozen=True, slots=True)
class StreamOutputVariant:
    """One HLS rendition, as Owncast's ``StreamOutputVariant``.

    Rules (Owncast): ``video_bitrate`` 0 means 1200 kbps; ``framerate`` 0 means 24 (reported 0 for
    video passthrough); ``audio_bitrate`` 0 means audio passthrough; only one of width/height set
    keeps the aspect ratio.
    """

    name: str = ""
    video_passthrough: bool = False
    audio_passthrough: bool = True
    video_bitrate: int = DEFAULT_VIDEO_BITRATE_KBPS
    audio_bitrate: int = 0
    scaled_width: int = 0
    scaled_height: int = 0
    framerate: int = DEFAULT_FRAMERATE
    cpu_usage_level: int = DEFAULT_CPU_USAGE_LEVEL

    @property
    def effective_framerate(self) -> int:
        if self.video_passthrough:
            return 0
        return self.framerate if self.framerate > 0 else DEFAULT_FRAMERATE

    @property
    def effective_video_bitrate(self) -> int:
        return self.video_bitrate if self.video_bitrate > 0 else DEFAULT_VIDEO_BITRATE_KBPS

    @property
    def is_audio_passthrough(self) -> bool:
        return self.audio_passthrough or self.audio_bitrate == 0

    @property
    def display_name(self) -> str:
        """Owncast's ``GetName``: custom name, Source, 720p/1080p, <h>h, <w>w or <rate>@<fps>fps."""
        rate = _bitrate_string(self.video_bitrate)
        if self.name:
            return self.name
        if self.video_passthrough:
            return "Source"
        if self.scaled_height == 720 and self.scaled_width == 1080:
            return f"720p @{rate}"
        if self.scaled_height == 1080 and self.scaled_width == 1920:
            return f"1080p @{rate}"
        if self.scaled_height:
            return f"{self.scaled_height}h"
        if self.scaled_width:
            return f"{self.scaled_width}w"
        return f"{rate}@{self.framerate}fps"

    def to_json(self, *, computed_name: bool = False) -> dict[str, Any]:
        """Owncast's JSON shape (``scaledWidth``/``scaledHeight`` omitted when 0)."""
        out: dict[str, Any] = {
            "name": self.display_name if computed_name else self.name,
            "videoPassthrough": self.video_passthrough,
            "audioPassthrough": self.audio_passthrough,
            "videoBitrate": self.video_bitrate,
            "audioBitrate": self.audio_bitrate,
            "framerate": self.effective_framerate,
            "cpuUsageLevel": self.cpu_usage_level,
        }
        if self.scaled_width:
            out["scaledWidth"] = self.scaled_width
        if self.scaled_height:
            out["scaledHeight"] = self.scaled_height
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StreamOutputVariant:
        """Parse Owncast's JSON; raises ``ValueError`` for wrong types or negative numbers."""

        def num(key: str, default: int) -> int:
            value = data.get(key, default)
            if value is None:
                return default
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{key} must be a number")
            if value < 0:
                raise ValueError(f"{key} must not be negative")
            return int(value)

        def flag(key: str, default: bool) -> bool:
            value = data.get(key, default)
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
            return value

        name = data.get("name", "") or ""
        if not isinstance(name, str):
            raise ValueError("name must be a string")
        return cls(
            name=name,
            video_passthrough=flag("videoPassthrough", False),
            audio_passthrough=flag("audioPassthrough", False),
            video_bitrate=num("videoBitrate", DEFAULT_VIDEO_BITRATE_KBPS),
            audio_bitrate=num("audioBitrate", 0),
            scaled_width=num("scaledWidth", 0),
            scaled_height=num("scaledHeight", 0),
            framerate=num("framerate", DEFAULT_FRAMERATE),
            cpu_usage_level=num("cpuUsageLevel", DEFAULT_CPU_USAGE_LEVEL),
        )


DEFAULT_VARIANT = StreamOutputVariant(
    video_bitrate=DEFAULT_VIDEO_BITRATE_KBPS,
    framerate=DEFAULT_FRAMERATE,
    cpu_usage_level=DEFAULT_CPU_USAGE_LEVEL,
    audio_passthrough=True,
)


@dataclass(frozen=True, slots=True)
class LatencyLevel:
    """An HLS segment length and playlist size (Owncast v0.2 ``models/latencyLevels.go``)."""

    level: int
    segment_seconds: int
    playlist_segments: int


_LATENCY_LEVELS = {
    0: LatencyLevel(0, 1, 3),
    1: LatencyLevel(1, 2, 2),
    2: LatencyLevel(2, 3, 3),
    3: LatencyLevel(3, 4, 3),
    4: LatencyLevel(4, 5, 4),
}
DEFAULT_LATENCY_LEVEL = 2


def latency_level(level: int) -> LatencyLevel:
    """Return latency level 0..4; raises ``ValueError`` for anything else."""
    try:
        return _LATENCY_LEVELS[level]
    except KeyError:
        raise ValueError(f"latency level must be 0-4, got {level!r}") from None


# FLV codec ids from onMetaData -> Owncast's names (core/rtmp/utils.go).
_VIDEO_CODECS = {7: "H.264", 12: "H.265", 2: "Sorenson H.263", 4: "VP6", 5: "VP6 alpha"}
_AUDIO_CODECS = {10: "AAC", 2: "MP3", 11: "Speex", 1: "ADPCM", 0: "PCM"}
# Enhanced RTMP (OBS 29.1+ and FFmpeg 6.1+ sending HEVC, AV1 or VP9) names codecs by FourCC,
# as a string or as the number its four bytes make.
_VIDEO_FOURCCS = {"avc1": "H.264", "hvc1": "H.265", "hev1": "H.265", "av01": "AV1", "vp09": "VP9"}
_AUDIO_FOURCCS = {"mp4a": "AAC", ".mp3": "MP3", "Opus": "Opus", "fLaC": "FLAC", "ac-3": "AC-3", "ec-3": "E-AC-3"}


def _fourcc(number: int) -> str | None:
    """The FourCC a codec id number spells (``0x68766331`` -> ``"hvc1"``), if it spells one."""
    if not 0x20202020 <= number <= 0x7E7E7E7E:
        return None
    text = number.to_bytes(4, "big")
    return text.decode("ascii") if all(0x20 <= b <= 0x7E for b in text) else None


def _codec_name(codec_id: object, numbers: dict[int, str], fourccs: dict[str, str]) -> str:
    if isinstance(codec_id, (int, float)) and not isinstance(codec_id, bool):
        if not math.isfinite(codec_id):
            return "Unknown"  # NaN or infinite: AMF0 numbers are doubles
        number = int(codec_id)
        if number in numbers:
            return numbers[number]
        fourcc = _fourcc(number)
        return fourccs.get(fourcc, fourcc) if fourcc is not None else "Unknown"
    if isinstance(codec_id, str) and codec_id:
        return fourccs.get(codec_id, codec_id)
    return "Unknown"


def video_codec_name(codec_id: object) -> str:
    """Map an FLV ``videocodecid`` (FLV number, or an enhanced-RTMP FourCC as a string or a
    number) to Owncast's codec label; an unknown FourCC is returned as is, anything else is
    ``"Unknown"``."""
    return _codec_name(codec_id, _VIDEO_CODECS, _VIDEO_FOURCCS)


def audio_codec_name(codec_id: object) -> str:
    """Map an FLV ``audiocodecid`` (as ``video_codec_name``) to Owncast's codec label ("No
    audio" when absent)."""
    if codec_id is None:
        return "No audio"
    return _codec_name(codec_id, _AUDIO_CODECS, _AUDIO_FOURCCS)


@dataclass(frozen=True, slots=True)
class BroadcasterDetails:
    """What the publisher told us about its stream (RTMP ``onMetaData``) and where it came from.

    ``has_video``/``has_audio`` decide the FLV header flags handed to the transcoder.
    """

    remote_addr: str
    connected_at: datetime
    width: int = 0
    height: int = 0
    framerate: float = 0.0
    video_bitrate: float = 0.0
    audio_bitrate: float = 0.0
    video_codec: str = "Unknown"
    audio_codec: str = "No audio"
    encoder: str = ""
    has_video: bool = True
    has_audio: bool = True
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_metadata(
        cls, metadata: Mapping[str, Any], *, remote_addr: str, connected_at: datetime
    ) -> BroadcasterDetails:
        """Build details from an ``onMetaData`` object (missing fields get neutral values)."""

        def number(key: str) -> float:
            value = metadata.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            return 0.0

        has_video = "videocodecid" in metadata or "width" in metadata
        has_audio = "audiocodecid" in metadata or "audiodatarate" in metadata
        if not metadata:
            has_video = has_audio = True
        return cls(
            remote_addr=remote_addr,
            connected_at=connected_at,
            width=int(number("width")),
            height=int(number("height")),
            framerate=number("framerate"),
            video_bitrate=number("videodatarate"),
            audio_bitrate=number("audiodatarate"),
            video_codec=video_codec_name(metadata.get("videocodecid")),
            audio_codec=audio_codec_name(metadata.get("audiocodecid")),
            encoder=str(metadata.get("encoder", "") or ""),
            has_video=has_video,
            has_audio=has_audio,
            metadata=dict(metadata),
        )

    def describe(self) -> str:
        """A log-friendly summary, e.g. ``1280x720@30 H.264/AAC from 1.2.3.4``."""
        fps = f"{self.framerate:g}" if self.framerate else "?"
        return f"{self.width}x{self.height}@{fps} {self.video_codec}/{self.audio_codec} from {self.remote_addr}"

    def with_remote(self, remote_addr: str) -> BroadcasterDetails:
        return replace(self, remote_addr=remote_addr)


@dataclass(frozen=True, slots=True)
class TranscodeJob:
    """Everything a transcoder needs to turn one broadcast into HLS.

    ``output_dir`` is the local HLS root (``data/hls``): variant ``i`` goes to ``output_dir/i/``,
    the master playlist to ``output_dir/stream.m3u8``. ``segment_prefix`` makes segment names
    unique per broadcast (``stream-<prefix>-<n>.ts``). With a ``thumbnail_path``, a JPEG is
    written there every ``thumbnail_interval_seconds`` and a 1 s animated GIF beside it
    (``preview_path``).
    """

    variants: tuple[StreamOutputVariant, ...]
    latency: LatencyLevel
    output_dir: str
    details: BroadcasterDetails
    segment_prefix: str
    thumbnail_path: str = ""
    thumbnail_interval_seconds: float = 20.0
    video_codec: str = "libx264"

    @property
    def preview_path(self) -> str:
        """Where the animated preview goes: ``preview.gif`` beside the thumbnail ("" without one)."""
        return preview_path_for(self.thumbnail_path) if self.thumbnail_path else ""


PREVIEW_FILENAME = "preview.gif"


def preview_path_for(thumbnail_path: str) -> str:
    """``preview.gif`` in the thumbnail's directory (Owncast serves both from ``data/``)."""
    return os.path.join(os.path.dirname(thumbnail_path), PREVIEW_FILENAME)
