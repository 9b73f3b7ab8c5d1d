"""Bindings of the ActivityPub contract suites: the fakes, SQLite and RSA (``cryptography``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from owncast_adapters.activitypub.crypto import RsaFederationCrypto
from owncast_adapters.sqlite.database import Database
from owncast_adapters.sqlite.followers_repository import SqliteFollowersRepository
from owncast_core.testing.contracts.activitypub import FederationCryptoContract, FollowersRepositoryContract
from owncast_core.testing.fakes import FakeFederationCrypto, InMemoryFollowersRepository


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
