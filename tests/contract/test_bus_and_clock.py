"""Bindings of the EventBus, Clock and IdGenerator contracts: the in-process adapters and fakes."""

from __future__ import annotations

import pytest

from owncast_adapters.bus.inprocess import InProcessEventBus
from owncast_adapters.system import RandomIds, SystemClock
from owncast_core.testing.contracts.bus import ClockContract, EventBusContract, IdGeneratorContract
from owncast_core.testing.fakes import FakeClock, InMemoryEventBus, SequentialIds


class TestInProcessEventBus(EventBusContract):
    @pytest.fixture
    def bus(self) -> InProcessEventBus:
        return InProcessEventBus()


class TestInMemoryEventBus(EventBusContract):
    @pytest.fixture
    def bus(self) -> InMemoryEventBus:
        return InMemoryEventBus()


class TestSystemClock(ClockContract):
    @pytest.fixture
    def clock(self) -> SystemClock:
        return SystemClock()


class TestFakeClock(ClockContract):
    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()


class TestRandomIds(IdGeneratorContract):
    @pytest.fixture
    def ids(self) -> RandomIds:
        return RandomIds()


class TestSequentialIds(IdGeneratorContract):
    @pytest.fixture
    def ids(self) -> SequentialIds:
        return SequentialIds()
