"""Bindings of the ActivityPub contract suites: the fakes, SQLite, RSA (``cryptography``) and httpx."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from owncast_adapters.activitypub.crypto import RsaFederationCrypto
from owncast_adapters.activitypub.http import HttpxFederationHttp
from owncast_adapters.outbound import OutboundHttp
from owncast_adapters.sqlite.activitypub_repository import SqliteActivityPubRepository
from owncast_adapters.sqlite.database import Database
from owncast_adapters.sqlite.delivery_queue import SqliteDeliveryQueue
from owncast_adapters.sqlite.domain_health import SqliteDomainHealthRepository
from owncast_adapters.sqlite.followers_repository import SqliteFollowersRepository
from owncast_core.errors import DeliveryRefused
from owncast_core.ports.activitypub import HttpReply
from owncast_core.testing.contracts.activitypub import (
    ActivityPubRepositoryContract,
    DeliveryQueueContract,
    DomainHealthRepositoryContract,
    FederationCryptoContract,
    FederationHttpContract,
    FollowersRepositoryContract,
    HttpEnv,
)
from owncast_core.testing.fakes import (
    FakeFederationCrypto,
    InMemoryActivityPubRepository,
    InMemoryDeliveryQueue,
    InMemoryDomainHealthRepository,
    InMemoryFollowersRepository,
    RecordingFederationHttp,
)

from ..webhook_receiver import WebhookReceiver


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/inbox"


class TestInMemoryFollowersRepository(FollowersRepositoryContract):
    @pytest.fixture
    async def make_repository(self):  # type: ignore[no-untyped-def]
        repo = InMemoryFollowersRepository()

        async def make() -> InMemoryFollowersRepository:
            return repo

        return make


class TestSqliteFollowersRepository(FollowersRepositoryContract):
    @pytest.fixture
    async def make_repository(self, tmp_path: Path) -> AsyncIterator[object]:
        opened: list[Database] = []

        async def make() -> SqliteFollowersRepository:
            if opened:
                await opened[-1].close()
            database = Database(tmp_path / "owncast.db")
            await database.open()
            opened.append(database)
            return SqliteFollowersRepository(database=database)

        yield make
        await opened[-1].close()


class TestFakeFederationCrypto(FederationCryptoContract):
    @pytest.fixture
    def crypto(self) -> FakeFederationCrypto:
        return FakeFederationCrypto()


class TestRsaFederationCrypto(FederationCryptoContract):
    @pytest.fixture
    def crypto(self) -> RsaFederationCrypto:
        return RsaFederationCrypto()

    async def test_keys_are_rsa_2048_in_owncasts_pem_forms(self, crypto: RsaFederationCrypto) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        keys = await crypto.generate_keys()
        assert keys.private_pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
        assert keys.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
        public = serialization.load_pem_public_key(keys.public_pem.encode())
        assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048


class TestRecordingFederationHttp(FederationHttpContract):
    @pytest.fixture
    def env(self) -> HttpEnv:
        http = RecordingFederationHttp({"file:///etc/passwd": DeliveryRefused("not an http(s) URL")})

        async def answering(status: int, body: bytes, headers: Mapping[str, str]) -> str:
            lower = {k.lower(): v for k, v in headers.items()}
            http.routes["https://remote.example/x"] = HttpReply(status, body, lower)
            return "https://remote.example/x"

        def received() -> list[tuple[dict[str, str], bytes]]:
            return [(h, b) for _, url, h, b in http.requests if url == "https://remote.example/x"]

        return HttpEnv(http, answering, received, _dead_url())


class TestHttpxFederationHttp(FederationHttpContract):
    @pytest.fixture
    async def env(self) -> AsyncIterator[HttpEnv]:
        outbound = OutboundHttp(allow_private=True)
        receivers: list[WebhookReceiver] = []

        async def answering(status: int, body: bytes, headers: Mapping[str, str]) -> str:
            receiver = await WebhookReceiver(default=status, reply_body=body, reply_headers=dict(headers)).start()
            receivers.append(receiver)
            return receiver.url

        def received() -> list[tuple[dict[str, str], bytes]]:
            return [(r.headers, r.body) for receiver in receivers for r in receiver.requests]

        yield HttpEnv(HttpxFederationHttp(http=outbound), answering, received, _dead_url())
        await outbound.aclose()
        for receiver in receivers:
            await receiver.stop()

    async def test_loopback_is_refused_unless_allowed(self) -> None:
        outbound = OutboundHttp()
        try:
            with pytest.raises(DeliveryRefused):
                await HttpxFederationHttp(http=outbound).get("http://127.0.0.1:9/users/a", headers={}, timeout=2,
                                                             max_body=10)
        finally:
            await outbound.aclose()


class TestInMemoryActivityPubRepository(ActivityPubRepositoryContract):
    @pytest.fixture
    async def make_repository(self):  # type: ignore[no-untyped-def]
        repo = InMemoryActivityPubRepository()

        async def make() -> InMemoryActivityPubRepository:
            return repo

        return make


class TestSqliteActivityPubRepository(ActivityPubRepositoryContract):
    @pytest.fixture
    async def make_repository(self, tmp_path: Path) -> AsyncIterator[object]:
        opened: list[Database] = []

        async def make() -> SqliteActivityPubRepository:
            if opened:
                await opened[-1].close()
            database = Database(tmp_path / "owncast.db")
            await database.open()
            opened.append(database)
            return SqliteActivityPubRepository(database=database)

        yield make
        await opened[-1].close()


class TestInMemoryDeliveryQueue(DeliveryQueueContract):
    @pytest.fixture
    async def make_queue(self):  # type: ignore[no-untyped-def]
        queue = InMemoryDeliveryQueue()

        async def make() -> InMemoryDeliveryQueue:
            return queue

        return make


class TestSqliteDeliveryQueue(DeliveryQueueContract):
    @pytest.fixture
    async def make_queue(self, tmp_path: Path) -> AsyncIterator[object]:
        opened: list[Database] = []

        async def make() -> SqliteDeliveryQueue:
            if opened:
                await opened[-1].close()
            database = Database(tmp_path / "owncast.db")
            await database.open()
            opened.append(database)
            return SqliteDeliveryQueue(database=database)

        yield make
        await opened[-1].close()


class TestInMemoryDomainHealthRepository(DomainHealthRepositoryContract):
    @pytest.fixture
    async def make_health(self):  # type: ignore[no-untyped-def]
        repository = InMemoryDomainHealthRepository()

        async def make() -> InMemoryDomainHealthRepository:
            return repository

        return make


class TestSqliteDomainHealthRepository(DomainHealthRepositoryContract):
    @pytest.fixture
    async def make_health(self, tmp_path: Path) -> AsyncIterator[object]:
        opened: list[Database] = []

        async def make() -> SqliteDomainHealthRepository:
            if opened:
                await opened[-1].close()
            database = Database(tmp_path / "owncast.db")
            await database.open()
            opened.append(database)
            return SqliteDomainHealthRepository(database=database)

        yield make
        await opened[-1].close()
