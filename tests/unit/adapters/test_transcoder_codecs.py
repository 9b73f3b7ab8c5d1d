"""CODECS strings for the master playlist, from real and hand-made extradata."""

from __future__ import annotations

import pytest

from owncast_adapters.video.transcoder.codec_strings import (
    aac_codec_string,
    audio_codec_string,
    avc_codec_string,
    hevc_codec_string,
    video_codec_string,
)

# libx264's global header (Annex B): SPS (High, level 3.0) then PPS.
X264_EXTRADATA = bytes.fromhex("000000016764001eacb405017fcb080000030008000003018478b1750000000168ef3cb0")
# An FLV/MP4 avcC record: constrained baseline, level 3.0.
AVCC_EXTRADATA = bytes.fromhex("0142c01effe100196742c01eda0280bf")


@pytest.mark.parametrize(
    ("extradata", "expected"),
    [
        (X264_EXTRADATA, "avc1.64001e"),
        (AVCC_EXTRADATA, "avc1.42c01e"),
        (bytes.fromhex("00000167640028aa") + b"\x00\x00\x01\x68\xee", "avc1.640028"),  # 3-byte start code
        (bytes.fromhex("0000000168ee3cb0") + bytes.fromhex("000000016742e01f00"), "avc1.42e01f"),  # PPS first
    ],
)
def test_avc_codec_string(extradata: bytes, expected: str) -> None:
    assert avc_codec_string(extradata) == expected


@pytest.mark.parametrize("extradata", [None, b"", bytes.fromhex("0000000168ee3cb0"), b"\x00\x00\x01\x67\x64"])
def test_avc_codec_string_without_an_sps(extradata: bytes | None) -> None:
    assert avc_codec_string(extradata) is None


@pytest.mark.parametrize(
    ("extradata", "expected"),
    [
        (bytes.fromhex("1210"), "mp4a.40.2"),  # AAC-LC, 44.1 kHz stereo
        (bytes.fromhex("1190"), "mp4a.40.2"),  # AAC-LC, 48 kHz stereo
        (bytes.fromhex("2b92"), "mp4a.40.5"),  # HE-AAC (SBR)
        (bytes.fromhex("f8e0"), "mp4a.40.39"),  # escaped object type 32 + 7
        (None, "mp4a.40.2"),
        (b"", "mp4a.40.2"),
    ],
)
def test_aac_codec_string(extradata: bytes | None, expected: str) -> None:
    assert aac_codec_string(extradata) == expected


def test_mp3_is_named_by_its_object_type() -> None:
    assert audio_codec_string("mp3", None) == "mp4a.40.34"
    assert audio_codec_string("aac", bytes.fromhex("1210")) == "mp4a.40.2"


# x265's hvcC (Main 10, level 3.1, progressive + frame-only constraints), as an enhanced-RTMP
# publisher sends it: ISO/IEC 14496-15 HEVCDecoderConfigurationRecord, first 13 bytes matter.
X265_MAIN10_HVCC = bytes.fromhex("0102200000009000000000005df000fcfdfafa00000f04")


@pytest.mark.parametrize(
    ("extradata", "expected"),
    [
        (X265_MAIN10_HVCC, "hvc1.2.4.L93.90"),
        # Main, level 3.1, compatibility with Main and Main 10 (0x60000000 reversed = 0x6): the
        # example string of Apple's HLS authoring spec.
        (bytes.fromhex("010160000000b000000000005d"), "hvc1.1.6.L93.B0"),
        # profile space 1 (A), high tier, level 4 (120), every constraint byte set
        (bytes.fromhex("01614000000011223344556678"), "hvc1.A1.2.H120.11.22.33.44.55.66"),
    ],
)
def test_hevc_codec_string(extradata: bytes, expected: str) -> None:
    assert hevc_codec_string(extradata) == expected


@pytest.mark.parametrize(
    "extradata", [None, b"", X265_MAIN10_HVCC[:12], b"\x00\x00\x00\x01\x40\x01\x0c\x01" + bytes(8)]  # Annex B VPS
)
def test_hevc_codec_string_needs_an_hvcc_record(extradata: bytes | None) -> None:
    assert hevc_codec_string(extradata) is None


def test_video_codec_string_by_codec() -> None:
    assert video_codec_string("h264", X264_EXTRADATA) == "avc1.64001e"
    assert video_codec_string("hevc", X265_MAIN10_HVCC) == "hvc1.2.4.L93.90"
    assert video_codec_string("av1", bytes.fromhex("81000c00")) is None  # not carried in MPEG-TS: no CODECS
