"""Bindings of the Scheduler and ContentFilter contracts, and the word list filter's extras."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable

import pytest

from owncast_adapters.render.wordlist import WordListContentFilter
from owncast_adapters.timers import AsyncioScheduler
from owncast_core.ports.render import ContentFilter
from owncast_core.testing.contracts.timers import ContentFilterContract, SchedulerContract, SchedulerEnv
from owncast_core.testing.fakes import FakeClock, InMemoryContentFilter, ManualScheduler


class TestAsyncioScheduler(SchedulerContract):
    @pytest.fixture
    async def env(self) -> AsyncIterator[SchedulerEnv]:
        scheduler = AsyncioScheduler()

        async def advance(seconds: float) -> None:
            await asyncio.sleep(seconds)

        yield SchedulerEnv(scheduler, advance)
        await scheduler.close()


class TestManualScheduler(SchedulerContract):
    @pytest.fixture
    async def env(self) -> SchedulerEnv:
        scheduler = ManualScheduler(FakeClock())
        return SchedulerEnv(scheduler, scheduler.advance)


class TestWordListContentFilter(ContentFilterContract):
    @pytest.fixture
    def make_filter(self) -> Callable[[Iterable[str]], ContentFilter]:
        return WordListContentFilter


class TestInMemoryContentFilter(ContentFilterContract):
    @pytest.fixture
    def make_filter(self) -> Callable[[Iterable[str]], ContentFilter]:
        return lambda words: InMemoryContentFilter(set(words))


def test_the_default_word_list_loads_and_catches_substitutions_and_phrases() -> None:
    words = WordListContentFilter.default()
    assert words.allowed("hello everyone, great stream tonight")
    assert words.allowed("Scunthorpe United won")
    assert not words.allowed("you are a sh1t")
    assert not WordListContentFilter(["two girls"]).allowed("Two  GIRLS here")
