"""FederationService on fakes: keys at the first start, 405/404 rules, WebFinger, NodeInfo, the
actor document and the collections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.activitypub import Follower, domain_blocked, hashtag_name, is_activitypub_accept
from owncast_core.domain.config import Keys
from owncast_core.errors import FederationDisabled, NotFoundError, ValidationError
from owncast_core.services.config import ConfigService
from owncast_core.services.federation import FederationService
from owncast_core.testing.fakes import (
    FakeClock,
    FakeFederationCrypto,
    InMemoryConfigRepository,
    InMemoryFollowersRepository,
    PlainPasswordHasher,
)

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
ACTOR = "https://tv.example/federation/user/streamer"


@dataclass
class Rig:
    service: FederationService
    config: ConfigService
    followers: InMemoryFollowersRepository
    crypto: FakeFederationCrypto
    clock: FakeClock


@pytest.fixture
async def rig() -> Rig:
    clock = FakeClock(T0)
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    await config.set_many({Keys.SERVER_NAME: "Loopback TV", Keys.SERVER_URL: "https://tv.example",
                           Keys.FEDERATION_ENABLED: True})
    followers, crypto = InMemoryFollowersRepository(), FakeFederationCrypto()
    service = FederationService(config=config, followers=followers, crypto=crypto, clock=clock, version="0.2.3")
    await service.start()
    return Rig(service, config, followers, crypto, clock)


def follower(n: int, *, approved: bool = True) -> Follower:
    at = T0 + timedelta(minutes=n)
    return Follower(actor_iri=f"https://social.example/users/u{n}", inbox=f"https://social.example/users/u{n}/inbox",
                    name=f"U{n}", username=f"u{n}@social.example", image="", created_at=at,
                    approved_at=at if approved else None)


async def test_first_start_makes_the_key_pair_once(rig: Rig) -> None:
    public = rig.config.string(Keys.FEDERATION_PUBLIC_KEY)
    assert public.startswith("fake-public:") and rig.config.string(Keys.FEDERATION_PRIVATE_KEY)
    await rig.service.start()
    assert rig.crypto.generated == 1 and rig.config.string(Keys.FEDERATION_PUBLIC_KEY) == public


async def test_everything_is_disabled_by_default_and_needs_a_server_url(rig: Rig) -> None:
    await rig.config.set(Keys.FEDERATION_ENABLED, False)
    for call in (lambda: rig.service.webfinger("acct:streamer@tv.example"), rig.service.host_meta,
                 lambda: rig.service.actor_document("streamer")):
        with pytest.raises(FederationDisabled):
            call()
    with pytest.raises(FederationDisabled):
        await rig.service.nodeinfo()
    await rig.config.set_many({Keys.FEDERATION_ENABLED: True, Keys.SERVER_URL: ""})
    with pytest.raises(NotFoundError):
        rig.service.actor_document("streamer")


async def test_webfinger_rules(rig: Rig) -> None:
    doc = rig.service.webfinger("acct:streamer@tv.example")
    assert doc["subject"] == "acct:streamer@tv.example" and doc["aliases"] == [ACTOR]
    assert {"rel": "self", "type": "application/activity+json", "href": ACTOR} in doc["links"]
    for bad in (None, "streamer@tv.example", "acct:streamer", "acct:@tv.example", "mailto:x@tv.example"):
        with pytest.raises(ValidationError):
            rig.service.webfinger(bad)
    with pytest.raises(NotFoundError):
        rig.service.webfinger("acct:someone@tv.example")
    with pytest.raises(NotFoundError):
        rig.service.webfinger("acct:streamer@other.example")
    await rig.config.set(Keys.FEDERATION_USERNAME, "tv")
    assert rig.service.webfinger("acct:tv@tv.example")["aliases"] == ["https://tv.example/federation/user/tv"]


async def test_nodeinfo_and_instance(rig: Rig) -> None:
    assert rig.service.nodeinfo_links() == {"links": [{
        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "https://tv.example/nodeinfo/2.0"}]}
    info = await rig.service.nodeinfo()
    assert info["software"] == {"name": "owncast", "version": "0.2.3"} and info["protocols"] == ["activitypub"]
    assert info["openRegistrations"] is False and info["metadata"] == {"chat_enabled": True}
    inst = await rig.service.instance()
    assert (inst["uri"], inst["title"], inst["thumbnail"]) == (
        "https://tv.example", "Loopback TV", "https://tv.example/logo/external")
    assert 'template="https://tv.example/.well-known/webfinger?resource={uri}"' in rig.service.host_meta()


async def test_actor_document(rig: Rig) -> None:
    await rig.config.set_many({Keys.TAGS: ["game dev", "c++"], Keys.FEDERATION_PRIVATE: True})
    doc = rig.service.actor_document("streamer")
    assert (doc["id"], doc["type"], doc["preferredUsername"], doc["name"]) == (ACTOR, "Service", "streamer",
                                                                               "Loopback TV")
    assert (doc["inbox"], doc["outbox"], doc["followers"]) == (f"{ACTOR}/inbox", f"{ACTOR}/outbox",
                                                               f"{ACTOR}/followers")
    assert doc["publicKey"] == {"id": f"{ACTOR}#main-key", "owner": ACTOR,
                                "publicKeyPem": rig.config.string(Keys.FEDERATION_PUBLIC_KEY)}
    assert doc["manuallyApprovesFollowers"] is True
    assert [t["name"] for t in doc["tag"]] == ["#gamedev", "#c"]
    assert doc["attachment"][0]["name"] == "github"
    with pytest.raises(NotFoundError):
        rig.service.actor_document("someone")


async def test_followers_collection_and_count(rig: Rig) -> None:
    for n in range(1, 53):
        await rig.followers.save(follower(n))
    await rig.followers.save(follower(99, approved=False))
    assert await rig.service.follower_count() == 52
    collection = await rig.service.followers_collection("streamer", None)
    assert (collection["type"], collection["totalItems"], collection["first"]) == (
        "OrderedCollection", 52, f"{ACTOR}/followers?page=1")
    page1 = await rig.service.followers_collection("streamer", "1")
    assert len(page1["orderedItems"]) == 50 and page1["orderedItems"][0].endswith("/u52")
    assert page1["next"] == f"{ACTOR}/followers?page=2"
    page2 = await rig.service.followers_collection("streamer", "2")
    assert page2["orderedItems"] == ["https://social.example/users/u2", "https://social.example/users/u1"]
    assert "next" not in page2
    with pytest.raises(ValidationError):
        await rig.service.followers_collection("streamer", "x")
    listing = await rig.service.followers_page(0, 2)
    assert listing["total"] == 52 and [r["link"] for r in listing["results"]] == [
        "https://social.example/users/u52", "https://social.example/users/u51"]
    assert listing["results"][0] == {"link": "https://social.example/users/u52", "name": "U52",
                                     "username": "u52@social.example", "image": "",
                                     "timestamp": "2026-01-01T12:52:00Z", "disabledAt": None}


async def test_outbox_is_an_empty_ordered_collection(rig: Rig) -> None:
    assert await rig.service.outbox_collection("streamer", None) == {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{ACTOR}/outbox",
        "type": "OrderedCollection", "totalItems": 0}


def test_pure_helpers() -> None:
    assert is_activitypub_accept('application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
    assert is_activitypub_accept("application/activity+json")
    assert not is_activitypub_accept("text/html,*/*") and not is_activitypub_accept(None)
    assert hashtag_name("my_tag-2!") == "mytag2"
    assert domain_blocked("https://a.evil.example/u/1", ["evil.example"])
    assert domain_blocked("https://EVIL.example/u/1", ["https://evil.example/"])
    assert not domain_blocked("https://notevil.example/u/1", ["evil.example"])
