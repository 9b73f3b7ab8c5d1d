"""Frame rate conversion by timestamps and output sizes."""

from __future__ import annotations

from fractions import Fraction

import pytest

from owncast_adapters.video.transcoder.framerate import FrameRateConverter, SlotPlan
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
