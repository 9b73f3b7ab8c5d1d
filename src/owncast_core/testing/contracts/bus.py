"""Contract suites for the ``EventBus``, ``Clock``, ``IdGenerator`` and ``SecretGenerator`` ports
(the seams chat relies on: a broker-backed bus for several web nodes must pass the first)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from owncast_core.ports.bus import EventBus
from owncast_core.ports.clock import Clock, IdGenerator, SecretGenerator


class EventBusContract:
    """Bindings provide ``bus``: a fresh bus with no subscribers."""

    @pytest.fixture
    def bus(self) -> EventBus:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_every_subscriber_gets_each_event_in_subscription_order(self, bus: EventBus) -> None:
        seen: list[tuple[str, object]] = []

        async def first(event: object) -> None:
            seen.append(("first", event))

        async def second(event: object) -> None:
            await asyncio.sleep(0)
            seen.append(("second", event))

        bus.subscribe(first)
        bus.subscribe(second)
        await bus.publish("a")
        await bus.publish("b")
        assert seen == [("first", "a"), ("second", "a"), ("first", "b"), ("second", "b")]

    async def test_a_failing_subscriber_neither_stops_others_nor_reaches_the_publisher(
        self, bus: EventBus
    ) -> None:
        seen: list[object] = []

        async def broken(event: object) -> None:
            raise RuntimeError("subscriber bug")

        async def fine(event: object) -> None:
            seen.append(event)

        bus.subscribe(broken)
        bus.subscribe(fine)
        await bus.publish("event")
        assert seen == ["event"]

    async def test_unsubscribe(self, bus: EventBus) -> None:
        seen: list[object] = []

        async def handler(event: object) -> None:
            seen.append(event)

        unsubscribe = bus.subscribe(handler)
        await bus.publish(1)
        unsubscribe()
        unsubscribe()
        await bus.publish(2)
        assert seen == [1]

    async def test_a_subscriber_may_publish_and_subscribe_while_handling(self, bus: EventBus) -> None:
        seen: list[object] = []

        async def late(event: object) -> None:
            seen.append(("late", event))

        async def chain(event: object) -> None:
            seen.append(event)
            if event == "start":
                bus.subscribe(late)
                await bus.publish("follow-up")

        bus.subscribe(chain)
        await bus.publish("start")
        assert seen[:2] == ["start", "follow-up"]


class ClockContract:
    """Bindings provide ``clock``."""

    @pytest.fixture
    def clock(self) -> Clock:  # pragma: no cover - bindings override
        raise NotImplementedError

    def test_now_is_aware_utc_and_monotonic_never_goes_back(self, clock: Clock) -> None:
        now = clock.now()
        assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
        readings = [clock.monotonic() for _ in range(100)]
        assert readings == sorted(readings)


class IdGeneratorContract:
    """Bindings provide ``ids``: an ``IdGenerator`` that is also a ``SecretGenerator``."""

    @pytest.fixture
    def ids(self) -> IdGenerator:  # pragma: no cover - bindings override
        raise NotImplementedError

    def test_ids_are_unique_and_url_safe(self, ids: IdGenerator) -> None:
        made = [ids.new_id() for _ in range(2000)]
        assert len(set(made)) == len(made)
        assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in made)

    def test_tokens_are_unique_url_safe_and_long_enough(self, ids: SecretGenerator) -> None:
        tokens = [ids.token(32) for _ in range(200)]
        assert len(set(tokens)) == len(tokens)
        assert all(re.fullmatch(r"[A-Za-z0-9_-]+", t) and len(t) >= 32 for t in tokens)
