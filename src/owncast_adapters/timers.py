"""``Scheduler`` on the asyncio event loop."""

from __future__ import annotations

import asyncio
import logging

from owncast_core.ports.timers import TimerCallback


class _Timer:
    __slots__ = ("_handle", "_scheduler", "cancelled")

    def __init__(self, scheduler: AsyncioScheduler) -> None:
        self._scheduler = scheduler
        self._handle: asyncio.TimerHandle | None = None
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        if self._handle is not None:
            self._handle.cancel()
        self._scheduler._timers.discard(self)


class AsyncioScheduler:
    """Implements ``owncast_core.ports.timers.Scheduler`` with ``loop.call_later`` + tasks."""

    def __init__(self, *, logger: logging.Logger | None = None) -> None:
        self._timers: set[_Timer] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._log = logger or logging.getLogger("owncast.timers")

    def call_later(self, delay: float, callback: TimerCallback) -> _Timer:
        timer = _Timer(self)
        loop = asyncio.get_running_loop()
        timer._handle = loop.call_later(max(0.0, delay), self._fire, timer, callback)
        self._timers.add(timer)
        return timer

    def _fire(self, timer: _Timer, callback: TimerCallback) -> None:
        self._timers.discard(timer)
        if timer.cancelled:
            return
        task = asyncio.ensure_future(self._run(callback))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, callback: TimerCallback) -> None:
        try:
            await callback()
        except asyncio.CancelledError:
            raise
        except Exception:
            self._log.exception("scheduled callback failed")

    async def close(self) -> None:
        for timer in list(self._timers):
            timer.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
