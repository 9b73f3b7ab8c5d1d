"""Federation end to end: the embedded server with its real adapters (SQLite, RSA keys made with
``cryptography``, the web app) on 127.0.0.1; only the transcoder is the fake one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers

from owncast_core.domain.config import Keys
from owncast_core.testing.fakes import FakeTranscoder
from owncast_runners.container import Container
from owncast_runners.server import OwncastServer
from owncast_runners.settings import Settings

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")
AP = {"Accept": "application/activity+json"}
SERVER_URL = "https://tv.example"
ACTOR = f"{SERVER_URL}/federation/user/streamer"
DISCOVERY = ["/.well-known/webfinger?resource=acct:streamer@tv.example", "/.well-known/host-meta",
             "/.well-known/nodeinfo", "/.well-known/x-nodeinfo2", "/nodeinfo/2.0", "/api/v1/instance",
             "/federation/user/streamer", "/federation/user/streamer/followers",
             "/federation/user/streamer/outbox", "/federation/user/streamer/following"]


@dataclass
class World:
    server: OwncastServer
    container: Container
    client: httpx.AsyncClient


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    settings = Settings(data_dir=tmp_path / "data", web_host=("127.0.0.1",), web_port=0, rtmp_host="127.0.0.1",
                        rtmp_port=0, outbound_allow_private=True)
    container = Container(settings=settings)
    container.transcoder.override(providers.Object(FakeTranscoder(bytes_per_segment=20_000)))
    server = OwncastServer(settings, container)
    await server.start()
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.web_port}")
    try:
        yield World(server, container, client)
    finally:
        await client.aclose()
        await server.stop()


async def admin_set(client: httpx.AsyncClient, name: str, value: object) -> None:
    reply = await client.post(f"/api/admin/config/{name}", json={"value": value}, auth=ADMIN)
    assert reply.status_code == 200, reply.text


async def enable(client: httpx.AsyncClient) -> None:
    await admin_set(client, "serverurl", SERVER_URL)
    await admin_set(client, "federation/enable", True)


async def test_every_endpoint_is_405_while_federation_is_off(world: World) -> None:
    await admin_set(world.client, "serverurl", SERVER_URL)
    for path in DISCOVERY:
        reply = await world.client.get(path, headers=AP)
        assert reply.status_code == 405, (path, reply.status_code)
    assert (await world.client.get("/api/config")).json()["federation"] == {"enabled": False}


async def test_discovery_documents(world: World) -> None:
    client = world.client
    await enable(client)

    finger = await client.get("/.well-known/webfinger", params={"resource": "acct:streamer@tv.example"})
    assert finger.status_code == 200 and finger.headers["content-type"] == "application/jrd+json"
    assert finger.json()["subject"] == "acct:streamer@tv.example"
    assert {"rel": "self", "type": "application/activity+json", "href": ACTOR} in finger.json()["links"]
    assert (await client.get("/.well-known/webfinger", params={"resource": "streamer"})).status_code == 400
    assert (await client.get("/.well-known/webfinger", params={"resource": "acct:x@tv.example"})).status_code == 404
    assert (await client.get("/.well-known/webfinger",
                             params={"resource": "acct:streamer@elsewhere.example"})).status_code == 404

    meta = await client.get("/.well-known/host-meta")
    assert meta.headers["content-type"].startswith("application/xrd+xml")
    assert f'template="{SERVER_URL}/.well-known/webfinger?resource={{uri}}"' in meta.text
    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    assert links == [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": f"{SERVER_URL}/nodeinfo/2.0"}]
    info = (await client.get("/nodeinfo/2.0")).json()
    assert info["software"]["name"] == "owncast" and info["usage"]["users"]["total"] == 1
    assert (await client.get("/.well-known/x-nodeinfo2")).json()["server"]["baseUrl"] == SERVER_URL
    assert (await client.get("/api/v1/instance")).json()["uri"] == SERVER_URL
    assert (await client.get("/api/config")).json()["federation"] == {"enabled": True,
                                                                      "account": "streamer@tv.example"}


async def test_actor_document_and_collections(world: World) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    client = world.client
    await enable(client)
    reply = await client.get("/federation/user/streamer", headers=AP)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/activity+json"
    actor = reply.json()
    assert (actor["id"], actor["type"], actor["inbox"], actor["outbox"], actor["followers"]) == (
        ACTOR, "Service", f"{ACTOR}/inbox", f"{ACTOR}/outbox", f"{ACTOR}/followers")
    key = actor["publicKey"]
    assert (key["id"], key["owner"]) == (f"{ACTOR}#main-key", ACTOR)
    public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    assert key["publicKeyPem"] == world.container.config().string(Keys.FEDERATION_PUBLIC_KEY)

    browser = await client.get("/federation/user/streamer", headers={"Accept": "text/html"})
    assert browser.status_code == 307 and browser.headers["location"] == "/"
    assert (await client.get("/federation/user/nobody", headers=AP)).status_code == 404
    assert (await client.get("/federation/user/streamer/following", headers=AP)).status_code == 404
    followers = (await client.get("/federation/user/streamer/followers", headers=AP)).json()
    assert (followers["type"], followers["totalItems"]) == ("OrderedCollection", 0)
    outbox = (await client.get("/federation/user/streamer/outbox", headers=AP)).json()
    assert (outbox["id"], outbox["type"], outbox["totalItems"]) == (f"{ACTOR}/outbox", "OrderedCollection", 0)
    assert (await client.get("/api/followers")).json() == {"total": 0, "results": []}
    assert (await client.get("/api/followers", params={"offset": "x"})).status_code == 400


async def test_the_key_pair_survives_a_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", web_host=("127.0.0.1",), web_port=0, rtmp_host="127.0.0.1",
                        rtmp_port=0)
    keys = []
    for _ in range(2):
        container = Container(settings=settings)
        container.transcoder.override(providers.Object(FakeTranscoder()))
        server = OwncastServer(settings, container)
        await server.start()
        keys.append(container.config().string(Keys.FEDERATION_PRIVATE_KEY))
        await server.stop()
    assert keys[0].startswith("-----BEGIN RSA PRIVATE KEY-----") and keys[0] == keys[1]
