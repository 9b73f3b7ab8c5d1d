"""FederationService on fakes: keys at the first start, 405/404 rules, WebFinger, NodeInfo, the
actor document and the collections."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.activitypub import (
    LIKE_ACTION,
    REMOTE_FOLLOW_REL,
    REPOST_ACTION,
    Follower,
    OutboxItem,
    RemoteActor,
    domain_blocked,
    engagement_text,
    hashtag_name,
    is_activitypub_accept,
    remote_follow_url,
)
from owncast_core.domain.config import Keys
from owncast_core.domain.http_signatures import digest_matches, parse_signature, sign_request, signing_string
from owncast_core.errors import (
    FederationDisabled,
    NotFoundError,
    Overloaded,
    PermissionDenied,
    SignatureRejected,
    ValidationError,
)
from owncast_core.ports.activitypub import HttpReply, KeyPair
from owncast_core.services.config import ConfigService
from owncast_core.services.federation import FederationService
from owncast_core.services.webhooks import chat_event_data
from owncast_core.testing.fakes import (
    FakeClock,
    FakeFederationCrypto,
    InMemoryActivityPubRepository,
    InMemoryConfigRepository,
    InMemoryDeliveryQueue,
    InMemoryDomainHealthRepository,
    InMemoryFollowersRepository,
    PlainPageRenderer,
    PlainPasswordHasher,
    RecordingChatTransport,
    RecordingFederationHttp,
    SequentialIds,
)

from .chat_rig import ChatRig

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
ACTOR = "https://tv.example/federation/user/streamer"


@dataclass
class Rig:
    service: FederationService
    config: ConfigService
    followers: InMemoryFollowersRepository
    crypto: FakeFederationCrypto
    clock: FakeClock
    http: RecordingFederationHttp
    activities: InMemoryActivityPubRepository
    snapshot: list[str | None]
    deliveries: InMemoryDeliveryQueue


@pytest.fixture
async def rig() -> Rig:
    clock = FakeClock(T0)
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    await config.set_many({Keys.SERVER_NAME: "Loopback TV", Keys.SERVER_URL: "https://tv.example",
                           Keys.FEDERATION_ENABLED: True})
    followers, crypto, http = InMemoryFollowersRepository(), FakeFederationCrypto(), RecordingFederationHttp()
    activities, snapshot = InMemoryActivityPubRepository(), [None]
    deliveries = InMemoryDeliveryQueue()
    service = FederationService(config=config, followers=followers, activities=activities, crypto=crypto,
                                http=http, clock=clock, ids=SequentialIds(), version="0.2.3", deliveries=deliveries,
                                domain_health=InMemoryDomainHealthRepository(),
                                renderer=PlainPageRenderer(), snapshot=lambda: snapshot[0])
    await service.start()
    return Rig(service, config, followers, crypto, clock, http, activities, snapshot, deliveries)


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


async def test_served_documents_are_signed_as_owncast_signs_responses(rig: Rig) -> None:
    document = rig.service.actor_document("streamer")
    signed = rig.service.signed_document(document)
    assert json.loads(signed.body) == document
    params = parse_signature(signed.headers["signature"])
    assert (params.key_id, params.algorithm, params.headers) == (f"{ACTOR}#main-key", "rsa-sha256", ("digest",))
    assert digest_matches(signed.headers["digest"], signed.body)
    text = signing_string(params.headers, method="GET", target="/", headers=signed.headers)
    public = document["publicKey"]["publicKeyPem"]
    assert rig.crypto.verify(public, text, params.signature)
    assert not digest_matches(signed.headers["digest"], signed.body + b" ")
    await rig.config.set(Keys.FEDERATION_ENABLED, False)
    with pytest.raises(FederationDisabled):
        rig.service.signed_document(document)


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


# --- the inbox (slice 2) --------------------------------------------------------------------------

REMOTE = "https://social.example/users/alice"
REMOTE_INBOX = f"{REMOTE}/inbox"
INBOX_TARGET = "/federation/user/streamer/inbox"


@dataclass
class Remote:
    keys: KeyPair
    crypto: FakeFederationCrypto

    def document(self, iri: str = REMOTE) -> dict[str, object]:
        return {"id": iri, "type": "Person", "preferredUsername": "alice", "name": "Alice", "inbox": f"{iri}/inbox",
                "endpoints": {"sharedInbox": "https://social.example/inbox"},
                "icon": {"type": "Image", "url": "https://social.example/a.png"},
                "publicKey": {"id": f"{iri}#main-key", "owner": iri, "publicKeyPem": self.keys.public_pem}}

    def signed(self, body: bytes, clock: FakeClock, *, key_id: str = f"{REMOTE}#main-key") -> dict[str, str]:
        headers = sign_request("POST", f"https://tv.example{INBOX_TARGET}", key_id=key_id, now=clock.now(),
                               body=body, sign=lambda data: self.crypto.sign(self.keys.private_pem, data))
        return headers


@pytest.fixture
async def remote(rig: Rig) -> Remote:
    crypto = FakeFederationCrypto()
    found = Remote(await crypto.generate_keys(), crypto)
    rig.http.routes[REMOTE] = HttpReply(200, json.dumps(found.document()).encode())
    rig.http.routes[REMOTE_INBOX] = HttpReply(202)
    return found


def follow(activity_id: str = "https://social.example/follows/1", actor: str = REMOTE) -> bytes:
    return json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": activity_id, "type": "Follow",
                       "actor": actor, "object": ACTOR}).encode()


async def deliver(rig: Rig, body: bytes, headers: dict[str, str]) -> None:
    rig.service.start_worker()
    try:
        await rig.service.receive("streamer", method="POST", target=INBOX_TARGET, headers=headers, body=body)
        await asyncio.wait_for(rig.service.idle(), 5)
    finally:
        await rig.service.close()


async def test_a_signed_follow_is_stored_and_accepted(rig: Rig, remote: Remote) -> None:
    body = follow()
    await deliver(rig, body, remote.signed(body, rig.clock))
    stored = await rig.followers.get(REMOTE)
    assert stored is not None and stored.state == "approved"
    assert (stored.inbox, stored.shared_inbox, stored.name, stored.username, stored.image, stored.follow_iri) == (
        REMOTE_INBOX, "https://social.example/inbox", "Alice", "alice@social.example", "https://social.example/a.png",
        "https://social.example/follows/1")
    assert await rig.service.follower_count() == 1
    (accept,) = rig.http.posts(REMOTE_INBOX)
    assert (accept["type"], accept["actor"], accept["id"]) == ("Accept", ACTOR, "https://tv.example/federation/id1")
    assert accept["object"] == {"id": "https://social.example/follows/1", "type": "Follow", "actor": REMOTE,
                                "object": ACTOR}
    # our request is signed with our key: the fake crypto verifies it with the public half we serve
    method, _, headers, sent = next(r for r in rig.http.requests if r[0] == "POST")
    params = parse_signature(headers["signature"])
    assert params.key_id == f"{ACTOR}#main-key" and digest_matches(headers["digest"], sent)
    text = signing_string(params.headers, method=method, target="/users/alice/inbox", headers=headers)
    assert rig.crypto.verify(rig.config.string(Keys.FEDERATION_PUBLIC_KEY), text, params.signature)


async def test_undo_removes_the_follower(rig: Rig, remote: Remote) -> None:
    body = follow()
    await deliver(rig, body, remote.signed(body, rig.clock))
    undo = json.dumps({"id": "https://social.example/undo/1", "type": "Undo", "actor": REMOTE,
                       "object": json.loads(body)}).encode()
    await deliver(rig, undo, remote.signed(undo, rig.clock))
    assert await rig.followers.get(REMOTE) is None and await rig.service.follower_count() == 0


async def test_private_mode_waits_for_approval(rig: Rig, remote: Remote) -> None:
    await rig.config.set(Keys.FEDERATION_PRIVATE, True)
    body = follow()
    await deliver(rig, body, remote.signed(body, rig.clock))
    assert [f.actor_iri for f in await rig.service.followers_in("pending")] == [REMOTE]
    assert rig.http.posts() == [] and await rig.service.follower_count() == 0
    await rig.service.approve(REMOTE, True)
    await rig.service.idle()
    assert await rig.service.follower_count() == 1 and rig.http.posts(REMOTE_INBOX)[0]["type"] == "Accept"
    await rig.service.approve(REMOTE, False)
    await rig.service.idle()
    assert [f.actor_iri for f in await rig.service.followers_in("blocked")] == [REMOTE]
    assert rig.http.posts(REMOTE_INBOX)[1]["type"] == "Reject"
    with pytest.raises(NotFoundError):
        await rig.service.approve("https://social.example/users/nobody", True)
    with pytest.raises(ValidationError):
        await rig.service.approve(REMOTE, "yes")


@pytest.mark.parametrize("tamper", ["no signature", "other key", "body changed", "digest missing from headers",
                                    "stale date", "garbage signature", "unknown signer"])
async def test_bad_signatures_are_rejected(rig: Rig, remote: Remote, tamper: str) -> None:
    body = follow()
    headers = remote.signed(body, rig.clock)
    if tamper == "no signature":
        del headers["signature"]
    elif tamper == "other key":
        other = await remote.crypto.generate_keys()
        headers = Remote(other, remote.crypto).signed(body, rig.clock)
    elif tamper == "body changed":
        body = follow("https://social.example/follows/2")
    elif tamper == "digest missing from headers":
        headers["signature"] = headers["signature"].replace(" digest", "")
    elif tamper == "stale date":
        rig.clock.advance(3600)
    elif tamper == "garbage signature":
        headers["signature"] = 'keyId="x",signature="%%%"'
    elif tamper == "unknown signer":
        body = follow(actor="https://social.example/users/bob")
        headers = remote.signed(body, rig.clock, key_id="https://social.example/users/bob#main-key")
    with pytest.raises(SignatureRejected):
        await rig.service.receive("streamer", method="POST", target=INBOX_TARGET, headers=headers, body=body)
    assert await rig.followers.get(REMOTE) is None


async def test_a_signer_cannot_speak_for_another_actor(rig: Rig, remote: Remote) -> None:
    body = follow(actor="https://social.example/users/bob")
    with pytest.raises((PermissionDenied, SignatureRejected)):
        await rig.service.receive("streamer", method="POST", target=INBOX_TARGET,
                                  headers=remote.signed(body, rig.clock), body=body)


async def test_blocked_domains_and_bad_bodies(rig: Rig, remote: Remote) -> None:
    await rig.config.set(Keys.FEDERATION_BLOCKED_DOMAINS, ["social.example"])
    body = follow()
    with pytest.raises(PermissionDenied):
        await rig.service.receive("streamer", method="POST", target=INBOX_TARGET,
                                  headers=remote.signed(body, rig.clock), body=body)
    assert not any(r[0] == "GET" for r in rig.http.requests)  # refused before fetching anything
    for bad in (b"{", b"[]", b'{"type": "Follow"}', b"\xff"):
        with pytest.raises(ValidationError):
            await rig.service.receive("streamer", method="POST", target=INBOX_TARGET, headers={}, body=bad)


async def test_a_full_queue_is_overloaded_not_blocking(rig: Rig, remote: Remote) -> None:
    service = FederationService(config=rig.config, followers=rig.followers, activities=rig.activities,
                                deliveries=rig.deliveries, domain_health=InMemoryDomainHealthRepository(),
                                crypto=rig.crypto, http=rig.http, clock=rig.clock,
                                ids=SequentialIds(), queue_size=1)
    body = follow()
    await service.receive("streamer", method="POST", target=INBOX_TARGET, headers=remote.signed(body, rig.clock),
                          body=body)
    with pytest.raises(Overloaded):
        await service.receive("streamer", method="POST", target=INBOX_TARGET,
                              headers=remote.signed(body, rig.clock), body=body)


def test_signature_header_parsing() -> None:
    params = parse_signature('keyId="https://a.example/u#k",algorithm="rsa-sha256",'
                             'headers="(request-target) host date digest",signature="AAEC"')
    assert (params.key_id, params.headers, params.signature) == (
        "https://a.example/u#k", ("(request-target)", "host", "date", "digest"), b"\x00\x01\x02")
    for bad in ("", 'keyId="x"', 'keyId="x",algorithm="ed25519",signature="AA=="', "nonsense"):
        with pytest.raises(ValueError):
            parse_signature(bad)



# --- posting (slice 3) ----------------------------------------------------------------------------


async def add_followers(rig: Rig) -> None:
    shared = "https://social.example/inbox"
    for n, shared_inbox in ((1, shared), (2, shared), (3, "")):
        await rig.followers.save(Follower(
            actor_iri=f"https://social.example/users/u{n}", inbox=f"https://social.example/users/u{n}/inbox",
            shared_inbox=shared_inbox, name="", username="", image="", created_at=T0, approved_at=T0))
    await rig.followers.save(Follower(actor_iri="https://other.example/users/p", inbox="https://other.example/p/inbox",
                                      name="", username="", image="", created_at=T0))  # pending: not sent to
    for url in (shared, "https://social.example/users/u3/inbox"):
        rig.http.routes[url] = HttpReply(202)


async def test_go_live_note_to_unique_inboxes(rig: Rig) -> None:
    await add_followers(rig)
    await rig.config.set_many({Keys.STREAM_TITLE: "Friday <jam>", Keys.TAGS: ["game dev", "owncast"],
                               Keys.NSFW: True})
    rig.snapshot[0] = "preview.gif"
    await rig.service.send_live()
    await rig.service.idle()
    assert sorted(url for method, url, _, _ in rig.http.requests if method == "POST") == [
        "https://social.example/inbox", "https://social.example/users/u3/inbox"]
    create = rig.http.posts("https://social.example/inbox")[0]
    note = create["object"]
    assert (create["type"], create["actor"], note["type"], note["attributedTo"]) == ("Create", ACTOR, "Note", ACTOR)
    assert note["content"] == (
        "<p>I've gone live!</p><p>Friday &lt;jam&gt;</p>"
        '<p><a class="hashtag" href="https://owncast.directory/tags/gamedev">#gamedev</a> '
        '<a class="hashtag" href="https://owncast.directory/tags/owncast">#owncast</a></p>'
        '<p><a href="https://tv.example">https://tv.example</a></p>')
    assert [t["name"] for t in note["tag"]] == ["#gamedev", "#owncast"]
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"] and note["cc"] == [f"{ACTOR}/followers"]
    assert note["sensitive"] is True
    (attachment,) = note["attachment"]
    assert attachment["mediaType"] == "image/gif"
    assert attachment["url"].startswith("https://tv.example/preview.gif?us=")
    # kept: the outbox lists it and the Note is served by its id
    outbox = await rig.service.outbox_collection("streamer", "1")
    assert [a["id"] for a in outbox["orderedItems"]] == [create["id"]]
    object_id = note["id"].rsplit("/", 1)[1]
    assert (await rig.service.object_document(object_id))["content"] == note["content"]
    assert (await rig.service.object_document(create["id"].rsplit("/", 1)[1]))["type"] == "Create"
    assert (await rig.service.nodeinfo())["usage"]["localPosts"] == 1
    with pytest.raises(NotFoundError):
        await rig.service.object_document("nothing")


async def test_private_posts_go_to_followers_only_and_empty_message_skips(rig: Rig) -> None:
    await add_followers(rig)
    await rig.config.set_many({Keys.FEDERATION_PRIVATE: True})
    await rig.service.send_live()
    await rig.service.idle()
    note = rig.http.posts("https://social.example/inbox")[0]["object"]
    assert note["to"] == [f"{ACTOR}/followers"] and note["cc"] == []
    assert "#owncast" in note["content"] and "attachment" not in note and "sensitive" not in note
    await rig.config.set(Keys.FEDERATION_GO_LIVE_MESSAGE, "")
    await rig.service.send_live()
    await rig.config.set_many({Keys.FEDERATION_GO_LIVE_MESSAGE: "Live!", Keys.FEDERATION_ENABLED: False})
    await rig.service.send_live()
    await rig.service.idle()
    assert len(rig.http.posts("https://social.example/inbox")) == 1


async def test_admin_note_links_hashtags(rig: Rig) -> None:
    await add_followers(rig)
    await rig.service.send_note("Tonight: #speedrun at 8")
    await rig.service.idle()
    note = rig.http.posts("https://social.example/inbox")[0]["object"]
    assert note["content"] == ('<p>Tonight: <a class="hashtag" href="https://owncast.directory/tags/speedrun">'
                               "#speedrun</a> at 8</p>")
    assert note["tag"] == [{"type": "Hashtag", "name": "#speedrun", "href": "https://owncast.directory/tags/speedrun"}]
    for bad in ("", "   ", None, "x" * 5001):
        with pytest.raises(ValidationError):
            await rig.service.send_note(bad)


async def test_engagement_is_recorded_once(rig: Rig, remote: Remote) -> None:
    body = follow()
    await deliver(rig, body, remote.signed(body, rig.clock))
    like = {"id": "https://social.example/likes/1", "type": "Like", "actor": REMOTE,
            "object": "https://tv.example/federation/note1"}
    elsewhere = {**like, "id": "https://social.example/likes/2", "object": "https://other.example/notes/1"}
    for activity in (like, like, elsewhere, {**like, "type": "Announce"}):
        await rig.service.handle(activity, RemoteActor.parse(remote.document()))
    page = await rig.service.actions_page(0, 10)
    assert page["total"] == 3
    assert sorted(r["type"] for r in page["results"]) == ["FEDIVERSE_ENGAGEMENT_FOLLOW", "FEDIVERSE_ENGAGEMENT_LIKE",
                                                         "FEDIVERSE_ENGAGEMENT_REPOST"]
    assert {r["actorIRI"] for r in page["results"]} == {REMOTE}


async def test_the_go_live_round_posts_to_the_fediverse_too(rig: Rig) -> None:
    from owncast_core.services.notifications import NotificationService
    from owncast_core.testing.fakes import (
        InMemoryNotificationsRepository,
        ManualScheduler,
        RecordingBrowserPushNotifier,
        RecordingDiscordNotifier,
    )

    await add_followers(rig)
    notifications = NotificationService(
        config=rig.config, repository=InMemoryNotificationsRepository(), discord=RecordingDiscordNotifier(),
        browser_push=RecordingBrowserPushNotifier(), scheduler=ManualScheduler(rig.clock), clock=rig.clock,
        is_live=lambda: True, fediverse=rig.service.send_live)
    assert await notifications.notify_go_live() is True
    assert await notifications.notify_go_live() is False  # within 10 minutes: once
    await rig.service.idle()
    assert len(rig.http.posts("https://social.example/inbox")) == 1


async def test_unparsable_iris_are_refused_not_crashing(rig: Rig, remote: Remote) -> None:
    for actor in ("http://[broken", "http://a.example:port/u", "mailto:x@y", ""):
        body = follow(actor=actor)
        with pytest.raises(ValidationError):
            await rig.service.receive("streamer", method="POST", target=INBOX_TARGET,
                                      headers=remote.signed(body, rig.clock), body=body)
    body = follow()
    for key_id in ("http://[broken#k", "http://social.example:x/users/alice#main-key"):
        with pytest.raises(SignatureRejected):
            await rig.service.receive("streamer", method="POST", target=INBOX_TARGET,
                                      headers=remote.signed(body, rig.clock, key_id=key_id), body=body)


def test_remote_actor_documents() -> None:
    doc = {"id": REMOTE, "inbox": REMOTE_INBOX, "preferredUsername": "alice",
           "icon": [{"url": [{"href": "https://social.example/a.png"}]}],
           "publicKey": [{"id": f"{REMOTE}#k", "owner": REMOTE, "publicKeyPem": "PEM"}]}
    actor = RemoteActor.parse(doc)
    assert (actor.name, actor.username, actor.image, actor.key_id, actor.shared_inbox) == (
        "alice", "alice@social.example", "https://social.example/a.png", f"{REMOTE}#k", "")
    for broken in ({**doc, "publicKey": {"id": "k", "owner": "https://elsewhere.example/u", "publicKeyPem": "P"}},
                   {**doc, "inbox": None}, {**doc, "id": "urn:x"}, [], {**doc, "publicKey": None}):
        with pytest.raises(ValueError):
            RemoteActor.parse(broken)



async def test_profile_changes_are_sent_as_an_update(rig: Rig) -> None:
    from owncast_core.domain.events import ConfigChanged

    await add_followers(rig)
    await rig.config.set(Keys.SERVER_NAME, "Renamed TV")
    await rig.service.on_event(ConfigChanged(name="name", keys=(Keys.SERVER_NAME,), at=T0))
    await rig.service.on_event(ConfigChanged(name="streamtitle", keys=(Keys.STREAM_TITLE,), at=T0))
    await rig.service.idle()
    (update,) = rig.http.posts("https://social.example/inbox")
    assert (update["type"], update["actor"]) == ("Update", ACTOR)
    assert (update["object"]["id"], update["object"]["name"]) == (ACTOR, "Renamed TV")
    assert "@context" in update and "@context" not in update["object"]
    await rig.config.set(Keys.FEDERATION_ENABLED, False)
    await rig.service.on_event(ConfigChanged(name="name", keys=(Keys.SERVER_NAME,), at=T0))
    await rig.service.idle()
    assert len(rig.http.posts("https://social.example/inbox")) == 1


# --- engagement in chat (reference §2.3, §6.1) -----------------------------------------------------

@dataclass
class Engaged:
    service: FederationService
    chat: ChatRig
    transport: RecordingChatTransport
    webhooks: list[tuple[str, dict[str, object]]]


@pytest.fixture
async def engaged(rig: Rig, remote: Remote) -> Engaged:
    """The federation service wired to a real ``ChatService`` on fakes, with one chat client
    connected and the bus's chat events turned into webhook payloads as ``WebhookService`` does."""
    chat = await ChatRig().start()
    webhooks: list[tuple[str, dict[str, object]]] = []

    async def to_webhook(event: object) -> None:
        data = chat_event_data(event)
        if data is not None:
            webhooks.append(data)

    chat.bus.subscribe(to_webhook)
    _, transport, _ = await chat.join("Ada")
    service = FederationService(config=rig.config, followers=rig.followers, activities=rig.activities,
                                deliveries=rig.deliveries, domain_health=InMemoryDomainHealthRepository(),
                                crypto=rig.crypto, http=rig.http, clock=rig.clock,
                                ids=SequentialIds(), chat=chat.chat)
    await rig.activities.add_outbox(OutboxItem(object_id="live1", activity_id="create1", activity={}, created_at=T0,
                                               live_notification=True))
    await rig.activities.add_outbox(OutboxItem(object_id="note2", activity_id="create2", activity={}, created_at=T0))
    return Engaged(service, chat, transport, webhooks)


def engagement_frames(transport: RecordingChatTransport) -> list[dict[str, object]]:
    return [e for e in transport.events if str(e.get("type", "")).startswith("FEDIVERSE_ENGAGEMENT")]


async def test_engagement_is_shown_in_chat_with_owncasts_payload(rig: Rig, remote: Remote, engaged: Engaged) -> None:
    alice = RemoteActor.parse(remote.document())
    like = {"id": "https://social.example/likes/1", "type": "Like", "actor": REMOTE,
            "object": "https://tv.example/federation/live1"}
    await engaged.service.handle(json.loads(follow()), alice)
    await engaged.service.handle(like, alice)
    await engaged.service.handle({**like, "type": "Announce"}, alice)
    await engaged.service.handle({**like, "object": "https://tv.example/federation/note2"}, alice)
    await engaged.service.handle({**like, "type": "Announce", "object": "https://tv.example/federation/note2"}, alice)
    frames = engagement_frames(engaged.transport)
    assert [(f["type"], f["body"]) for f in frames] == [
        ("FEDIVERSE_ENGAGEMENT_FOLLOW", "<p>Alice followed this stream.</p>"),
        ("FEDIVERSE_ENGAGEMENT_LIKE", "<p>Alice liked that this stream went live.</p>"),
        ("FEDIVERSE_ENGAGEMENT_REPOST", "<p>Alice shared this stream with their followers.</p>"),
        ("FEDIVERSE_ENGAGEMENT_LIKE", "<p>Alice liked a post from Loopback TV.</p>"),
        ("FEDIVERSE_ENGAGEMENT_REPOST", "<p>Alice shared a post from Loopback TV.</p>"),
    ]
    first = frames[0]
    assert set(first) == {"type", "id", "timestamp", "body", "image", "title", "link", "user"}
    assert (first["image"], first["title"], first["link"], first["user"]) == (
        "https://social.example/a.png", "alice@social.example", REMOTE, {"displayName": "Test Server"})
    # kept in the chat history (``/api/chat``) with the same fields
    history = [h for h in await engaged.chat.chat.history() if h["type"].startswith("FEDIVERSE")]
    assert [h["id"] for h in history] == [f["id"] for f in frames]
    assert {k: history[0][k] for k in ("body", "image", "title", "link", "user")} == {
        k: first[k] for k in ("body", "image", "title", "link", "user")}
    # and published: the webhooks of the matching types
    assert [t for t, _ in engaged.webhooks] == [str(f["type"]) for f in frames]
    assert engaged.webhooks[0][1] == {"id": first["id"], "timestamp": first["timestamp"], "name": "Alice",
                                      "username": "alice@social.example", "image": "https://social.example/a.png"}
    assert engaged.webhooks[1][1]["body"] == frames[1]["body"] and engaged.webhooks[1][1]["link"] == REMOTE


async def test_engagement_is_shown_once_and_only_with_show_engagement(rig: Rig, remote: Remote,
                                                                      engaged: Engaged) -> None:
    alice = RemoteActor.parse(remote.document())
    like = {"id": "https://social.example/likes/1", "type": "Like", "actor": REMOTE,
            "object": "https://tv.example/federation/live1"}
    await engaged.service.handle(like, alice)
    await engaged.service.handle({**like, "id": "https://social.example/likes/again"}, alice)  # same actor + post
    await engaged.service.handle(json.loads(follow()), alice)
    await engaged.service.handle(json.loads(follow("https://social.example/follows/2")), alice)  # not the first
    await engaged.service.handle({**like, "object": "https://tv.example/federation/unknown"}, alice)  # not our post
    assert [f["type"] for f in engagement_frames(engaged.transport)] == ["FEDIVERSE_ENGAGEMENT_LIKE",
                                                                         "FEDIVERSE_ENGAGEMENT_FOLLOW"]
    await rig.config.set(Keys.FEDERATION_SHOW_ENGAGEMENT, False)
    bob = RemoteActor.parse(remote.document("https://social.example/users/bob"))
    await engaged.service.handle({**like, "actor": bob.iri}, bob)
    await engaged.service.handle(json.loads(follow("https://social.example/follows/3", bob.iri)), bob)
    assert len(engagement_frames(engaged.transport)) == 2 and len(engaged.webhooks) == 2
    assert await rig.followers.get(bob.iri) is not None  # still followed and recorded, just not shown
    assert (await rig.service.actions_page(0, 10))["total"] == 5


async def test_a_follow_waiting_for_approval_is_not_shown(rig: Rig, remote: Remote, engaged: Engaged) -> None:
    await rig.config.set(Keys.FEDERATION_PRIVATE, True)
    await engaged.service.handle(json.loads(follow()), RemoteActor.parse(remote.document()))
    assert engagement_frames(engaged.transport) == [] and engaged.webhooks == []


def test_engagement_texts() -> None:
    text = engagement_text
    assert text(LIKE_ACTION, actor_name="A", server_name="S", live=False) == "A liked a post from S."
    live = "A shared this stream with their followers."
    assert text(REPOST_ACTION, actor_name="A", server_name="S", live=True) == live
    with pytest.raises(ValueError, match="not an engagement"):
        text("CHAT", actor_name="A", server_name="S", live=False)


ACTOR = "https://tv.example/federation/user/streamer"


@pytest.mark.parametrize(("links", "expected"), [
    ([{"rel": REMOTE_FOLLOW_REL, "template": "https://m.example/authorize_interaction?uri={uri}"}],
     "https://m.example/authorize_interaction?uri=https%3A%2F%2Ftv.example%2Ffederation%2Fuser%2Fstreamer"),
    ([{"rel": "self", "href": "https://m.example/users/a"},
      {"rel": REMOTE_FOLLOW_REL, "template": "https://m.example/follow/{uri}/x"}],
     "https://m.example/follow/https%3A%2F%2Ftv.example%2Ffederation%2Fuser%2Fstreamer/x"),
    ([{"rel": REMOTE_FOLLOW_REL, "template": "javascript:alert(1)//{uri}"}], None),  # a browser is sent there
    ([{"rel": REMOTE_FOLLOW_REL, "template": "https://m.example/no-placeholder"}], None),
    ([{"rel": REMOTE_FOLLOW_REL}], None),
    ([{"rel": "self", "href": "https://m.example/users/a"}], None),
    ("not a list", None),
])
def test_remote_follow_url_expands_the_subscribe_template(links: object, expected: str | None) -> None:
    assert remote_follow_url({"links": links}, ACTOR) == expected
    assert remote_follow_url([], ACTOR) is None
