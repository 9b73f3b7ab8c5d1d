"""Time and identity ports: inject them, never patch globals in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Wall and monotonic time.

    ``now`` returns an aware UTC ``datetime``; ``monotonic`` seconds never go backwards and are
    only meaningful as differences.
    """

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class IdGenerator(Protocol):
    """Returns a new short, URL-safe, unique id on each call (Owncast's shortid)."""

    def new_id(self) -> str: ...


class SecretGenerator(Protocol):
    """Returns ``nbytes`` of cryptographically strong randomness as a URL-safe string."""

    def token(self, nbytes: int = 32) -> str: ...
