"""Timestamps as Owncast's JSON shows them (Go's ``time.Time`` marshalling)."""

from __future__ import annotations

from datetime import UTC, datetime


def go_time(value: datetime | None) -> str | None:
    """RFC 3339 in UTC as Go marshals ``time.Time`` (``RFC3339Nano``: the fraction loses its
    trailing zeros and disappears when zero), e.g. ``2026-01-01T12:00:00.5Z``; ``None`` -> null."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    fraction = f"{utc.microsecond:06d}".rstrip("0")
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"
