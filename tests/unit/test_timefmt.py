"""Go-style time formatting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from owncast_core.domain.timefmt import go_time


def test_go_time_matches_rfc3339nano() -> None:
    assert go_time(None) is None
    assert go_time(datetime(1970, 1, 1, 0, 1, 12, tzinfo=UTC)) == "1970-01-01T00:01:12Z"
    assert go_time(datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)) == "2026-01-02T03:04:05.5Z"
    assert go_time(datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)) == "2026-01-02T03:04:05.123456Z"
    plus2 = timezone(timedelta(hours=2))
    assert go_time(datetime(2026, 1, 2, 5, 4, 5, 10, tzinfo=plus2)) == "2026-01-02T03:04:05.00001Z"
