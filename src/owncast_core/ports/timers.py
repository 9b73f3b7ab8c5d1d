"""The timer port: delayed work (chat's part grace, welcome message, kick delay)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

TimerCallback = Callable[[], Awaitable[None]]


class TimerHandle(Protocol):
    """A scheduled call; ``cancel`` prevents it if it has not started (idempotent)."""

    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """Runs ``callback`` once, ``delay`` seconds from now, as its own task.

    A callback that raises is logged and forgotten. ``close`` cancels everything pending (and
    running callbacks) and waits for them to finish.
    """

    def call_later(self, delay: float, callback: TimerCallback) -> TimerHandle: ...

    async def close(self) -> None: ...
