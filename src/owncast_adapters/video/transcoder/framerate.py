"""Constant frame rate output from timestamped input frames (pure).

Output slot ``n`` of a variant at ``fps`` lies at ``origin + n / fps`` seconds, where the origin
is the first input frame's time. Every variant of a session sees the same first frame, so their
slot grids (and the keyframes placed on them) line up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """What to encode for one input frame: the previous frame again for ``repeat`` slots
    (``slot - repeat`` .. ``slot - 1``), then this frame at ``slot``."""

    repeat: int
    slot: int


class FrameRateConverter:
    """Maps input timestamps to output slots, dropping and repeating frames as needed.

    A frame goes to the slot nearest to its time; a tie, within one tick of the input time base
    (timestamps are rounded to it, e.g. FLV's milliseconds), goes to the earlier slot, so a
    frame is never shown later than its time when it could as well be shown earlier, and
    every variant ends at the same time. A frame whose slot was already filled is dropped.
    Gaps of up to ``max_repeat`` slots are filled with the previous frame; longer gaps (input
    stalls) are jumped over. A jump backwards of more than
    ``max_repeat`` slots (a timestamp reset) re-anchors the grid so output time keeps going.
    """

    def __init__(self, fps: int, time_base: Fraction, *, max_repeat: int | None = None) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        self._fps = fps
        self._num = time_base.numerator * fps
        self._den = time_base.denominator
        self._max_repeat = fps if max_repeat is None else max_repeat
        self._time_base = time_base
        self._origin_pts: int | None = None
        self._anchor_pts = 0
        self._anchor_slot = 0
        self._next = 0

    @property
    def fps(self) -> int:
        return self._fps

    def push(self, pts: int) -> SlotPlan | None:
        """Place a frame with timestamp ``pts`` (in the input time base); ``None``: drop it."""
        if self._origin_pts is None:
            self._origin_pts = self._anchor_pts = pts
        # slot = ceil(x - 1/2 - one tick), x = (pts - anchor) * time_base * fps, in integers.
        numerator = 2 * self._num * (pts - self._anchor_pts - 1) - self._den
        slot = self._anchor_slot - (-numerator // (2 * self._den))
        if slot < self._next:
            if slot >= self._next - self._max_repeat:
                return None
            # Timestamps went back (publisher reset): carry on from the next slot.
            self._anchor_pts, self._anchor_slot = pts, self._next
            slot = self._next
        gap = slot - self._next
        repeat = gap if gap <= self._max_repeat else 0
        self._next = slot + 1
        return SlotPlan(repeat=repeat, slot=slot)

    def slot_time(self, slot: int) -> Fraction:
        """Output time of ``slot`` in seconds (on the input's clock)."""
        origin = self._origin_pts if self._origin_pts is not None else 0
        return origin * self._time_base + Fraction(slot, self._fps)
