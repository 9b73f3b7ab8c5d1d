"""ViewerService: identity, 15 s expiry, peaks."""

from __future__ import annotations

from owncast_core.services.viewers import ViewerService, client_id
from owncast_core.testing.fakes import FakeClock


def test_viewers_expire_after_15_seconds_and_peaks_track() -> None:
    clock = FakeClock()
    viewers = ViewerService(clock=clock)
    viewers.seen("1.1.1.1", "ua")
    assert viewers.count() == 0  # not counted while offline
    viewers.stream_started()
    viewers.seen("1.1.1.1", "ua")
    viewers.seen("1.1.1.1", "ua")
    viewers.seen("2.2.2.2", "ua")
    viewers.seen("1.1.1.1", "other browser")
    assert viewers.count() == 3 and viewers.session_peak == 3 and viewers.overall_peak == 3
    clock.advance(10)
    viewers.seen("1.1.1.1", "ua")
    clock.advance(6)
    assert viewers.count() == 1
    viewers.prune()
    assert [v.client_id for v in viewers.active()] == [client_id("1.1.1.1", "ua")]
    viewers.stream_stopped()
    viewers.stream_started()
    assert viewers.session_peak == 0 and viewers.overall_peak == 3
