"""Constant frame rate output from timestamped input frames (pure).

Output slot ``n`` of a variant at ``fps`` lies at ``origin + n / fps`` seconds, where the origin
is the first input frame's time. Every variant of a session sees the same first frame, so their
slot grids (and the keyframes placed on them) line up exactly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction


def nearest_slot(pts: int, anchor_pts: int, anchor_slot: int, num: int, den: int) -> int:
    """The output slot nearest to ``pts`` on a grid with ``anchor_pts`` at ``anchor_slot``.

    ``num / den`` is the input time base times the output rate (slots per input tick). A tie,
    within one tick, goes to the earlier slot: ``ceil(x - 1/2 - one tick)`` with
    ``x = anchor_slot + (pts - anchor_pts) * num / den``, in integers."""
    numerator = 2 * num * (pts - anchor_pts - 1) - den
    return anchor_slot - (-numerator // (2 * den))


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
        slot = nearest_slot(pts, self._anchor_pts, self._anchor_slot, self._num, self._den)
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

    def slot_pts(self, slot: int, time_base: Fraction) -> int:
        """``slot_time(slot)`` in ``time_base`` units, rounded as ``round()`` rounds a
        ``Fraction`` (half to even), with integers only (it runs once per output frame)."""
        origin = self._origin_pts if self._origin_pts is not None else 0
        tb = self._time_base
        numerator = (origin * tb.numerator * self._fps + slot * tb.denominator) * time_base.denominator
        denominator = tb.denominator * self._fps * time_base.numerator
        quotient, remainder = divmod(numerator, denominator)
        if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
            quotient += 1
        return quotient

    def slot_time(self, slot: int) -> Fraction:
        """Output time of ``slot`` in seconds (on the input's clock)."""
        origin = self._origin_pts if self._origin_pts is not None else 0
        return origin * self._time_base + Fraction(slot, self._fps)


class DropPredictor:
    """Tells, before a packet is decoded, that every ``FrameRateConverter`` will drop its frame.

    The decode thread asks ``droppable`` for each video packet in decode order; a non-reference
    frame that is droppable need not be decoded at all (the decoder can skip it). The converters
    of a session share one grid origin, the first decoded frame's time (``origin``).

    A frame is dropped when an earlier frame lands in the same slot. ``droppable(pts)`` is true
    only when a packet already seen has a smaller timestamp in the same slot for every rate: the
    smallest such one was itself not droppable, so it is decoded and claims the slot first.
    Nothing is droppable before the origin is known, without rates, or after timestamps went
    back by more than half a second (a publisher reset re-anchors the converters; predicting
    is then given up for the session, which costs only the saving).
    """

    RECENT = 32  # packet timestamps remembered: far more than any decoder's reordering depth

    def __init__(self, rates: Iterable[int], time_base: Fraction) -> None:
        self._grids = [(time_base.numerator * fps, time_base.denominator) for fps in sorted(set(rates))]
        self._max_back = max(1, int(Fraction(1, 2) / time_base))
        self._origin: int | None = None
        self._highest: int | None = None
        self._recent: deque[int] = deque(maxlen=self.RECENT)
        self._enabled = bool(self._grids)

    @property
    def enabled(self) -> bool:
        """False once prediction was given up (or there was never a rate to predict for)."""
        return self._enabled

    def origin(self, pts: int) -> None:
        """The first decoded frame's timestamp: the converters' grid origin (later calls are ignored)."""
        if self._origin is None:
            self._origin = pts

    def droppable(self, pts: int | None) -> bool:
        """Whether every converter will drop the frame of the packet with ``pts`` (see class)."""
        if not self._enabled or pts is None:
            return False
        if self._highest is not None and pts < self._highest - self._max_back:
            self._enabled = False
            return False
        self._highest = pts if self._highest is None else max(self._highest, pts)
        before = max((seen for seen in self._recent if seen < pts), default=None)
        self._recent.append(pts)
        origin = self._origin
        if origin is None or before is None or before < origin:
            return False
        # Slots grow with time: the latest earlier frame is the only one that can share the slot.
        return all(nearest_slot(before, origin, 0, n, d) == nearest_slot(pts, origin, 0, n, d) for n, d in self._grids)
