"""CODECS strings for the master playlist, from real and hand-made extradata."""

from __future__ import annotations

import pytest

from owncast_adapters.video.transcoder.codec_strings import (
    aac_codec_string,
    audio_codec_string,
    avc_codec_string,
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
