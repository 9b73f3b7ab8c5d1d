"""DirectoryService on fakes: pings while online every 4 minutes, the key round trip, the
enable/server URL rules, stop on disconnect, failures logged once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.events import StreamOnline, StreamStopped
from owncast_core.domain.notifications import DirectoryPing, DirectoryReply
from owncast_core.errors import DeliveryFailed
from owncast_core.services.config import ConfigService
from owncast_core.services.directory import DirectoryService
from owncast_core.testing.fakes import (
    FakeClock,
    InMemoryConfigRepository,
    ManualScheduler,
    PlainPasswordHasher,
    RecordingDirectoryClient,
)

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
YP = "https://directory.example"


@dataclass
class Rig:
    service: DirectoryService
    config: ConfigService
    client: RecordingDirectoryClient
    scheduler: ManualScheduler
    clock: FakeClock
    online: list[bool]

    async def go_online(self) -> None:
        self.online[0] = True
        await self.service.on_event(StreamOnline(self.clock.now()))

    async def go_offline(self) -> None:
        self.online[0] = False
        await self.service.on_event(StreamStopped(self.clock.now(), "publisher disconnected"))


@pytest.fixture
async def rig() -> Rig:
    clock = FakeClock(T0)
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    await config.set_many({Keys.DIRECTORY_ENABLED: True, Keys.SERVER_URL: "https://tv.example"})
    client, scheduler, online = RecordingDirectoryClient(), ManualScheduler(clock), [False]
    service = DirectoryService(config=config, client=client, scheduler=scheduler, is_online=lambda: online[0],
                               directory_url=YP + "/")
    return Rig(service, config, client, scheduler, clock, online)


async def test_pings_at_once_then_every_four_minutes_while_online(rig: Rig) -> None:
    await rig.go_online()
    await rig.scheduler.run_due()
    assert rig.client.pings == [(YP, DirectoryPing(key="", url="https://tv.example"))]
    await rig.scheduler.advance(239)
    assert len(rig.client.pings) == 1
    await rig.scheduler.advance(1)
    await rig.scheduler.advance(240)
    assert len(rig.client.pings) == 3
    await rig.go_offline()
    assert rig.scheduler.pending == 0 and not rig.service.armed
    await rig.scheduler.advance(1200)
    assert len(rig.client.pings) == 3


async def test_the_returned_key_is_saved_and_sent_next_time(rig: Rig) -> None:
    rig.client.replies = [DirectoryReply(success=True, key="issued"), DirectoryReply(success=True, key="issued")]
    await rig.go_online()
    await rig.scheduler.run_due()
    assert rig.config.string(Keys.DIRECTORY_KEY) == "issued"
    await rig.scheduler.advance(240)
    assert rig.client.pings[1][1] == DirectoryPing(key="issued", url="https://tv.example")


async def test_nothing_when_disabled_or_without_a_server_url(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.config.set(Keys.DIRECTORY_ENABLED, False)
    await rig.go_online()
    await rig.scheduler.run_due()
    assert rig.client.pings == [] and rig.service.armed  # enabling later takes effect at the next tick
    await rig.config.set_many({Keys.DIRECTORY_ENABLED: True, Keys.SERVER_URL: ""})
    with caplog.at_level(logging.WARNING, logger="owncast.directory"):
        await rig.scheduler.advance(240)
        await rig.scheduler.advance(240)
    assert rig.client.pings == []
    assert sum("set Server URL in the admin" in r.getMessage() for r in caplog.records) == 1
    await rig.config.set(Keys.SERVER_URL, "https://tv.example")
    await rig.scheduler.advance(240)
    assert len(rig.client.pings) == 1


async def test_not_pinged_when_offline(rig: Rig) -> None:
    assert await rig.service.ping() is False
    assert rig.client.pings == []


async def test_failures_are_logged_once_and_recovery_too(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.client.replies = [DeliveryFailed("no answer within 10 s"), DeliveryFailed("no answer within 10 s"),
                          DirectoryReply(success=False, error="server URL does not answer"),
                          DirectoryReply(success=True, key="k")]
    with caplog.at_level(logging.INFO, logger="owncast.directory"):
        await rig.go_online()
        await rig.scheduler.run_due()
        for _ in range(3):
            await rig.scheduler.advance(240)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["directory ping failed: no answer within 10 s",
                        "directory ping failed: the directory said: server URL does not answer",
                        "directory ping works again"]
    assert rig.config.string(Keys.DIRECTORY_KEY) == "k"


async def test_reset_key_is_not_sent(rig: Rig) -> None:
    rig.client.replies = [DirectoryReply(success=True, key="old"), DirectoryReply(success=True, key="fresh")]
    await rig.go_online()
    await rig.scheduler.run_due()
    await rig.config.set(Keys.DIRECTORY_KEY, "")  # what /api/admin/yp/reset does
    await rig.scheduler.advance(240)
    assert rig.client.pings[1][1].key == "" and rig.config.string(Keys.DIRECTORY_KEY) == "fresh"
