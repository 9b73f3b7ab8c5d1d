"""A publisher's jumping clock becomes a timeline that only goes forward."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from owncast_adapters.video.transcoder.timeline import IncreasingDts, InputTimeline, Retimed

MS = Fraction(1, 1000)


def packets(start: int, count: int, step: float) -> list[int]:
    """Millisecond timestamps as FLV carries them."""
    return [start + round(n * step) for n in range(count)]


def interleave(video: list[int], audio: list[int]) -> list[tuple[str, int]]:
    """Both streams in timestamp order (as an RTMP publisher sends them)."""
    return sorted([("video", t) for t in video] + [("audio", t) for t in audio], key=lambda p: p[1])


def run(timeline: InputTimeline, stream: list[tuple[str, int]]) -> list[tuple[str, Retimed]]:
    return [(kind, timeline.retime(kind, t, t, MS)) for kind, t in stream]


def dts_of(out: list[tuple[str, Retimed]], kind: str) -> list[int]:
    return [r.dts for k, r in out if k == kind and r.dts is not None]


def strictly_increasing(values: list[int]) -> bool:
    return all(b > a for a, b in itertools.pairwise(values))


def test_a_steady_clock_is_left_as_it_is() -> None:
    video, audio = packets(1000, 90, 1000 / 30), packets(1000, 130, 1024 / 44.1)
    out = run(InputTimeline(), interleave(video, audio))
    assert dts_of(out, "video") == video
    assert dts_of(out, "audio") == audio
    assert not any(r.jump or r.nudged for _, r in out)


@pytest.mark.parametrize("jump_ms", [-2000, -20_000, -300, 20_000, 3_600_000])
def test_a_clock_reset_of_both_streams_carries_on_in_sync(jump_ms: int) -> None:
    before = interleave(packets(30_000, 90, 1000 / 30), packets(30_000, 130, 1024 / 44.1))
    after_start = 33_000 + jump_ms
    after = interleave(packets(after_start, 90, 1000 / 30), packets(after_start, 130, 1024 / 44.1))
    out = run(InputTimeline(), before + after)
    video, audio = dts_of(out, "video"), dts_of(out, "audio")
    assert strictly_increasing(video) and strictly_increasing(audio)
    jumps = [r.jump for _, r in out if r.jump is not None]
    assert len(jumps) == 2 and [j.followed for j in jumps] == [False, True]
    assert jumps[0].shift == jumps[1].shift  # the same shift: sound stays with the picture
    # The first to jump goes on one packet interval after its last packet (no gap, no
    # overlap); the other's first packet after the reset lands at the same time, as it did.
    assert video[90] - video[89] in (33, 34)
    assert audio[130] == video[90] and 0 < audio[130] - audio[129] <= 34
    assert not any(r.nudged for _, r in out)


def test_one_stream_jumping_alone_carries_on_without_moving_the_other() -> None:
    video = packets(0, 60, 1000 / 30)
    audio = packets(0, 90, 1024 / 44.1)
    stream = interleave(video, audio)
    # Only the audio clock jumps back by 5 s halfway.
    stream = [(k, t - 5000 if k == "audio" and t >= 1000 else t) for k, t in stream]
    out = run(InputTimeline(), stream)
    assert dts_of(out, "video") == video
    fixed_audio = dts_of(out, "audio")
    assert strictly_increasing(fixed_audio)
    assert max(abs(a - b) for a, b in zip(fixed_audio, audio, strict=True)) <= 25  # back on its old timeline
    assert [r.jump.stream for _, r in out if r.jump is not None] == ["audio"]


def test_a_small_step_back_is_moved_just_after_the_previous_packet() -> None:
    timeline = InputTimeline()
    assert timeline.retime("audio", 1000, 1000, MS).dts == 1000
    assert timeline.retime("audio", 1023, 1023, MS).dts == 1023
    nudged = timeline.retime("audio", 1010, 1010, MS)  # 13 ms back: jitter, not a reset
    assert (nudged.pts, nudged.dts, nudged.nudged, nudged.jump) == (1024, 1024, True, None)
    assert timeline.retime("audio", 1046, 1046, MS) == Retimed(1046, 1046)


def test_b_frames_keep_their_presentation_offset() -> None:
    timeline = InputTimeline()
    # (pts, dts) of an I P B B ... stream at 30 fps, then a reset back by 10 s.
    first = [(1067, 1000), (1167, 1033), (1100, 1067), (1133, 1100)]
    for pts, dts in first:
        assert timeline.retime("video", pts, dts, MS) == Retimed(pts, dts)
    out = [timeline.retime("video", pts - 10_000, dts - 10_000, MS) for pts, dts in first]
    assert [r.dts for r in out] == [1133, 1166, 1200, 1233]
    assert [r.pts - r.dts for r in out if r.pts is not None and r.dts is not None] == [67, 134, 33, 33]


def test_packets_without_timestamps_pass() -> None:
    timeline = InputTimeline()
    assert timeline.retime("video", None, None, MS) == Retimed(None, None)
    assert timeline.retime("video", 40, None, MS) == Retimed(40, None)


def test_increasing_dts_moves_a_packet_that_is_not_after_the_previous() -> None:
    guard = IncreasingDts()
    assert guard.fix(100, 100) is None
    assert guard.fix(200, 200) is None
    assert guard.fix(150, 150) == (201, 201)
    assert guard.fix(300, 200) == (300, 202)  # a later pts stays
    assert guard.fix(400, 400) is None
    assert guard.fixed == 2


def test_a_stream_that_would_go_back_with_the_others_shift_carries_on_by_itself() -> None:
    timeline = InputTimeline()
    video = [timeline.retime("video", t, t, MS) for t in packets(0, 60, 1000 / 30)]  # to 1967
    audio = [timeline.retime("audio", t, t, MS) for t in packets(0, 87, 1024 / 44.1)]  # to 1997
    jumped = timeline.retime("video", 2000 - 5000, 2000 - 5000, MS)  # back 5 s: carries on at 2000
    assert jumped.jump is not None and jumped.dts in (2000, 2001)  # one packet interval on
    # The audio clock went back 0.2 s further: with the video's shift it would land 0.2 s
    # before its own last packet, so it carries on after that packet instead.
    follower = timeline.retime("audio", 2020 - 5200, 2020 - 5200, MS)
    assert follower.jump is not None and not follower.jump.followed
    assert follower.dts is not None and audio[-1].dts is not None
    assert 0 < follower.dts - audio[-1].dts <= 24 and not follower.nudged
    assert video[-1].dts == 1967


def test_increasing_dts_gives_a_packet_without_dts_one_after_the_previous() -> None:
    guard = IncreasingDts()
    assert guard.fix(100, None) is None  # nothing before it: the muxer fills it in
    assert guard.fix(100, 100) is None
    assert guard.fix(300, None) == (300, 300)  # its pts is after the previous dts
    assert guard.fix(250, None) == (301, 301)
    assert guard.fix(None, None) == (302, 302)
    assert guard.fixed == 3
