"""Constant frame rate output from timestamped input frames (pure).

Output slot ``n`` of a variant at ``fps`` lies at ``origin + n / fps`` seconds, where the origin
is the first input frame's time. Every variant of a session sees the same first frame, so their
slot grids (and the keyframes placed on them) line up exactly.
"""

from __future__ import annotations

import math
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
    """Tells, before a packet is decoded, that its frame need not be: on every rate's grid,
    the frame of another packet decoded in full lands in the same output slot.

    The decode thread asks ``droppable`` for each video packet in decode order and decodes the
    packet in full when the answer is no (that packet then covers its slots); when yes, the
    decoder may skip the frame if nothing refers to it (a non-reference frame). Each converter
    shows the first decoded frame of a slot in display order, so a skipped frame only ever
    hands its slot to another frame of the same slot, which is at most half a slot away from
    the slot's time as well: no slot is left empty and no frame is shown further from its
    time than the converter allows. Which of two frames of a slot is shown may differ from a
    decode of every frame: at 30 -> 24 fps the two are equally far from the slot (a tie), and
    preferring the one decoded first lets the decoder skip every dropped frame that is not a
    reference, whether it comes before or after its partner.

    The converters of a session share one grid origin, the first decoded frame's time
    (``origin``). Nothing is droppable before it is known, without rates, or after timestamps
    went back by more than half a second (a publisher reset re-anchors the converters;
    predicting is then given up for the session, which costs only the saving).
    """

    RECENT = 32  # packets decoded in full that are remembered: far more than any reordering depth

    def __init__(self, rates: Iterable[int], time_base: Fraction) -> None:
        self._grids = [(time_base.numerator * fps, time_base.denominator) for fps in sorted(set(rates))]
        self._max_back = max(1, int(Fraction(1, 2) / time_base))
        # Two timestamps further apart than the longest slot never share one.
        self._reach = max((math.ceil(d / n) for n, d in self._grids), default=0)
        self._origin: int | None = None
        self._highest: int | None = None
        self._full: deque[int] = deque(maxlen=self.RECENT)
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
        """Whether the frame of the packet with ``pts`` need not be decoded (see class). After
        a ``False`` the caller must decode the packet in full: it now covers its slots."""
        if not self._enabled or pts is None:
            return False
        if self._highest is not None and pts < self._highest - self._max_back:
            self._enabled = False
            return False
        self._highest = pts if self._highest is None else max(self._highest, pts)
        origin = self._origin
        if origin is not None and pts >= origin and self._covered(pts, origin):
            return True
        self._full.append(pts)
        return False

    def _covered(self, pts: int, origin: int) -> bool:
        """Whether, on every rate's grid, a packet decoded in full shares ``pts``'s slot."""
        near = [other for other in self._full if other >= origin and abs(other - pts) <= self._reach]
        if not near:
            return False
        for n, d in self._grids:
            slot = nearest_slot(pts, origin, 0, n, d)
            if not any(nearest_slot(other, origin, 0, n, d) == slot for other in near):
                return False
        return True
