"""UploadQueue: order, retries, give-up, abandon, discard, close (no network)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from owncast_adapters.storage.upload_queue import Outcome, UploadQueue
from owncast_core.errors import StorageError


class Recorder:
    def __init__(self, failures: dict[str, int] | None = None, crash: str = "") -> None:
        self.failures = dict(failures or {})
        self.crash = crash
        self.tries: list[str] = []
        self.outcomes: dict[str, Outcome] = {}
        self.gate = asyncio.Event()
        self.gate.set()

    async def attempt(self, job: str) -> None:
        self.tries.append(job)
        await self.gate.wait()
        if job == self.crash:
            raise FileNotFoundError(job)
        if self.failures.get(job, 0):
            self.failures[job] -= 1
            raise StorageError(f"boom {job}")

    def finished(self, job: str, outcome: Outcome, error: BaseException | None) -> None:
        assert job not in self.outcomes, f"{job} finished twice"
        self.outcomes[job] = outcome


def make(rec: Recorder, **kw: object) -> UploadQueue[str]:
    options: dict[str, object] = {
        "workers": 1, "max_attempts": 5, "backoff": 0.001, "target": "bucket 'b' at e",
    }
    options.update(kw)
    return UploadQueue(attempt=rec.attempt, finished=rec.finished, describe=str,
                       logger=logging.getLogger("test.upload_queue"), **options)  # type: ignore[arg-type]


async def test_jobs_run_in_order_and_failures_are_retried_up_to_the_limit() -> None:
    rec = Recorder(failures={"b": 2, "c": 99})
    queue = make(rec)
    queue.start()
    for job in "abcd":
        queue.submit(job)
    assert await queue.join(5)
    assert rec.tries == ["a", "b", "b", "b", "c", "c", "c", "c", "c", "d"]
    assert rec.outcomes == {"a": Outcome.DONE, "b": Outcome.DONE, "c": Outcome.FAILED, "d": Outcome.DONE}
    await queue.close()


async def test_other_errors_fail_at_once() -> None:
    rec = Recorder(crash="x")
    queue = make(rec)
    queue.start()
    queue.submit("x")
    assert await queue.join(5)
    assert rec.tries == ["x"] and rec.outcomes["x"] is Outcome.FAILED
    await queue.close()


async def test_unwanted_jobs_are_abandoned_between_tries() -> None:
    rec = Recorder(failures={"old": 99})
    wanted = {"old": True}
    queue = make(rec, wanted=lambda job: wanted.get(job, True), backoff=0.05)
    queue.start()
    queue.submit("old")
    await asyncio.sleep(0.01)
    wanted["old"] = False
    assert await queue.join(5)
    assert rec.outcomes["old"] is Outcome.ABANDONED and len(rec.tries) < 5
    await queue.close()


async def test_waiting_jobs_can_be_discarded_and_close_settles_everything() -> None:
    rec = Recorder()
    rec.gate.clear()  # the first job hangs
    queue = make(rec)
    queue.start()
    for job in ("hung", "w1", "w2"):
        queue.submit(job)
    await asyncio.sleep(0.01)
    assert queue.discard("w1") and not queue.discard("hung")
    assert queue.waiting() == ["w2"] and queue.busy == 2
    assert not await queue.join(0.05)
    await queue.close()
    assert rec.outcomes == {"w1": Outcome.DISCARDED, "hung": Outcome.DISCARDED, "w2": Outcome.DISCARDED}
    with pytest.raises(StorageError):
        queue.submit("late")


async def test_outage_and_recovery_are_logged_once_each(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder(failures={"a": 1, "b": 1})
    queue = make(rec)
    queue.start()
    with caplog.at_level(logging.INFO, logger="test.upload_queue"):
        for job in "ab":
            queue.submit(job)
        assert await queue.join(5)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("are failing" in m for m in messages) == 2  # one per outage, two outages here
    assert sum("work again" in m for m in messages) == 2
    assert all("bucket 'b' at e" in m for m in messages)
    await queue.close()
