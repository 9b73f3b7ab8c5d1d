"""System time and randomness (``Clock``, ``IdGenerator``, ``SecretGenerator``)."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime


class SystemClock:
    """``Clock`` backed by the OS clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class RandomIds:
    """``IdGenerator`` and ``SecretGenerator`` from the ``secrets`` module."""

    def new_id(self) -> str:
        return secrets.token_urlsafe(6)

    def token(self, nbytes: int = 32) -> str:
        return secrets.token_urlsafe(nbytes)
