"""A background upload queue: FIFO jobs, a few concurrent workers, retries with backoff.

Used by ``S3VideoStorage`` so that the transcoder's callbacks only enqueue work and return: a
slow or unreachable object store never blocks the video path.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from owncast_core.errors import StorageError

J = TypeVar("J")


class Outcome(enum.Enum):
    """How a job ended."""

    DONE = "done"
    FAILED = "failed"  # gave up after the last attempt, or a non-retryable error
    ABANDONED = "abandoned"  # ``wanted`` said no before an attempt (superseded)
    DISCARDED = "discarded"  # removed while waiting (``discard``), never attempted


class UploadQueue(Generic[J]):
    """Runs ``attempt(job)`` for each submitted job on ``workers`` background tasks.

    - Jobs start in submission order. ``attempt`` raising ``StorageError`` is retried after
      ``backoff * 2**n`` seconds (capped at ``backoff_cap``) up to ``max_attempts`` tries in all;
      any other exception fails the job at once. Before each try ``wanted(job)`` is asked; when it
      says no the job ends ``ABANDONED``.
    - ``finished(job, outcome, error)`` is called exactly once per job (also for ``discard`` and
      for jobs cut short by ``close``), on the event loop; it may submit more jobs.
    - Failures are logged once per outage as a warning naming ``target`` (and each give-up as an
      error); the first success after failures logs that uploads resumed.
    - ``join`` waits (bounded) until nothing is waiting or running; ``close`` stops the workers.
    """

    def __init__(
        self,
        *,
        attempt: Callable[[J], Awaitable[None]],
        finished: Callable[[J, Outcome, BaseException | None], None],
        describe: Callable[[J], str],
        target: str,
        workers: int = 4,
        max_attempts: int = 5,
        backoff: float = 0.5,
        backoff_cap: float = 8.0,
        wanted: Callable[[J], bool] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if workers < 1 or max_attempts < 1:
            raise ValueError("workers and max_attempts must be at least 1")
        self._attempt = attempt
        self._finished = finished
        self._describe = describe
        self._target = target
        self._workers = workers
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        self._wanted = wanted or (lambda job: True)
        self._log = logger or logging.getLogger("owncast.storage.upload")
        self._waiting: deque[J] = deque()
        self._running = 0
        self._has_work = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.failing = False
        self.attempts = 0
        self.failures = 0

    # submitting ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers (idempotent; needs a running event loop)."""
        if self._tasks or self._closed:
            return
        self._tasks = [asyncio.create_task(self._work(), name=f"upload-{n}") for n in range(self._workers)]

    def submit(self, job: J) -> None:
        if self._closed:
            raise StorageError(f"the upload queue to {self._target} is closed")
        self._waiting.append(job)
        self._has_work.set()
        self._idle.clear()

    def waiting(self) -> list[J]:
        """Jobs not started yet, oldest first."""
        return list(self._waiting)

    def discard(self, job: J) -> bool:
        """Remove ``job`` if it has not started; ``finished(job, DISCARDED)`` is then called."""
        try:
            self._waiting.remove(job)
        except ValueError:
            return False
        self._finished(job, Outcome.DISCARDED, None)
        self._check_idle()
        return True

    @property
    def busy(self) -> int:
        """Jobs waiting or running."""
        return len(self._waiting) + self._running

    async def join(self, within: float) -> bool:
        """Wait until no job is waiting or running; ``False`` if ``within`` seconds passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        """Stop the workers now; jobs still waiting are discarded (idempotent)."""
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._running = 0
        while self._waiting:
            self._finished(self._waiting.popleft(), Outcome.DISCARDED, None)
        self._idle.set()

    # working ---------------------------------------------------------------------------------
    def _check_idle(self) -> None:
        if self.busy == 0:
            self._idle.set()

    async def _work(self) -> None:
        while True:
            while not self._waiting:
                self._has_work.clear()
                await self._has_work.wait()
            job = self._waiting.popleft()
            self._running += 1
            try:
                try:
                    outcome, error = await self._run(job)
                except asyncio.CancelledError:
                    self._finished(job, Outcome.DISCARDED, None)
                    raise
                self._finished(job, outcome, error)
            except Exception:  # a bug in a callback must not kill the worker
                self._log.exception("upload bookkeeping failed for %s", self._describe(job))
            finally:
                self._running -= 1
                self._check_idle()

    async def _run(self, job: J) -> tuple[Outcome, BaseException | None]:
        error: BaseException | None = None
        for n in range(self._max_attempts):
            if n:
                await asyncio.sleep(min(self._backoff * 2 ** (n - 1), self._backoff_cap))
            if not self._wanted(job):
                return Outcome.ABANDONED, None
            self.attempts += 1
            try:
                await self._attempt(job)
            except StorageError as exc:
                error = exc
                self.failures += 1
                self._note_failure(job, exc, n + 1)
                continue
            except Exception as exc:
                self._log.warning("cannot upload %s to %s: %s", self._describe(job), self._target, exc)
                return Outcome.FAILED, exc
            if self.failing:
                self.failing = False
                self._log.warning("uploads to %s work again; resuming", self._target)
            return Outcome.DONE, None
        self._log.error(
            "giving up uploading %s to %s after %d attempts: %s",
            self._describe(job), self._target, self._max_attempts, error,
        )
        return Outcome.FAILED, error

    def _note_failure(self, job: J, exc: StorageError, attempt: int) -> None:
        if not self.failing:
            self.failing = True
            self._log.warning(
                "uploads to %s are failing (%s); retrying each file up to %d times, the stream goes on",
                self._target, exc, self._max_attempts,
            )
        else:
            self._log.debug("attempt %d of %s to %s failed: %s",
                            attempt, self._describe(job), self._target, exc)
