"""Federation end to end: the embedded server with its real adapters (SQLite, RSA keys made with
``cryptography``, httpx outbound, the web app) on 127.0.0.1 against a stub Fediverse server with
its own key (``tests/fediverse_stub.py``); only the transcoder is the fake one. Outbound requests
to loopback are allowed explicitly (``outbound_allow_private``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from dependency_injector import providers

from owncast_core.domain.config import Keys
from owncast_core.domain.delivery import CircuitBreakers
from owncast_core.testing.fakes import FakeTranscoder
from owncast_runners.container import Container
from owncast_runners.server import OwncastServer

from ..fediverse_stub import FediverseStub, InvalidSignature, verify_signed_request, verify_signed_response
from .in_process import loopback_settings, running_server
from .ws_client import RawWebSocket

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
    def configure(container: Container) -> None:
        container.notifications.add_kwargs(delay=1.0)  # the go-live round: 2 min in production

    async with running_server(tmp_path / "data", configure=configure, outbound_allow_private=True) as running:
        yield World(running.server, running.container, running.client)


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


async def test_served_documents_are_signed_with_the_actor_key(world: World) -> None:
    client = world.client
    await enable(client)
    await client.post("/api/admin/federation/send", auth=ADMIN, json={"value": "Hello"})
    reply = await client.get("/federation/user/streamer", headers=AP)
    public_pem = reply.json()["publicKey"]["publicKeyPem"]
    params = verify_signed_response(dict(reply.headers), reply.content, public_pem)
    assert params["keyId"] == f"{ACTOR}#main-key"
    note_id = (await client.get("/federation/user/streamer/outbox?page=1", headers=AP)).json()[
        "orderedItems"][0]["object"]["id"]
    for path in ("/federation/user/streamer/outbox", "/federation/user/streamer/outbox?page=1",
                 "/federation/user/streamer/followers", note_id.removeprefix(SERVER_URL)):
        served = await client.get(path, headers=AP)
        assert served.status_code == 200, path
        verify_signed_response(dict(served.headers), served.content, public_pem)
    with pytest.raises(InvalidSignature):  # the signature binds the body
        verify_signed_response({**dict(reply.headers), "digest": served.headers["digest"]}, served.content,
                               public_pem)


async def test_the_key_pair_survives_a_restart(tmp_path: Path) -> None:
    settings = loopback_settings(tmp_path / "data")
    keys = []
    for _ in range(2):
        container = Container(settings=settings)
        container.transcoder.override(providers.Object(FakeTranscoder()))
        server = OwncastServer(settings, container)
        await server.start()
        keys.append(container.config().string(Keys.FEDERATION_PRIVATE_KEY))
        await server.stop()
    assert keys[0].startswith("-----BEGIN RSA PRIVATE KEY-----") and keys[0] == keys[1]



# --- follows (slice 2) ----------------------------------------------------------------------------


def follow_activity(stub: FediverseStub, name: str = "alice", host: str = "127.0.0.1", n: int = 1) -> bytes:
    actor = stub.actor_iri(name, host)
    return json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/follows/{n}",
                       "type": "Follow", "actor": actor, "object": ACTOR}).encode()


async def post_inbox(world: World, stub: FediverseStub, body: bytes, *, name: str = "alice",
                     host: str = "127.0.0.1", **sign: object) -> httpx.Response:
    url = f"http://127.0.0.1:{world.server.web_port}/federation/user/streamer/inbox"
    headers = stub.sign(url, body, key_id=f"{stub.actor_iri(name, host)}#main-key", **sign)  # type: ignore[arg-type]
    return await world.client.post("/federation/user/streamer/inbox", content=body, headers=headers)


async def our_public_key(world: World) -> str:
    actor = (await world.client.get("/federation/user/streamer", headers=AP)).json()
    return str(actor["publicKey"]["publicKeyPem"])


async def test_a_signed_follow_is_accepted_with_our_signature(world: World, fedi: FediverseStub) -> None:
    client = world.client
    await enable(client)
    body = follow_activity(fedi)
    reply = await post_inbox(world, fedi, body)
    assert reply.status_code == 202, reply.text

    (accept,) = await fedi.wait_for(1)
    assert accept.path == "/users/alice/inbox"
    params = verify_signed_request("POST", accept.path, accept.headers, accept.body, await our_public_key(world))
    assert params["keyId"] == f"{ACTOR}#main-key"
    activity = json.loads(accept.body)
    assert (activity["type"], activity["actor"]) == ("Accept", ACTOR)
    assert activity["object"]["id"] == f"{fedi.actor_iri('alice')}/follows/1"
    # the signer's document was fetched with a signed GET too
    fetch = fedi.fetches[0]
    verify_signed_request("GET", fetch.path, {k.lower(): v for k, v in fetch.headers.items()}, None,
                          await our_public_key(world))

    assert (await client.get("/api/config")).json()["federation"]["followerCount"] == 1
    admin = (await client.get("/api/admin/followers", auth=ADMIN)).json()
    assert admin["total"] == 1
    (row,) = admin["results"]
    assert (row["link"], row["name"], row["username"], row["disabledAt"]) == (
        fedi.actor_iri("alice"), "Alice", "alice@127.0.0.1", None)
    assert row["image"] == f"http://127.0.0.1:{fedi.port}/alice.png"
    assert (await client.get("/api/followers")).json()["total"] == 1
    assert (await client.get("/api/admin/followers")).status_code == 401
    collection = (await client.get("/federation/user/streamer/followers?page=1", headers=AP)).json()
    assert collection["orderedItems"] == [fedi.actor_iri("alice")]

    undo = json.dumps({"id": f"{fedi.actor_iri('alice')}/undo/1", "type": "Undo", "actor": fedi.actor_iri("alice"),
                       "object": json.loads(body)}).encode()
    assert (await post_inbox(world, fedi, undo)).status_code == 202
    await asyncio.wait_for(world.container.federation().idle(), 5)
    assert "followerCount" not in (await client.get("/api/config")).json()["federation"]  # 0 is omitted
    assert (await client.get("/api/admin/followers", auth=ADMIN)).json() == {"total": 0, "results": []}


async def test_bad_requests_are_refused_and_nothing_is_stored(world: World, fedi: FediverseStub) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    client = world.client
    body = follow_activity(fedi)
    assert (await post_inbox(world, fedi, body)).status_code == 405  # federation is off
    await enable(client)

    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong_key = await post_inbox(world, fedi, body, key=impostor)
    assert wrong_key.status_code == 401 and "does not verify" in wrong_key.text
    wrong_digest = await post_inbox(world, fedi, body, digest_of=b"{}")
    assert wrong_digest.status_code == 401 and "Digest" in wrong_digest.text
    stale = await post_inbox(world, fedi, body, date="Mon, 01 Jan 2024 00:00:00 GMT")
    assert stale.status_code == 401 and "Date" in stale.text
    unsigned = await client.post("/federation/user/streamer/inbox", content=body)
    assert unsigned.status_code == 401 and "not signed" in unsigned.text
    malformed = await post_inbox(world, fedi, b"{not json")
    assert malformed.status_code == 400
    huge = await post_inbox(world, fedi, b"{" + b" " * (300 * 1024) + b"}")
    assert huge.status_code == 400 and "larger" in huge.text

    await admin_set(client, "federation/blockdomains", ["localhost"])
    blocked = await post_inbox(world, fedi, follow_activity(fedi, "mallory", "localhost"), name="mallory",
                               host="localhost")
    assert blocked.status_code == 403 and "blocked" in blocked.text

    garbage = [
        ({"signature": "nonsense"}, body),
        ({"signature": 'keyId="http://[x#k",signature="AAAA"'}, body),
        ({"signature": 'keyId="http://127.0.0.1:notaport/u#k",headers="(request-target) host date digest",'
                       'signature="AAAA"', "date": "x", "digest": "y"}, body),
        ({}, json.dumps({"type": "Follow", "actor": {"id": 5}}).encode()),
        ({}, json.dumps({"type": 1}).encode()),
        ({}, "\u00e9".encode("latin-1")),
    ]
    for headers, payload in garbage:
        reply = await client.post("/federation/user/streamer/inbox", content=payload, headers=headers)
        assert reply.status_code in (400, 401, 403), (headers, reply.status_code, reply.text)

    await asyncio.wait_for(world.container.federation().idle(), 5)
    assert fedi.inbox == []
    assert (await client.get("/api/admin/followers", auth=ADMIN)).json()["total"] == 0
    assert (await client.get("/api/admin/followers/pending", auth=ADMIN)).json() == []


async def test_private_mode_waits_for_the_streamer(world: World, fedi: FediverseStub) -> None:
    client = world.client
    await enable(client)
    await admin_set(client, "federation/private", True)
    assert (await post_inbox(world, fedi, follow_activity(fedi))).status_code == 202
    await asyncio.wait_for(world.container.federation().idle(), 5)
    (pending,) = (await client.get("/api/admin/followers/pending", auth=ADMIN)).json()
    assert pending["link"] == fedi.actor_iri("alice") and fedi.inbox == []
    assert "followerCount" not in (await client.get("/api/config")).json()["federation"]

    approve = await client.post("/api/admin/followers/approve", auth=ADMIN,
                                json={"actorIRI": fedi.actor_iri("alice"), "approved": True})
    assert approve.status_code == 200, approve.text
    (accept,) = await fedi.wait_for(1)
    assert json.loads(accept.body)["type"] == "Accept"
    verify_signed_request("POST", accept.path, accept.headers, accept.body, await our_public_key(world))
    assert (await client.get("/api/config")).json()["federation"]["followerCount"] == 1
    assert (await client.get("/api/admin/followers/pending", auth=ADMIN)).json() == []

    reject = await client.post("/api/admin/followers/approve", auth=ADMIN,
                               json={"actorIRI": fedi.actor_iri("alice"), "approved": False})
    assert reject.status_code == 200
    (_, rejected) = await fedi.wait_for(2)
    assert json.loads(rejected.body)["type"] == "Reject"
    (blocked,) = (await client.get("/api/admin/followers/blocked", auth=ADMIN)).json()
    assert blocked["link"] == fedi.actor_iri("alice") and blocked["disabledAt"] is not None
    bad = await client.post("/api/admin/followers/approve", auth=ADMIN, json={"actorIRI": "x", "approved": True})
    assert bad.status_code == 400



# --- posting (slice 3) ----------------------------------------------------------------------------


async def publish(rtmp_port: int, seconds: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi",
        "-i", "testsrc2=size=160x120:rate=15", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
        "-f", "flv", f"rtmp://127.0.0.1:{rtmp_port}/live/abc123",
    )


async def test_go_live_note_and_admin_posts_reach_followers(world: World, fedi: FediverseStub) -> None:
    client = world.client
    await enable(client)
    await admin_set(client, "streamtitle", "Friday jam")
    await admin_set(client, "tags", ["game dev"])
    assert (await post_inbox(world, fedi, follow_activity(fedi))).status_code == 202
    await fedi.wait_for(1)  # the Accept
    world.server.settings.thumbnail_path.write_bytes(b"\xff\xd8\xff\xd9")  # as the transcoder leaves it

    ffmpeg = await publish(world.server.rtmp_port, 20)
    try:
        (_, live) = await fedi.wait_for(2, timeout=30)
    finally:
        if ffmpeg.returncode is None:
            ffmpeg.kill()
        await ffmpeg.wait()

    assert live.path == "/inbox"  # the shared inbox is preferred
    verify_signed_request("POST", live.path, live.headers, live.body, await our_public_key(world))
    create = json.loads(live.body)
    note = create["object"]
    assert (create["type"], create["actor"], note["type"]) == ("Create", ACTOR, "Note")
    assert note["content"].startswith("<p>I've gone live!</p><p>Friday jam</p>")
    assert '<a class="hashtag" href="https://owncast.directory/tags/gamedev">#gamedev</a>' in note["content"]
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    (attachment,) = note["attachment"]
    assert attachment["url"].startswith(f"{SERVER_URL}/thumbnail.jpg?us=") and attachment["mediaType"] == "image/jpeg"

    object_path = note["id"].removeprefix(SERVER_URL)
    served = await client.get(object_path, headers=AP)
    assert served.status_code == 200 and served.json()["content"] == note["content"]
    assert (await client.get(object_path)).status_code == 307
    outbox = (await client.get("/federation/user/streamer/outbox?page=1", headers=AP)).json()
    assert [a["id"] for a in outbox["orderedItems"]] == [create["id"]]

    sent = await client.post("/api/admin/federation/send", auth=ADMIN, json={"value": "Hello #fediverse"})
    assert sent.status_code == 200, sent.text
    (_, _, post) = await fedi.wait_for(3)
    verify_signed_request("POST", post.path, post.headers, post.body, await our_public_key(world))
    assert '<a class="hashtag" href="https://owncast.directory/tags/fediverse">#fediverse</a>' in json.loads(
        post.body)["object"]["content"]
    assert (await client.get("/federation/user/streamer/outbox", headers=AP)).json()["totalItems"] == 2
    assert (await client.post("/api/admin/federation/send", auth=ADMIN, json={"value": ""})).status_code == 400

    await admin_set(client, "name", "Renamed TV")  # a profile change reaches the followers as an Update
    (*_, update) = await fedi.wait_for(4)
    verify_signed_request("POST", update.path, update.headers, update.body, await our_public_key(world))
    assert (json.loads(update.body)["type"], json.loads(update.body)["object"]["name"]) == ("Update", "Renamed TV")

    actions = (await client.get("/api/admin/federation/actions", auth=ADMIN)).json()
    assert actions["total"] == 1
    assert (actions["results"][0]["type"], actions["results"][0]["actorIRI"]) == (
        "FEDIVERSE_ENGAGEMENT_FOLLOW", fedi.actor_iri("alice"))


# --- engagement in chat (reference §2.3, §6.1) ----------------------------------------------------


async def next_engagement(ws: RawWebSocket) -> dict[str, object]:
    while True:
        frame = json.loads(await ws.text())
        if str(frame.get("type", "")).startswith("FEDIVERSE_ENGAGEMENT"):
            return dict(frame)


async def test_signed_engagement_reaches_a_chat_client_over_the_websocket(world: World,
                                                                          fedi: FediverseStub) -> None:
    client = world.client
    await enable(client)
    await admin_set(client, "name", "Loopback TV")
    user = (await client.post("/api/chat/register", json={"displayName": "Viewer"})).json()
    ws = await RawWebSocket.connect(world.server.web_port, f"/ws?accessToken={user['accessToken']}")
    assert ws.status == 101
    try:
        assert (await post_inbox(world, fedi, follow_activity(fedi))).status_code == 202
        followed = await next_engagement(ws)
        alice = fedi.actor_iri("alice")
        assert {k: followed[k] for k in ("type", "body", "image", "title", "link", "user")} == {
            "type": "FEDIVERSE_ENGAGEMENT_FOLLOW", "body": "<p>Alice followed this stream.</p>",
            "image": f"http://127.0.0.1:{fedi.port}/alice.png", "title": "alice@127.0.0.1", "link": alice,
            "user": {"displayName": "Loopback TV"}}

        sent = await client.post("/api/admin/federation/send", auth=ADMIN, json={"value": "Hello"})
        assert sent.status_code == 200, sent.text
        note = (await client.get("/federation/user/streamer/outbox?page=1", headers=AP)).json()["orderedItems"][0]
        like = json.dumps({"id": f"{alice}/likes/1", "type": "Like", "actor": alice,
                           "object": note["object"]["id"]}).encode()
        for _ in range(2):  # the same like twice is shown once
            assert (await post_inbox(world, fedi, like)).status_code == 202
        await asyncio.wait_for(world.container.federation().idle(), 5)
        liked = await next_engagement(ws)
        assert (liked["type"], liked["body"]) == ("FEDIVERSE_ENGAGEMENT_LIKE",
                                                  "<p>Alice liked a post from Loopback TV.</p>")
        with pytest.raises(TimeoutError):
            await next_engagement_within(ws, 0.5)
    finally:
        await ws.close()
    await world.container.chat().flush()
    history = (await client.get("/api/chat", params={"accessToken": user["accessToken"]})).json()
    assert [(h["type"], h["id"]) for h in history if h["type"].startswith("FEDIVERSE")] == [
        ("FEDIVERSE_ENGAGEMENT_FOLLOW", followed["id"]), ("FEDIVERSE_ENGAGEMENT_LIKE", liked["id"])]


async def next_engagement_within(ws: RawWebSocket, seconds: float) -> dict[str, object]:
    return await asyncio.wait_for(next_engagement(ws), seconds)


# --- the durable delivery queue ------------------------------------------------------------------


@asynccontextmanager
async def running(data_dir: Path, **federation: object) -> AsyncIterator[World]:
    """The server on ``data_dir`` (a real SQLite file), with ``federation`` keyword arguments
    added to ``FederationService`` (short retry delays)."""
    async with running_server(data_dir, configure=lambda c: c.federation.add_kwargs(**federation),
                              outbound_allow_private=True) as server:
        yield World(server.server, server.container, server.client)


async def follow_and_accept(world: World, fedi: FediverseStub) -> None:
    await enable(world.client)
    assert (await post_inbox(world, fedi, follow_activity(fedi))).status_code == 202
    (accept,) = await fedi.wait_for(1)
    assert json.loads(accept.body)["type"] == "Accept"


async def test_a_post_reaches_a_server_that_fails_three_times_then_answers(tmp_path: Path,
                                                                            fedi: FediverseStub) -> None:
    async with running(tmp_path / "data", retry_delays=(0.2, 0.2, 0.2, 0.2)) as world:
        await follow_and_accept(world, fedi)
        fedi.answers = [503, 500, 429]
        sent = await world.client.post("/api/admin/federation/send", auth=ADMIN, json={"value": "Hello #fediverse"})
        assert sent.status_code == 200, sent.text
        deliveries = await fedi.wait_for(5, timeout=10)
        posts = deliveries[1:]
        assert [d.body for d in posts] == [posts[0].body] * 4  # the same activity, tried four times
        for post in posts:  # each attempt signed afresh, each verifies with our published key
            verify_signed_request("POST", post.path, post.headers, post.body, await our_public_key(world))
        assert json.loads(posts[-1].body)["object"]["content"].startswith("<p>Hello")
        await asyncio.wait_for(world.container.federation().idle(), 5)
        queue = (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json()
        assert queue == {"total": 0, "results": [], "pausedDomains": [], "unavailableDomains": []}
        assert (await world.client.get("/api/admin/federation/deliveries")).status_code == 401


async def test_410_gone_removes_the_follower(tmp_path: Path, fedi: FediverseStub) -> None:
    async with running(tmp_path / "data") as world:
        await enable(world.client)
        fedi.answers = [410]  # the Accept finds the account deleted
        assert (await post_inbox(world, fedi, follow_activity(fedi))).status_code == 202
        await fedi.wait_for(1)
        await asyncio.wait_for(world.container.federation().idle(), 5)
        assert (await world.client.get("/api/admin/followers", auth=ADMIN)).json() == {"total": 0, "results": []}
        assert (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json()["total"] == 0


async def test_pending_deliveries_survive_a_restart(tmp_path: Path, fedi: FediverseStub) -> None:
    data = tmp_path / "data"
    async with running(data, retry_delays=(2.0,)) as world:
        await follow_and_accept(world, fedi)
        fedi.answers = [503]
        sent = await world.client.post("/api/admin/federation/send", auth=ADMIN, json={"value": "Before the restart"})
        assert sent.status_code == 200
        await fedi.wait_for(2)
        await asyncio.wait_for(world.container.federation().idle(), 5)  # the failure is recorded
        queue = (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json()
        (pending,) = queue["results"]
        assert (queue["total"], pending["type"], pending["attempts"], pending["lastError"]) == (
            1, "Create", 1, "HTTP 503")
        assert pending["inbox"] == f"http://127.0.0.1:{fedi.port}/inbox"
    assert len(fedi.inbox) == 2  # stopped before the retry

    async with running(data) as world:  # a new process on the same database
        (*_, resumed) = await fedi.wait_for(3)
        assert json.loads(resumed.body)["object"]["content"] == "<p>Before the restart</p>"
        verify_signed_request("POST", resumed.path, resumed.headers, resumed.body, await our_public_key(world))
        await asyncio.wait_for(world.container.federation().idle(), 5)
        assert (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json()["total"] == 0


async def test_a_paused_server_stays_paused_after_a_restart_until_the_admin_tries_it_again(
        tmp_path: Path, fedi: FediverseStub) -> None:
    data, domain = tmp_path / "data", f"127.0.0.1:{fedi.port}"
    async with running(data, retry_delays=(0.01,), breakers=CircuitBreakers(threshold=1, pause=3600)) as world:
        await follow_and_accept(world, fedi)
        fedi.answers = [503]
        sent = await world.client.post("/api/admin/federation/send", auth=ADMIN, json={"value": "Paused"})
        assert sent.status_code == 200
        await fedi.wait_for(2)
        await asyncio.wait_for(world.container.federation().idle(), 5)
        before = (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json()
        assert [p["domain"] for p in before["pausedDomains"]] == [domain] and before["total"] == 1

    async with running(data, retry_delays=(0.01,)) as world:  # a new process on the same database
        queue = (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json()
        assert queue["pausedDomains"] == before["pausedDomains"] and queue["unavailableDomains"] == []
        (pending,) = queue["results"]
        assert datetime.fromisoformat(pending["nextAttemptAt"]) < datetime.now(UTC)  # due, but the domain is paused
        assert await world.container.federation().deliver_due() == 0
        assert len(fedi.inbox) == 2

        url = "/api/admin/federation/deliveries/retry-domain"
        assert (await world.client.post(url, json={"domain": domain})).status_code == 401
        for body, message in (({}, "expected {domain: string}"),
                              ({"domain": "nowhere.example"}, "nowhere.example is neither paused nor unavailable")):
            refused = await world.client.post(url, auth=ADMIN, json=body)
            assert refused.status_code == 400 and message in refused.json()["message"], refused.text
        tried = await world.client.post(url, auth=ADMIN, json={"domain": domain})
        assert tried.status_code == 200 and tried.json() == {"success": True,
                                                              "message": f"deliveries to {domain} resume now"}
        (*_, resumed) = await fedi.wait_for(3)  # the worker was woken: sent at once
        assert json.loads(resumed.body)["object"]["content"] == "<p>Paused</p>"
        await asyncio.wait_for(world.container.federation().idle(), 5)
        assert (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json() == {
            "total": 0, "results": [], "pausedDomains": [], "unavailableDomains": []}


async def test_an_unavailable_server_is_left_out_until_it_sends_us_an_activity(tmp_path: Path,
                                                                               fedi: FediverseStub) -> None:
    domain = f"127.0.0.1:{fedi.port}"
    # a week of silence shortened to nothing: the first failure marks the server unavailable
    async with running(tmp_path / "data", breakers=CircuitBreakers(threshold=1, unavailable_after=0)) as world:
        await enable(world.client)
        fedi.answers = [503]  # the Accept fails
        assert (await post_inbox(world, fedi, follow_activity(fedi))).status_code == 202
        await fedi.wait_for(1)
        await asyncio.wait_for(world.container.federation().idle(), 5)
        queue = (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json()
        (unavailable,) = queue["unavailableDomains"]
        assert unavailable["domain"] == domain and datetime.fromisoformat(unavailable["since"]) <= datetime.now(UTC)
        assert queue["total"] == 0  # the Accept was given up with it

        sent = await world.client.post("/api/admin/federation/send", auth=ADMIN, json={"value": "Not for them"})
        assert sent.status_code == 200
        assert (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json()["total"] == 0

        note = (await world.client.get("/federation/user/streamer/outbox?page=1", headers=AP)).json()
        like = json.dumps({"id": f"{fedi.actor_iri('alice')}/likes/1", "type": "Like", "actor": fedi.actor_iri("alice"),
                           "object": note["orderedItems"][0]["object"]["id"]}).encode()
        assert (await post_inbox(world, fedi, like)).status_code == 202
        queue = (await world.client.get("/api/admin/federation/deliveries", auth=ADMIN)).json()
        assert queue["unavailableDomains"] == [] and queue["pausedDomains"] == []
        sent = await world.client.post("/api/admin/federation/send", auth=ADMIN, json={"value": "Welcome back"})
        assert sent.status_code == 200
        (*_, post) = await fedi.wait_for(2)
        assert json.loads(post.body)["object"]["content"].startswith("<p>Welcome back")


# --- remote follow -------------------------------------------------------------------------------


async def test_remote_follow_sends_the_viewer_to_their_servers_follow_page(tmp_path: Path,
                                                                           fedi: FediverseStub) -> None:
    async with running_server(tmp_path / "data", configure=lambda c: c.webfinger.add_kwargs(scheme="http"),
                              outbound_allow_private=True) as server:
        world = World(server.server, server.container, server.client)
        url = "/api/remotefollow"
        account = f"@viewer@127.0.0.1:{fedi.port}"
        off = await world.client.post(url, json={"account": account})
        assert off.status_code == 400 and "does not federate" in off.json()["message"]
        await enable(world.client)

        reply = await world.client.post(url, json={"account": account})
        assert reply.status_code == 200, reply.text
        actor = f"{SERVER_URL}/federation/user/streamer"
        assert reply.json() == {
            "redirectUrl": f"http://127.0.0.1:{fedi.port}/authorize_interaction?uri={quote(actor, safe='')}"}
        assert any("resource=acct" in f.path and "viewer" in f.path for f in fedi.fetches)

        for body, message in (
            (b"{oops", "unable to parse request"),
            (b"{}", "Remote Fediverse account is required to follow."),
            (b'{"account": "not an account"}', "account must look like"),
            (b'{"account": "@viewer@127.0.0.1:1"}', "unable to reach 127.0.0.1:1"),
        ):
            bad = await world.client.post(url, content=body)
            assert bad.status_code == 400 and message in bad.json()["message"], (body, bad.text)
