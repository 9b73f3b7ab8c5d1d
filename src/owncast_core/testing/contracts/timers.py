"""Contract suites for the ``Scheduler`` and ``ContentFilter`` ports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import pytest

from owncast_core.ports.render import ContentFilter
from owncast_core.ports.timers import Scheduler


@dataclass
class SchedulerEnv:
    """The scheduler under test and ``advance(seconds)``: let that much (real or fake) time pass
    and every callback that fell due run."""

    scheduler: Scheduler
    advance: Callable[[float], Awaitable[None]]


class SchedulerContract:
    @pytest.fixture
    async def env(self) -> SchedulerEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_callbacks_run_once_after_their_delay_in_due_order(self, env: SchedulerEnv) -> None:
        ran: list[str] = []

        def record(name: str) -> Callable[[], Awaitable[None]]:
            async def callback() -> None:
                ran.append(name)

            return callback

        env.scheduler.call_later(0.2, record("late"))
        env.scheduler.call_later(0.05, record("early"))
        await env.advance(0.1)
        assert ran == ["early"]
        await env.advance(0.2)
        assert ran == ["early", "late"]
        await env.advance(0.3)
        assert ran == ["early", "late"]

    async def test_cancel_and_close_prevent_callbacks(self, env: SchedulerEnv) -> None:
        ran: list[int] = []

        async def callback() -> None:
            ran.append(1)

        handle = env.scheduler.call_later(0.05, callback)
        handle.cancel()
        handle.cancel()
        env.scheduler.call_later(0.05, callback)
        await env.scheduler.close()
        await env.advance(0.15)
        assert ran == []

    async def test_a_failing_callback_does_not_stop_the_others(self, env: SchedulerEnv) -> None:
        ran: list[int] = []

        async def broken() -> None:
            raise RuntimeError("callback bug")

        async def fine() -> None:
            ran.append(1)

        env.scheduler.call_later(0.02, broken)
        env.scheduler.call_later(0.04, fine)
        await env.advance(0.1)
        assert ran == [1]


class ContentFilterContract:
    """Bindings provide ``make_filter(words)``: a filter refusing those words and phrases."""

    @pytest.fixture
    def make_filter(self) -> Callable[[Iterable[str]], ContentFilter]:  # pragma: no cover - bindings override
        raise NotImplementedError

    def test_listed_words_are_refused_whole_and_case_insensitively(
        self, make_filter: Callable[[Iterable[str]], ContentFilter]
    ) -> None:
        words = make_filter(["darn", "heck"])
        assert words.allowed("what a lovely stream")
        assert not words.allowed("well DARN it")
        assert not words.allowed("heck!")
        assert words.allowed("darning socks in Heckmondwike")  # no match inside other words
        assert words.allowed("")
