"""Pure stream rules: variant names and defaults, latency levels, presets, metadata."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from owncast_core.domain.stream import (
    BroadcasterDetails,
    StreamOutputVariant,
    latency_level,
    x264_preset,
)


@pytest.mark.parametrize(
    ("variant", "name"),
    [
        (StreamOutputVariant(name="Custom"), "Custom"),
        (StreamOutputVariant(video_passthrough=True), "Source"),
        (StreamOutputVariant(scaled_width=1080, scaled_height=720, video_bitrate=3000), "720p @3Mbps"),
        (StreamOutputVariant(scaled_width=1920, scaled_height=1080, video_bitrate=4500), "1080p @4.5Mbps"),
        (StreamOutputVariant(scaled_height=480), "480h"),
        (StreamOutputVariant(scaled_width=640), "640w"),
        (StreamOutputVariant(video_bitrate=1200, framerate=24), "1.2Mbps@24fps"),
        (StreamOutputVariant(video_bitrate=800, framerate=30), "800Kbps@30fps"),
    ],
)
def test_owncast_variant_names(variant: StreamOutputVariant, name: str) -> None:
    assert variant.display_name == name


def test_variant_defaults_and_json() -> None:
    v = StreamOutputVariant.from_json({"videoBitrate": 0, "framerate": 0, "audioBitrate": 0})
    assert v.effective_video_bitrate == 1200 and v.effective_framerate == 24 and v.is_audio_passthrough
    assert StreamOutputVariant(video_passthrough=True).to_json()["framerate"] == 0
    assert "scaledWidth" not in StreamOutputVariant().to_json()
    with pytest.raises(ValueError):
        StreamOutputVariant.from_json({"videoBitrate": "fast"})
    with pytest.raises(ValueError):
        StreamOutputVariant.from_json({"framerate": -1})


def test_latency_levels_match_owncast_v02() -> None:
    table = [(latency_level(i).segment_seconds, latency_level(i).playlist_segments) for i in range(5)]
    assert table == [(1, 3), (2, 2), (3, 3), (4, 3), (5, 4)]
    with pytest.raises(ValueError):
        latency_level(5)


def test_presets() -> None:
    assert [x264_preset(i) for i in range(5)] == ["ultrafast", "superfast", "veryfast", "faster", "fast"]
    assert x264_preset(9) == "superfast"


def test_broadcaster_details_from_metadata() -> None:
    d = BroadcasterDetails.from_metadata(
        {"width": 1280.0, "height": 720.0, "framerate": 30.0, "videodatarate": 2500.0,
         "audiodatarate": 128.0, "videocodecid": 7.0, "audiocodecid": 10.0, "encoder": "obs-output module"},
        remote_addr="1.2.3.4", connected_at=datetime.now(UTC))
    assert (d.width, d.height, d.framerate, d.video_codec, d.audio_codec) == (1280, 720, 30.0, "H.264", "AAC")
    assert d.describe() == "1280x720@30 H.264/AAC from 1.2.3.4"
    silent = BroadcasterDetails.from_metadata({"width": 640, "videocodecid": 7}, remote_addr="x",
                                              connected_at=datetime.now(UTC))
    assert silent.has_video and not silent.has_audio and silent.audio_codec == "No audio"


def _fourcc_number(text: str) -> float:
    """How an enhanced-RTMP publisher (FFmpeg 6.1+, OBS 29.1+) sends a FourCC in onMetaData."""
    return float(int.from_bytes(text.encode("ascii"), "big"))


@pytest.mark.parametrize(
    ("video", "audio", "names"),
    [
        (7.0, 10.0, ("H.264", "AAC")),  # classic FLV ids
        (12, 2, ("H.265", "MP3")),
        (_fourcc_number("hvc1"), _fourcc_number("mp4a"), ("H.265", "AAC")),  # FFmpeg 8's HEVC publisher
        (_fourcc_number("av01"), _fourcc_number("Opus"), ("AV1", "Opus")),
        (_fourcc_number("vp09"), _fourcc_number("fLaC"), ("VP9", "FLAC")),
        ("avc1", "ec-3", ("H.264", "E-AC-3")),  # as strings
        (_fourcc_number("abcd"), "wxyz", ("abcd", "wxyz")),  # unknown FourCCs are shown as they are
        (99, 99, ("Unknown", "Unknown")),  # unknown FLV ids
        (float("nan"), float("inf"), ("Unknown", "Unknown")),  # hostile doubles
        (-5.0, 2.0**40, ("Unknown", "Unknown")),
        (True, "", ("Unknown", "Unknown")),
        (0x01020304, 0x7F7F7F7F, ("Unknown", "Unknown")),  # numbers that spell no printable FourCC
    ],
)
def test_codec_names_from_metadata(video: object, audio: object, names: tuple[str, str]) -> None:
    details = BroadcasterDetails.from_metadata(
        {"videocodecid": video, "audiocodecid": audio}, remote_addr="x", connected_at=datetime.now(UTC)
    )
    assert (details.video_codec, details.audio_codec) == names
