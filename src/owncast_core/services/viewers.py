"""ViewerService: who is watching right now, and the peaks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from owncast_core.domain.events import StreamStarted, StreamStopped
from owncast_core.ports.clock import Clock

VIEWER_TIMEOUT_SECONDS = 15.0
SESSION_PEAK_MAX_AGE_SECONDS = 300.0


@dataclass(slots=True)
class Viewer:
    """An active viewer (Owncast ``models.Viewer``); ``last_seen`` is monotonic seconds."""

    client_id: str
    ip_address: str
    user_agent: str
    first_seen: datetime
    last_seen: float


def client_id(ip_address: str, user_agent: str) -> str:
    """Owncast's viewer identity: a hash of the client IP and User-Agent."""
    return hashlib.sha256(f"{ip_address}{user_agent}".encode()).hexdigest()[:32]


class ViewerService:
    """Counts viewers kept alive by ``/api/ping`` and playlist fetches.

    ``seen`` marks a viewer active (only while the stream is connected, as Owncast); viewers unseen
    for ``VIEWER_TIMEOUT_SECONDS`` are dropped by ``prune`` (and ignored by ``count`` meanwhile).
    ``session_peak`` resets on ``stream_started``; ``overall_peak`` only grows.
    """

    def __init__(self, *, clock: Clock, timeout: float = VIEWER_TIMEOUT_SECONDS) -> None:
        self._clock = clock
        self._timeout = timeout
        self._viewers: dict[str, Viewer] = {}
        self.session_peak = 0
        self.overall_peak = 0
        self.live = False

    def seen(self, ip_address: str, user_agent: str) -> None:
        if not self.live:
            return
        cid = client_id(ip_address, user_agent)
        now = self._clock.monotonic()
        viewer = self._viewers.get(cid)
        if viewer is None:
            self._viewers[cid] = Viewer(cid, ip_address, user_agent, self._clock.now(), now)
            current = self.count()
            self.session_peak = max(self.session_peak, current)
            self.overall_peak = max(self.overall_peak, current)
        else:
            viewer.last_seen = now

    def count(self) -> int:
        cutoff = self._clock.monotonic() - self._timeout
        return sum(1 for v in self._viewers.values() if v.last_seen >= cutoff)

    def active(self) -> list[Viewer]:
        self.prune()
        return list(self._viewers.values())

    def prune(self) -> None:
        cutoff = self._clock.monotonic() - self._timeout
        for cid in [cid for cid, v in self._viewers.items() if v.last_seen < cutoff]:
            del self._viewers[cid]

    def restore_peaks(self, *, overall: int, session: int, saved_at: datetime | None) -> None:
        """Restore persisted peaks at start-up (Owncast ``getSavedStats``): the session peak is
        kept only when it was saved less than ``SESSION_PEAK_MAX_AGE_SECONDS`` ago."""
        self.overall_peak = max(self.overall_peak, int(overall))
        fresh = saved_at is not None and (self._clock.now() - saved_at).total_seconds() <= SESSION_PEAK_MAX_AGE_SECONDS
        self.session_peak = max(self.session_peak, int(session)) if fresh else self.session_peak

    def stream_started(self) -> None:
        self.live = True
        self.session_peak = 0

    def stream_stopped(self) -> None:
        self.live = False
        self._viewers.clear()

    async def on_event(self, event: object) -> None:
        """``EventBus`` subscriber: follows stream start/stop."""
        if isinstance(event, StreamStarted):
            self.stream_started()
        elif isinstance(event, StreamStopped):
            self.stream_stopped()
