"""The FLV stream starts once every stream the publisher announced has begun."""

from __future__ import annotations

import logging

import pytest

from owncast_adapters.video.rtmp import flv
from owncast_adapters.video.rtmp.start import StartGate

AUDIO, VIDEO, SCRIPT = flv.TAG_AUDIO, flv.TAG_VIDEO, flv.TAG_SCRIPT
BOTH = frozenset({AUDIO, VIDEO})
META = flv.metadata_tag({"width": 320.0})
LOG = logging.getLogger("test.rtmp_start")


def tag(kind: int, ms: int) -> bytes:
    return flv.tag(kind, ms, bytes([kind, ms & 0xFF]))


def gate(announced: frozenset[int] = BOTH, **kwargs: int) -> StartGate:
    return StartGate(announced, META, logger=LOG, who="1.2.3.4", **kwargs)


def header(*, audio: bool, video: bool) -> bytes:
    return flv.file_header(has_audio=audio, has_video=video) + META


def test_both_streams_at_once_start_right_away() -> None:
    g = gate()
    assert g.offer(VIDEO, 0, tag(VIDEO, 0)) == b""
    assert g.offer(AUDIO, 0, tag(AUDIO, 0)) == header(audio=True, video=True) + tag(VIDEO, 0) + tag(AUDIO, 0)
    assert g.is_open
    assert g.offer(VIDEO, 33, tag(VIDEO, 33)) == tag(VIDEO, 33)


def test_video_is_held_until_the_late_audio_begins() -> None:
    g = gate()
    held = [tag(VIDEO, ms) for ms in range(0, 3000, 33)]
    for ms, data in zip(range(0, 3000, 33), held, strict=True):
        assert g.offer(VIDEO, ms, data) == b""
    out = g.offer(AUDIO, 3000, tag(AUDIO, 3000))
    # The audio's first tag (its sequence header) right after the video's: a short probe finds it.
    assert out == header(audio=True, video=True) + held[0] + tag(AUDIO, 3000) + b"".join(held[1:])


def test_an_announced_stream_that_never_begins_is_left_out_after_the_wait(caplog: pytest.LogCaptureFixture) -> None:
    g = gate(wait_ms=5000)
    for ms in range(0, 5000, 100):
        assert g.offer(VIDEO, ms, tag(VIDEO, ms)) == b""
    with caplog.at_level(logging.WARNING):
        out = g.offer(VIDEO, 5000, tag(VIDEO, 5000))
        assert out.startswith(header(audio=False, video=True) + tag(VIDEO, 0))
        assert out.endswith(tag(VIDEO, 5000))
        # It begins after all: dropped (a stream cannot join the transcoder's input later).
        assert g.offer(AUDIO, 5100, tag(AUDIO, 5100)) == b""
        assert g.offer(AUDIO, 5123, tag(AUDIO, 5123)) == b""
    assert g.offer(VIDEO, 5133, tag(VIDEO, 5133)) == tag(VIDEO, 5133)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "RTMP 1.2.3.4: the publisher announced audio but sent none in the first 5 s; going live without it",
        "RTMP 1.2.3.4: audio began after the broadcast had started without it; it is left out "
        "(restart the stream to include it)",
    ]


def test_the_byte_cap_ends_the_wait() -> None:
    g = gate(max_bytes=1000)
    out = b""
    for ms in range(0, 3300, 33):
        out += g.offer(VIDEO, ms, tag(VIDEO, ms))
        if out:
            break
    assert out.startswith(header(audio=False, video=True)) and 1000 <= len(out) < 1100


def test_an_unannounced_stream_that_comes_with_the_first_tags_is_kept() -> None:
    g = gate(frozenset({VIDEO}))
    assert g.offer(AUDIO, 0, tag(AUDIO, 0)) == b""  # audio first, though only video was announced
    assert g.offer(AUDIO, 23, tag(AUDIO, 23)) == b""
    assert g.offer(VIDEO, 0, tag(VIDEO, 0)) == (
        header(audio=True, video=True) + tag(AUDIO, 0) + tag(VIDEO, 0) + tag(AUDIO, 23)
    )


def test_script_tags_ride_along_and_release_opens_with_what_came() -> None:
    g = gate()
    update = flv.metadata_tag({"title": "x"}, 10)
    assert g.offer(VIDEO, 0, tag(VIDEO, 0)) == b""
    assert g.offer(SCRIPT, 10, update) == b""
    assert g.release() == header(audio=False, video=True) + tag(VIDEO, 0) + update
    assert g.release() == b""
    assert g.offer(SCRIPT, 20, update) == update


def test_release_before_any_media_announces_what_was_announced() -> None:
    assert gate().release() == header(audio=True, video=True)


def test_the_wait_follows_media_time_across_a_timestamp_wrap() -> None:
    g = gate(wait_ms=5000)
    start = 0xFFFFFFFF - 1000
    assert g.offer(VIDEO, start, tag(VIDEO, 0)) == b""
    assert g.offer(VIDEO, 2000, tag(VIDEO, 1)) == b""  # 3 s later, after the wrap
    assert g.offer(VIDEO, 4100, tag(VIDEO, 2)) != b""  # 5.1 s later


AAC_RAW = bytes([0xAF, 0x01]) + b"aac"  # AAC, 44 kHz, 16-bit, stereo: the only flags AAC tags have
AVC_INTER = bytes([0x27, 0x01, 0, 0, 0]) + b"avc"


def media(kind: int, ms: int, payload: bytes) -> bytes:
    return flv.tag(kind, ms, payload)


def open_gate() -> StartGate:
    g = gate()
    g.offer(VIDEO, 0, media(VIDEO, 0, AVC_INTER))
    assert g.offer(AUDIO, 0, media(AUDIO, 0, AAC_RAW))
    return g


@pytest.mark.parametrize(
    ("kind", "payload", "why"),
    [
        (AUDIO, bytes([0xBE, 0x00]) + b"spx", "a codec other than its first"),  # Speex
        (AUDIO, bytes([0xAD, 0x01]) + b"aac", "a codec other than its first"),  # 8-bit: FFmpeg compares it
        (VIDEO, bytes([0x22, 0x00]) + b"h263", "a codec other than its first"),  # Sorenson H.263
        (VIDEO, bytes([0x96]) + b"hvc1" + b"\x00" * 4, "multitrack"),  # enhanced RTMP, multitrack
        (AUDIO, bytes([0x95]) + b"mp4a" + b"\x00" * 4, "multitrack"),
    ],
)
def test_a_tag_ffmpeg_would_make_a_new_stream_of_is_dropped(
    kind: int, payload: bytes, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    g = open_gate()
    with caplog.at_level(logging.WARNING):
        assert g.offer(kind, 40, media(kind, 40, payload)) == b""
        assert g.offer(kind, 80, media(kind, 80, payload)) == b""
    assert g.offer(kind, 100, media(kind, 100, AAC_RAW if kind == AUDIO else AVC_INTER)) != b""
    name = "audio" if kind == AUDIO else "video"
    assert [r.getMessage() for r in caplog.records] == [
        f"RTMP 1.2.3.4: {name} tags in {why} are dropped: a stream keeps the codec it began with "
        "(restart the stream to change it)"
    ]


def test_empty_media_tags_are_dropped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    g = open_gate()
    with caplog.at_level(logging.WARNING):
        assert g.offer(VIDEO, 40, media(VIDEO, 40, b"")) == b""
    assert caplog.records == []


def test_enhanced_rtmp_keeps_its_fourcc() -> None:
    g = gate(frozenset({VIDEO}))
    first = media(VIDEO, 0, bytes([0x90]) + b"hvc1" + b"config")  # keyframe, sequence start
    assert g.offer(VIDEO, 0, first) != b""
    frame = media(VIDEO, 33, bytes([0xA1]) + b"hvc1" + b"\x00\x00\x00frame")  # inter frame, coded frames
    assert g.offer(VIDEO, 33, frame) == frame
    other = media(VIDEO, 66, bytes([0xA1]) + b"av01" + b"frame")
    assert g.offer(VIDEO, 66, other) == b""
