"""Bindings of the chat-auth contracts: ``IdentityLinkRepository`` (in-memory fake and SQLite)
and ``IndieAuthClient`` (the fake, and ``HttpxIndieAuthClient`` against the stub IndieAuth
server on loopback), plus the adapter's own discovery cases and its loopback guard."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from owncast_adapters.auth.indieauth import HttpxIndieAuthClient, html_link_rels, link_header_rels
from owncast_adapters.outbound import OutboundHttp
from owncast_adapters.sqlite.database import Database
from owncast_adapters.sqlite.identity_link_repository import SqliteIdentityLinkRepository
from owncast_adapters.sqlite.user_repository import SqliteUserRepository
from owncast_core.domain.chat_auth import IndieAuthEndpoints
from owncast_core.errors import DeliveryRefused, NotFoundError
from owncast_core.testing.contracts.chat_auth import (
    IdentityLinkRepositoryContract,
    IndieAuthClientContract,
    IndieAuthEnv,
    LinkStores,
    LinkStoresFactory,
)
from owncast_core.testing.fakes import InMemoryIdentityLinkRepository, InMemoryIndieAuthClient, InMemoryUserRepository

from ..indieauth_stub import IndieAuthStub
from ..integration.chat_app import serving


class TestInMemoryIdentityLinkRepository(IdentityLinkRepositoryContract):
    @pytest.fixture
    async def make_stores(self) -> LinkStoresFactory:
        users = InMemoryUserRepository()
        links = InMemoryIdentityLinkRepository(users)

        async def make() -> LinkStores:
            return links, users

        return make


class TestSqliteIdentityLinkRepository(IdentityLinkRepositoryContract):
    @pytest.fixture
    async def make_stores(self, tmp_path: Path) -> AsyncIterator[LinkStoresFactory]:
        opened: list[Database] = []

        async def make() -> LinkStores:
            for db in opened:
                await db.close()
            db = Database(tmp_path / "owncast.db")
            await db.open()
            opened.append(db)
            return SqliteIdentityLinkRepository(database=db), SqliteUserRepository(database=db)

        yield make
        for db in opened:
            await db.close()


def dead_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


class TestInMemoryIndieAuthClient(IndieAuthClientContract):
    @pytest.fixture
    async def indieauth_env(self) -> IndieAuthEnv:
        dead = "https://dead.example/"
        client = InMemoryIndieAuthClient({"https://alice.example/": IndieAuthEndpoints("https://alice.example/auth"),
                                          "https://plain.example/": IndieAuthEndpoints("")}, unreachable=[dead])
        client.sites.pop("https://plain.example/")

        async def authorize(query: Mapping[str, str]) -> str:
            return client.authorize(query)

        return IndieAuthEnv(client=client, profile_url="https://alice.example/", endpoint="https://alice.example/auth",
                            no_endpoint_url="https://plain.example/", dead_url=dead, authorize=authorize)


@pytest.fixture
async def stub() -> AsyncIterator[IndieAuthStub]:
    server = IndieAuthStub()
    async with serving(server.app()) as port:
        server.port = port
        yield server


@pytest.fixture
async def outbound() -> AsyncIterator[OutboundHttp]:
    http = OutboundHttp(allow_private=True)
    yield http
    await http.aclose()


class TestHttpxIndieAuthClient(IndieAuthClientContract):
    @pytest.fixture
    async def indieauth_env(self, stub: IndieAuthStub, outbound: OutboundHttp) -> AsyncIterator[IndieAuthEnv]:
        async with httpx.AsyncClient(follow_redirects=False) as browser:
            async def authorize(query: Mapping[str, str]) -> str:
                reply = await browser.get(f"{stub.base}/auth", params=dict(query))
                assert reply.status_code == 302, reply.text
                return parse_qs(urlsplit(reply.headers["location"]).query)["code"][0]

            yield IndieAuthEnv(client=HttpxIndieAuthClient(http=outbound), profile_url=f"{stub.base}/",
                               endpoint=f"{stub.base}/auth", no_endpoint_url=f"{stub.base}/plain",
                               dead_url=dead_url(), authorize=authorize)


async def test_discovery_from_header_metadata_and_redirects(stub: IndieAuthStub, outbound: OutboundHttp) -> None:
    client = HttpxIndieAuthClient(http=outbound)
    assert (await client.discover(f"{stub.base}/header")).authorization_endpoint == f"{stub.base}/auth"
    meta = await client.discover(f"{stub.base}/meta")  # metadata wins over the page's own link
    assert (meta.authorization_endpoint, meta.token_endpoint) == (f"{stub.base}/auth2", f"{stub.base}/token")
    assert (await client.discover(f"{stub.base}/moved")).authorization_endpoint == f"{stub.base}/auth"
    with pytest.raises(NotFoundError):
        await client.discover(f"{stub.base}/no-such-page")


async def test_loopback_is_refused_unless_allowed(stub: IndieAuthStub) -> None:
    guarded = OutboundHttp(allow_private=False)
    try:
        client = HttpxIndieAuthClient(http=guarded)
        for url in (f"{stub.base}/", "http://localhost:9/", "http://10.0.0.1/", "http://[::1]/"):
            with pytest.raises(DeliveryRefused):
                await client.discover(url)
        with pytest.raises(DeliveryRefused):
            await client.redeem(f"{stub.base}/auth", {"code": "x"})
        assert stub.redemptions == []
    finally:
        await guarded.aclose()


def test_link_parsing() -> None:
    base = "https://alice.example/path/"
    assert link_header_rels('<https://a.example/x>; rel="me", </auth>; rel="authorization_endpoint token_endpoint"',
                            base) == {"me": "https://a.example/x", "authorization_endpoint": "https://alice.example/auth",
                                      "token_endpoint": "https://alice.example/auth"}
    assert link_header_rels("garbage, <>", base) == {}
    page = ('<html><head><base href="/b/"><LINK REL="Authorization_Endpoint" HREF="auth">'
            '<link rel="authorization_endpoint" href="https://second.example/"></head>')
    assert html_link_rels(page, base) == {"authorization_endpoint": "https://alice.example/b/auth"}
    assert html_link_rels("<link rel=x href='<\x00", base) in ({}, {"x": "https://alice.example/path/%3C"},
                                                               {"x": "https://alice.example/path/<\x00"})
