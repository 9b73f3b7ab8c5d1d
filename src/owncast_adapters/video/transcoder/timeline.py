"""Timestamps that only go forward, from a publisher's that may jump (pure).

An RTMP publisher's clock can jump: an encoder restarts its timestamps, a relay reconnects
upstream, hardware encoders wrap. An HLS muxer refuses a packet whose decoding time is not
after the previous one's, which would end the broadcast. The ffmpeg CLI that Owncast runs
survives this in two steps, which are kept here:

- on input (``InputTimeline``), a stream whose timestamps step back by more than 0.1 s or
  forward by more than 10 s has jumped: from that packet on an offset makes it carry on one
  frame after its previous packet (FFmpeg's ``dts_delta_threshold`` for formats, like FLV,
  whose timestamps may be discontinuous). When the other stream then jumps by the same step
  (the publisher's clock jumped for both), it takes the same offset, so sound stays in sync
  with the picture;
- before muxing (``IncreasingDts``), a decoding time that is still not after the previous one
  is moved to just after it (FFmpeg's "Non-monotonic DTS ... changing to").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

BACK_TOLERANCE = Fraction(1, 10)  # seconds a stream may step back and still be the same clock
FORWARD_LIMIT = Fraction(10)  # seconds a stream may step forward and still be the same clock
SAME_JUMP = Fraction(1, 4)  # seconds two streams' jumps may differ and still be the same jump
DEFAULT_STEP = Fraction(1, 50)  # seconds after the previous packet a jumped stream goes on, unknown step
MAX_STEP = Fraction(1)  # longer steps between packets are not taken as a stream's packet interval


@dataclass(frozen=True, slots=True)
class Jump:
    """A stream's clock jumped: it stepped by ``step`` seconds from one packet to the next, and
    ``shift`` seconds are added to its timestamps from then on (on top of earlier shifts).
    ``followed``: the shift was taken from the other stream's jump of the same step."""

    stream: str
    step: Fraction
    shift: Fraction
    followed: bool


@dataclass(frozen=True, slots=True)
class Retimed:
    """A packet's new timestamps (in its time base); ``jump`` when its stream jumped at this
    packet; ``nudged`` when its decoding time was moved forward to stay after the previous."""

    pts: int | None
    dts: int | None
    jump: Jump | None = None
    nudged: bool = False


class _StreamClock:
    __slots__ = ("back_limit", "forward_limit", "last_out", "last_raw", "max_step", "offset", "step", "time_base")

    def __init__(self, time_base: Fraction) -> None:
        self.time_base = time_base
        # The thresholds in ticks (one packet each: no fractions per packet).
        self.back_limit = -math.floor(BACK_TOLERANCE / time_base)
        self.forward_limit = math.floor(FORWARD_LIMIT / time_base)
        self.max_step = math.floor(MAX_STEP / time_base)
        self.last_raw: int | None = None  # the publisher's timestamp of the previous packet
        self.last_out: int | None = None  # the decoding time given to the previous packet
        self.step = 0  # the usual interval between packets (ticks), once seen
        self.offset = 0  # ticks added to the publisher's timestamps


class InputTimeline:
    """Retimes the demuxed packets of every input stream (see module); one per session.

    ``retime`` takes the packets of each stream in their order (streams may interleave in any
    way) and returns their new timestamps: per stream, decoding times strictly increase.
    Timestamps are integers in the packet's ``time_base``, which must stay the same per stream.
    """

    def __init__(self) -> None:
        self._clocks: dict[str, _StreamClock] = {}
        self._last_jump: Jump | None = None
        self._followers: set[str] = set()  # streams that took the last jump's shift (or made it)

    def retime(
        self, stream: str, pts: int | None, dts: int | None, time_base: Fraction, duration: int = 0
    ) -> Retimed:
        """The timestamps ``stream``'s next packet goes on with (``duration``: its length in
        ticks, when known: the interval a jumped stream carries on after)."""
        clock = self._clocks.get(stream)
        if clock is None:
            clock = self._clocks[stream] = _StreamClock(time_base)
        raw = dts if dts is not None else pts
        if raw is None:
            return Retimed(pts, dts)
        jump = None
        if clock.last_raw is not None:
            step = raw - clock.last_raw
            if step < clock.back_limit or step > clock.forward_limit:
                jump = self._jumped(stream, clock, raw, step * time_base)
            elif 0 < step <= clock.max_step:
                clock.step = step
        if duration > 0:
            clock.step = duration
        clock.last_raw = raw
        out_pts = None if pts is None else pts + clock.offset
        out_dts = None if dts is None else dts + clock.offset
        nudged = False
        if out_dts is not None and clock.last_out is not None and out_dts <= clock.last_out:
            at_least = clock.last_out + 1
            if out_pts is not None and out_pts >= out_dts:
                out_pts = max(out_pts, at_least)
            out_dts = at_least
            nudged = True
        if out_dts is not None:
            clock.last_out = out_dts
        return Retimed(out_pts, out_dts, jump, nudged)

    def _jumped(self, stream: str, clock: _StreamClock, raw: int, step: Fraction) -> Jump:
        """Shift ``stream`` so that its packet at ``raw`` goes on where it was (see module)."""
        tb = clock.time_base
        last = self._last_jump
        if last is not None and stream not in self._followers and abs(step - last.step) <= SAME_JUMP:
            shift = round(last.shift / tb)
            assert clock.last_out is not None
            if (raw + clock.offset + shift - clock.last_out) * tb >= -BACK_TOLERANCE:
                clock.offset += shift
                self._followers.add(stream)
                return Jump(stream, step, shift * tb, followed=True)
        assert clock.last_raw is not None
        interval = clock.step or max(1, round(DEFAULT_STEP / tb))
        shift = clock.last_raw + interval - raw
        clock.offset += shift
        jump = Jump(stream, step, shift * tb, followed=False)
        self._last_jump = jump
        self._followers = {stream}
        return jump


class IncreasingDts:
    """Keeps one output stream's decoding times strictly increasing, as the ffmpeg CLI does
    before muxing: a packet whose ``dts`` is not after the previous one's gets the previous
    one plus one tick (and its ``pts`` no less). A packet without a ``dts`` (a broken one; the
    muxer would refuse it once others had one) gets its ``pts`` when that is after the previous
    ``dts``, else the previous one plus one tick. Timestamps in one time base per stream."""

    __slots__ = ("_last", "fixed")

    def __init__(self) -> None:
        self._last: int | None = None
        self.fixed = 0  # packets changed so far

    def fix(self, pts: int | None, dts: int | None) -> tuple[int | None, int] | None:
        """``None`` when the packet may go as it is, else its new ``(pts, dts)``."""
        last = self._last
        if dts is None:
            if last is None:
                return None  # nothing to keep after yet: the muxer fills it in
            dts = pts if pts is not None and pts > last else last + 1
            pts = dts if pts is None else max(pts, dts)
            self._last = dts
            self.fixed += 1
            return pts, dts
        if last is None or dts > last:
            self._last = dts
            return None
        at_least = last + 1
        if pts is not None and pts >= dts:
            pts = max(pts, at_least)
        self._last = at_least
        self.fixed += 1
        return pts, at_least
