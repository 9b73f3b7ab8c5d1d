"""The delivery sender over the real SQLite adapters (a file in ``tmp_path``) with a fake clock:
what it knows about failing servers survives a restart, to the microsecond."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from owncast_adapters.sqlite.activitypub_repository import SqliteActivityPubRepository
from owncast_adapters.sqlite.config_repository import SqliteConfigRepository
from owncast_adapters.sqlite.database import Database
from owncast_adapters.sqlite.delivery_queue import SqliteDeliveryQueue
from owncast_adapters.sqlite.domain_health import SqliteDomainHealthRepository
from owncast_adapters.sqlite.followers_repository import SqliteFollowersRepository
from owncast_core.domain.activitypub import Follower
from owncast_core.domain.config import Keys
from owncast_core.domain.delivery import CircuitBreakers
from owncast_core.errors import DeliveryFailed
from owncast_core.ports.activitypub import HttpReply
from owncast_core.services.config import ConfigService
from owncast_core.services.federation import FederationService
from owncast_core.testing.fakes import (
    FakeClock,
    FakeFederationCrypto,
    PlainPasswordHasher,
    RecordingFederationHttp,
    SequentialIds,
)

pytestmark = pytest.mark.integration
T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)


@asynccontextmanager
async def federation(path: Path, clock: FakeClock, http: RecordingFederationHttp,
                     **kwargs: object) -> AsyncIterator[FederationService]:
    """A ``FederationService`` on the SQLite file ``path``; closed (and the file too) afterwards."""
    database = Database(path)
    await database.open()
    try:
        config = ConfigService(repository=SqliteConfigRepository(database=database), hasher=PlainPasswordHasher())
        await config.load()
        await config.set_many({Keys.SERVER_URL: "https://tv.example", Keys.FEDERATION_ENABLED: True})
        service = FederationService(
            config=config, followers=SqliteFollowersRepository(database=database),
            activities=SqliteActivityPubRepository(database=database),
            deliveries=SqliteDeliveryQueue(database=database),
            domain_health=SqliteDomainHealthRepository(database=database),
            crypto=FakeFederationCrypto(), http=http, clock=clock, ids=SequentialIds(), **kwargs)  # type: ignore[arg-type]
        await service.start()
        yield service
    finally:
        await database.close()


async def test_a_paused_domain_is_still_paused_after_a_restart_until_its_time(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "owncast.federation")
    path, clock, http = tmp_path / "owncast.db", FakeClock(T0), RecordingFederationHttp()
    inbox = "https://down.example/users/u1/inbox"
    http.routes[inbox] = DeliveryFailed("connection refused")
    async with federation(path, clock, http, breakers=CircuitBreakers(threshold=1, pause=600)) as service:
        await service._followers.save(Follower(actor_iri="https://down.example/users/u1", inbox=inbox, name="U1",
                                               username="u1@down.example", image="", created_at=T0, approved_at=T0))
        await service.send_note("before the restart")
        assert await service.deliver_due() == 1
        paused = (await service.delivery_status(0, 10))["pausedDomains"]
        assert paused == [{"domain": "down.example", "until": (T0 + timedelta(minutes=10)).isoformat()}]

    async with federation(path, clock, http) as restarted:  # the default breaker: the state comes from the file
        clock.advance(60)
        assert await restarted.deliver_due() == 0  # the retry is due, the domain paused
        assert (await restarted.delivery_status(0, 10))["pausedDomains"] == paused
        clock.advance(9 * 60 - 1)
        assert await restarted.deliver_due() == 0
        http.routes[inbox] = HttpReply(202)
        clock.advance(1)
        assert await restarted.deliver_due() == 1  # its time: the probe goes and answers
        assert (await restarted.delivery_status(0, 10)) == {"total": 0, "results": [], "pausedDomains": [],
                                                            "unavailableDomains": []}
    assert "down.example answers again; resuming deliveries to it" in caplog.text

    async with federation(path, clock, http) as again:  # and the answer was stored too
        assert (await again.delivery_status(0, 10))["pausedDomains"] == []


async def test_an_unavailable_domain_is_still_unavailable_after_a_restart(tmp_path: Path) -> None:
    path, clock, http = tmp_path / "owncast.db", FakeClock(T0), RecordingFederationHttp()
    inbox = "https://dead.example/inbox"
    http.routes[inbox] = DeliveryFailed("connection refused")
    async with federation(path, clock, http, breakers=CircuitBreakers(threshold=1, unavailable_after=0)) as service:
        await service.deliver_to({"id": "https://tv.example/federation/a1", "type": "Create"}, [inbox])
        await service.deliver_due()
        assert (await service.delivery_status(0, 0))["unavailableDomains"] == [
            {"domain": "dead.example", "since": T0.isoformat()}]

    async with federation(path, clock, http) as restarted:
        clock.advance(86400)
        assert await restarted.deliver_to({"id": "https://tv.example/federation/a2", "type": "Create"}, [inbox]) == 0
        assert (await restarted.delivery_status(0, 0))["unavailableDomains"] == [
            {"domain": "dead.example", "since": T0.isoformat()}]
        assert await restarted.retry_domain("dead.example") == "dead.example"

    async with federation(path, clock, http) as cleared:
        assert (await cleared.delivery_status(0, 0))["unavailableDomains"] == []
