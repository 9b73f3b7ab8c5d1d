"""Frame rate conversion by timestamps and output sizes."""

from __future__ import annotations

from fractions import Fraction

import pytest

from owncast_adapters.video.transcoder.framerate import DropPredictor, FrameRateConverter, SlotPlan
from owncast_adapters.video.transcoder.scaling import output_size

MS = Fraction(1, 1000)


def flv_times(fps: float, count: int, start: int = 23) -> list[int]:
    """Frame timestamps as an FLV carries them: milliseconds, rounded."""
    return [round(start + n * 1000 / fps) for n in range(count)]


def run(converter: FrameRateConverter, times: list[int]) -> list[SlotPlan | None]:
    return [converter.push(t) for t in times]


@pytest.mark.parametrize(("out_fps", "expected"), [(30, 120), (24, 96), (15, 60), (25, 100)])
def test_output_frames_follow_the_rate_and_end_together(out_fps: int, expected: int) -> None:
    plans = run(FrameRateConverter(out_fps, MS), flv_times(30, 120))
    kept = [p for p in plans if p is not None]
    assert len(kept) == expected
    assert [p.slot for p in kept] == list(range(expected))  # no gap, no repeat
    assert all(p.repeat == 0 for p in kept)


def test_same_rate_with_millisecond_jitter_keeps_every_frame() -> None:
    plans = run(FrameRateConverter(30, MS), flv_times(29.97, 300))
    kept = [p for p in plans if p is not None]
    assert len(kept) >= 299
    assert sum(p.repeat for p in kept) <= 1


def test_up_conversion_repeats_the_previous_frame() -> None:
    plans = run(FrameRateConverter(30, MS), flv_times(15, 4, start=0))
    assert plans == [SlotPlan(0, 0), SlotPlan(1, 2), SlotPlan(1, 4), SlotPlan(1, 6)]


def test_slot_times_start_at_the_first_frame() -> None:
    converter = FrameRateConverter(24, MS)
    converter.push(1023)
    assert converter.slot_time(0) == Fraction(1023, 1000)
    assert converter.slot_time(48) == Fraction(1023, 1000) + 2


def test_a_long_stall_is_jumped_not_filled() -> None:
    converter = FrameRateConverter(10, MS)
    assert converter.push(0) == SlotPlan(0, 0)
    assert converter.push(5000) == SlotPlan(0, 50)


def test_timestamps_going_back_reanchor_the_grid() -> None:
    converter = FrameRateConverter(10, MS)
    for t in (0, 100, 200, 300):
        converter.push(t)
    assert converter.push(250) is None  # a late frame inside the tolerance is dropped
    assert converter.push(-10_000) == SlotPlan(0, 4)  # a reset: output time keeps going
    assert converter.push(-9_900) == SlotPlan(0, 5)


def test_non_positive_rate_is_refused() -> None:
    with pytest.raises(ValueError):
        FrameRateConverter(0, MS)


@pytest.mark.parametrize(
    ("source", "wanted", "expected"),
    [
        ((1280, 720), (0, 0), (1280, 720)),
        ((1280, 720), (0, 360), (640, 360)),
        ((1280, 720), (0, 480), (854, 480)),
        ((1920, 1080), (640, 0), (640, 360)),
        ((1280, 720), (1080, 720), (1080, 720)),
        ((1281, 721), (0, 0), (1280, 720)),
        ((640, 360), (0, 181), (320, 180)),
        ((1280, 720), (0, 270), (480, 270)),
        ((1920, 1080), (0, 243), (430, 242)),
    ],
)
def test_output_size(source: tuple[int, int], wanted: tuple[int, int], expected: tuple[int, int]) -> None:
    assert output_size(*source, *wanted) == expected


def test_output_size_needs_a_source_size() -> None:
    with pytest.raises(ValueError):
        output_size(0, 0, 0, 360)


# -- DropPredictor: skipping the decode of frames every converter drops changes nothing -----


def decode_order(times: list[int], pattern: str) -> list[tuple[int, bool]]:
    """``(pts, is_reference)`` in H.264 decode order for frames at ``times``.

    ``"ibbp"``: two non-reference B-frames between references (OBS's x264 default);
    ``"pyramid"``: three B-frames, the middle one a reference (x264's b-pyramid);
    ``"ip"``: no B-frames."""
    group = {"ip": 1, "ibbp": 3, "pyramid": 4}[pattern]
    order: list[tuple[int, bool]] = [(times[0], True)]
    for start in range(1, len(times), group):
        chunk = times[start : start + group]
        order.append((chunk[-1], True))  # the forward reference comes first
        middle = chunk[:-1]
        if pattern == "pyramid" and len(middle) == 3:
            order += [(middle[1], True), (middle[0], False), (middle[2], False)]
        else:
            order += [(t, False) for t in middle]
    return order


def transcode_plans(
    packets: list[tuple[int, bool]], rates: list[int], *, skip: bool, delay: int = 3
) -> tuple[list[list[tuple[int, SlotPlan]]], int]:
    """Per rate, the ``(pts, plan)`` of every frame its converter keeps, and how many packets
    were not decoded, with a decoder that outputs in timestamp order after ``delay`` frames."""
    converters = [FrameRateConverter(fps, MS) for fps in rates]
    kept: list[list[tuple[int, SlotPlan]]] = [[] for _ in rates]
    predictor = DropPredictor(rates, MS)
    waiting: list[int] = []
    skipped = 0

    def output(pts: int) -> None:
        predictor.origin(pts)
        for converter, plans in zip(converters, kept, strict=True):
            plan = converter.push(pts)
            if plan is not None:
                plans.append((pts, plan))

    for pts, is_reference in packets:
        if skip and predictor.droppable(pts) and not is_reference:
            skipped += 1
            continue
        waiting.append(pts)
        if len(waiting) > delay:
            waiting.sort()
            output(waiting.pop(0))
    for pts in sorted(waiting):
        output(pts)
    return kept, skipped


def assert_same_output(
    kept: list[list[tuple[int, SlotPlan]]],
    expected: list[list[tuple[int, SlotPlan]]],
    rates: list[int],
    *,
    timing: bool = True,
) -> None:
    """Every rate fills the same slots with the same repeats as when every frame is decoded,
    each (``timing``: on a grid that was never re-anchored) with a frame at most half a slot,
    and a tick of rounding, from the slot's time; the frame shown in a slot may be another of
    the same slot."""
    for fps, mine, full in zip(rates, kept, expected, strict=True):
        assert [plan for _, plan in mine] == [plan for _, plan in full]
        if not timing:
            continue
        origin = full[0][0]
        for pts, plan in mine:
            slot_time = origin + Fraction(plan.slot * 1000, fps)
            assert abs(pts - slot_time) <= Fraction(500, fps) + 1


@pytest.mark.parametrize("pattern", ["ibbp", "pyramid", "ip"])
@pytest.mark.parametrize(
    ("in_fps", "rates"),
    [(30, [24]), (60, [30]), (60, [24]), (29.97, [24]), (30, [24, 15]), (30, [30]), (30, [24, 30]), (25, [24])],
)
def test_skipping_droppable_frames_keeps_every_output_frame(in_fps: float, rates: list[int], pattern: str) -> None:
    packets = decode_order(flv_times(in_fps, 600), pattern)
    expected, _ = transcode_plans(packets, rates, skip=False)
    kept, skipped = transcode_plans(packets, rates, skip=True)
    assert_same_output(kept, expected, rates)
    if pattern != "ip" and all(fps < in_fps * 0.9 for fps in rates):
        assert skipped > 0  # the saving happens where frames are dropped
    if any(fps >= in_fps for fps in rates):
        assert skipped == 0  # a variant at the full rate needs every frame


@pytest.mark.parametrize("pattern", ["ibbp", "pyramid"])
def test_at_30_to_24_fps_every_dropped_frame_is_skipped_when_b_frames_allow(pattern: str) -> None:
    # Of the two frames sharing a 24 fps slot, one is always a non-reference B-frame decoded
    # after its partner, whichever of the two comes first on screen.
    packets = decode_order(flv_times(30, 600), pattern)
    expected, _ = transcode_plans(packets, [24], skip=False)
    kept, skipped = transcode_plans(packets, [24], skip=True)
    assert_same_output(kept, expected, [24])
    dropped = 600 - len(expected[0])
    assert dropped == 120 and skipped >= dropped - 1  # all but one met before the first picture came out
    assert [pts for pts, _ in kept[0]] != [pts for pts, _ in expected[0]]  # ties went the other way


def test_a_timestamp_reset_stops_the_prediction_and_keeps_output_frames() -> None:
    times = flv_times(30, 300) + flv_times(30, 300, start=100)  # the publisher restarted its clock
    packets = decode_order(times, "ibbp")
    expected, _ = transcode_plans(packets, [24], skip=False)
    kept, skipped = transcode_plans(packets, [24], skip=True)
    assert_same_output(kept, expected, [24], timing=False)
    _, skipped_before_reset = transcode_plans(decode_order(times[:300], "ibbp"), [24], skip=True)
    assert 0 < skipped <= skipped_before_reset + 1  # given up after the reset


def test_nothing_is_droppable_before_the_first_frame_or_without_timestamps() -> None:
    predictor = DropPredictor([24], MS)
    assert not predictor.droppable(0)
    assert not predictor.droppable(33)  # same 24 fps slot as 0, but no frame decoded yet
    assert not predictor.droppable(None)
    predictor.origin(0)
    assert predictor.droppable(34)  # slot 1 is 33..; 34 shares it with 33
    assert not predictor.droppable(83)
    assert not DropPredictor([], MS).enabled


@pytest.mark.parametrize("time_base", [MS, Fraction(1, 90000), Fraction(1001, 30000), Fraction(1, 7)])
@pytest.mark.parametrize("fps", [24, 30, 60, 7])
def test_slot_pts_is_the_slot_time_rounded_like_round(time_base: Fraction, fps: int) -> None:
    converter = FrameRateConverter(fps, time_base)
    converter.push(-12_345)
    for out in (Fraction(1, 90000), Fraction(1, 1000), Fraction(1, 3)):
        for slot in (0, 1, 2, 3, 17, 1_000, 123_457):
            assert converter.slot_pts(slot, out) == round(converter.slot_time(slot) / out)
