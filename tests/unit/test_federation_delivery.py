"""The outbound delivery queue of FederationService on fakes with a fake clock: the retry schedule,
Retry-After, final answers, 410 Gone, the per-domain circuit breaker, per-inbox order, batches,
HTTPS-only targets, resuming after a restart and the admin view."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.activitypub import Follower
from owncast_core.domain.config import Keys
from owncast_core.domain.delivery import (
    RETRY_DELAYS,
    CircuitBreakers,
    Verdict,
    delivery_domain,
    judge,
    next_attempt,
    retry_after_seconds,
)
from owncast_core.domain.http_signatures import digest_matches, parse_signature, signing_string
from owncast_core.errors import DeliveryFailed, DeliveryRefused, SignatureRejected
from owncast_core.ports.activitypub import HttpReply
from owncast_core.services.config import ConfigService
from owncast_core.services.federation import FederationService
from owncast_core.testing.fakes import (
    FakeClock,
    FakeFederationCrypto,
    InMemoryActivityPubRepository,
    InMemoryConfigRepository,
    InMemoryDeliveryQueue,
    InMemoryDomainHealthRepository,
    InMemoryFollowersRepository,
    PlainPasswordHasher,
    RecordingFederationHttp,
    SequentialIds,
)

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
ACTOR = "https://tv.example/federation/user/streamer"
SHARED = "https://social.example/inbox"
LOG = "owncast.federation"


class CountingHttp(RecordingFederationHttp):
    """Yields to the loop inside each POST, records the most requests in flight at once and
    lets a test wait for POSTs (``wait_posts``)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.most_in_flight = 0
        self.posted = asyncio.Event()

    async def wait_posts(self, url: str, count: int) -> None:
        async with asyncio.timeout(5):
            while sum(1 for method, u, _, _ in self.requests if method == "POST" and u == url) < count:
                self.posted.clear()
                await self.posted.wait()

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float,
                   max_body: int = 0) -> HttpReply:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            return await super().post(url, body=body, headers=headers, timeout=timeout, max_body=max_body)
        finally:
            self.in_flight -= 1
            self.posted.set()


@dataclass
class Rig:
    service: FederationService
    config: ConfigService
    followers: InMemoryFollowersRepository
    queue: InMemoryDeliveryQueue
    health: InMemoryDomainHealthRepository
    clock: FakeClock
    http: CountingHttp
    crypto: FakeFederationCrypto
    pauses: list[float]

    def make(self, **kwargs: object) -> FederationService:
        """Another service on the same stores (a restart)."""
        return FederationService(config=self.config, followers=self.followers,
                                 activities=InMemoryActivityPubRepository(), deliveries=self.queue,
                                 domain_health=self.health,
                                 crypto=self.crypto, http=self.http, clock=self.clock, ids=SequentialIds("r"),
                                 **kwargs)  # type: ignore[arg-type]

    async def advance(self, seconds: float) -> int:
        self.clock.advance(seconds)
        return await self.service.deliver_due()

    def posts(self, url: str) -> int:
        return sum(1 for method, u, _, _ in self.http.requests if method == "POST" and u == url)


async def make_rig(**kwargs: object) -> Rig:
    clock = FakeClock(T0)
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    await config.set_many({Keys.SERVER_URL: "https://tv.example", Keys.FEDERATION_ENABLED: True})
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    rig = Rig(service=None, config=config, followers=InMemoryFollowersRepository(),  # type: ignore[arg-type]
              queue=InMemoryDeliveryQueue(), health=InMemoryDomainHealthRepository(),
              clock=clock, http=CountingHttp(), crypto=FakeFederationCrypto(),
              pauses=pauses)
    rig.service = rig.make(sleep=sleep, **kwargs)
    await rig.service.start()
    return rig


@pytest.fixture
async def rig() -> Rig:
    # a high breaker threshold: these tests look at one inbox's schedule, not at the breaker
    return await make_rig(breakers=CircuitBreakers(threshold=100))


async def add_follower(rig: Rig, n: int, *, host: str = "social.example", shared: str = "",
                       reply: HttpReply | BaseException | None = None) -> Follower:
    """An approved follower on ``host`` whose inbox answers ``reply`` (202 by default)."""
    at = T0 + timedelta(seconds=n)
    follower = Follower(actor_iri=f"https://{host}/users/u{n}", inbox=f"https://{host}/users/u{n}/inbox",
                        shared_inbox=shared, name=f"U{n}", username=f"u{n}@{host}", image="", created_at=at,
                        approved_at=at)
    await rig.followers.save(follower)
    rig.http.routes[follower.delivery_inbox] = HttpReply(202) if reply is None else reply
    return follower


# --- the pure rules ---------------------------------------------------------------------------------


def test_verdicts_and_the_schedule() -> None:
    assert [judge(s) for s in (200, 202, 204)] == [Verdict.DELIVERED] * 3
    assert [judge(s) for s in (408, 429, 500, 502, 503, 504)] == [Verdict.RETRY] * 6
    assert [judge(s) for s in (301, 400, 401, 403, 404, 405, 413, 422)] == [Verdict.FINAL] * 8
    assert judge(410) is Verdict.GONE
    assert RETRY_DELAYS == (60.0, 300.0, 1800.0, 7200.0, 21600.0)
    assert [next_attempt(n, T0) for n in (1, 5)] == [T0 + timedelta(minutes=1), T0 + timedelta(hours=6)]
    assert next_attempt(6, T0) is None and next_attempt(0, T0) is None
    assert next_attempt(1, T0, retry_after=600) == T0 + timedelta(minutes=10)  # later when asked
    assert next_attempt(2, T0, retry_after=5) == T0 + timedelta(minutes=5)  # never earlier than the schedule
    assert next_attempt(1, T0, retry_after=10**9) == T0 + timedelta(hours=6)  # within reason
    assert retry_after_seconds("120", T0) == 120.0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:30:00 GMT", T0) == 1800.0
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", T0) == 0.0
    assert [retry_after_seconds(v, T0) for v in (None, "", "soon", "-5")] == [None] * 4
    assert [delivery_domain(u) for u in ("https://Social.Example/inbox", "http://127.0.0.1:8080/i", "x")] == [
        "social.example", "127.0.0.1:8080", ""]


def test_the_circuit_breaker_alone() -> None:
    breakers = CircuitBreakers(threshold=3, pause=600, max_pause=1500)
    assert [breakers.failure("a.example", T0) for _ in range(2)] == [None, None]
    assert breakers.success("a.example") is False  # an answer resets the count; nothing had opened
    assert [breakers.failure("a.example", T0) for _ in range(4)] == [None, None, 600, None]  # the 4th: open already
    assert breakers.paused(T0) == {"a.example": T0 + timedelta(minutes=10)} and breakers.tripped("a.example")
    later = T0 + timedelta(minutes=10)
    assert breakers.paused(later) == {} and breakers.half_open(later) == {"a.example"}
    assert breakers.failure("a.example", later) == 1200  # the probe failed: twice as long
    assert breakers.failure("a.example", later + timedelta(minutes=20)) == 1500  # up to the maximum
    assert breakers.success("a.example") is True and breakers.paused(later) == {} and not breakers.tripped("a.example")


# --- the service ------------------------------------------------------------------------------------


async def test_the_retry_schedule_then_a_give_up_a_streamer_understands(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    follower = await add_follower(rig, 1, reply=HttpReply(503))
    await rig.service.send_note("Tonight at 8")
    assert await rig.service.deliver_due() == 1
    for delay in RETRY_DELAYS:
        (queued,) = await rig.queue.list()
        assert (queued.attempts, queued.last_error) == (RETRY_DELAYS.index(delay) + 1, "HTTP 503")
        assert queued.next_attempt_at == rig.clock.now() + timedelta(seconds=delay)
        assert await rig.advance(delay - 1) == 0  # not before it is due
        assert await rig.advance(1) == 1
    assert rig.posts(follower.inbox) == 6 and await rig.queue.list() == []
    assert ("Fediverse: gave up delivering your post to social.example after 6 attempts over 8 h 36 min "
            "(last error: HTTP 503); followers on social.example will not see it") in caplog.text
    assert "attempt 1 of 6, next in 1 min" in caplog.text and "attempt 5 of 6, next in 6 h" in caplog.text


async def test_a_failing_inbox_is_retried_and_does_not_stop_the_others(rig: Rig,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    down = await add_follower(rig, 1, reply=DeliveryFailed("connection refused"))
    up = await add_follower(rig, 2, host="other.example")
    await rig.service.send_live()
    await rig.service.idle()
    assert (rig.posts(down.inbox), rig.posts(up.inbox)) == (1, 1)
    assert [(d.inbox, d.last_error) for d in await rig.queue.list()] == [(down.inbox, "connection refused")]
    rig.http.routes[down.inbox] = DeliveryFailed("no answer within 10 s")
    assert await rig.advance(60) == 1
    rig.http.routes[down.inbox] = HttpReply(202)
    assert await rig.advance(300) == 1
    assert await rig.queue.list() == [] and rig.posts(down.inbox) == 3 and rig.posts(up.inbox) == 1
    assert "Fediverse: delivered a post to social.example at attempt 3" in caplog.text
    # every attempt was signed afresh: the last one with the clock of its own time
    _, _, headers, body = [r for r in rig.http.requests if r[1] == down.inbox][-1]
    params = parse_signature(headers["signature"])
    text = signing_string(params.headers, method="POST", target="/users/u1/inbox", headers=headers)
    assert rig.crypto.verify(rig.config.string(Keys.FEDERATION_PUBLIC_KEY), text, params.signature)
    assert digest_matches(headers["digest"], body) and headers["date"] == "Thu, 01 Jan 2026 12:06:00 GMT"


async def test_retry_after_is_honoured_within_reason(rig: Rig) -> None:
    follower = await add_follower(rig, 1, reply=HttpReply(429, headers={"retry-after": "900"}))
    await rig.service.send_note("hello")
    await rig.service.deliver_due()
    assert (await rig.queue.list())[0].next_attempt_at == T0 + timedelta(minutes=15)
    rig.http.routes[follower.inbox] = HttpReply(503, headers={"retry-after": "86400000"})
    assert await rig.advance(900) == 1
    assert (await rig.queue.list())[0].next_attempt_at == rig.clock.now() + timedelta(hours=6)


@pytest.mark.parametrize(("status", "retried"), [(400, False), (401, False), (403, False), (404, False),
                                                 (301, False), (408, True), (500, True)])
async def test_which_answers_are_final(rig: Rig, status: int, retried: bool, caplog: pytest.LogCaptureFixture) -> None:
    follower = await add_follower(rig, 1, reply=HttpReply(status))
    await rig.service.send_note("hello")
    await rig.service.deliver_due()
    assert [d.attempts for d in await rig.queue.list()] == ([1] if retried else [])
    if not retried:
        assert (f"Fediverse: could not deliver your post to {follower.inbox} (HTTP {status}); not retrying"
                in caplog.text)
    assert await rig.followers.get(follower.actor_iri) is not None


async def test_410_gone_removes_a_deleted_account_but_not_a_whole_shared_inbox(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    gone = await add_follower(rig, 1, reply=HttpReply(410))
    shared_1 = await add_follower(rig, 2, host="big.example", shared="https://big.example/inbox",
                                  reply=HttpReply(410))
    await rig.service.send_note("hello")
    await rig.service.deliver_due()
    assert await rig.followers.get(gone.actor_iri) is None
    assert await rig.followers.get(shared_1.actor_iri) is not None
    assert await rig.queue.list() == [] and await rig.service.follower_count() == 1
    assert "u1@social.example no longer exists (410 Gone); removed from the followers" in caplog.text


async def test_the_breaker_pauses_a_failing_domain_once_and_keeps_its_deliveries(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig()  # the default breaker: 5 failures in a row, 10 min, doubled up to 1 h
    down = [await add_follower(rig, n, host="down.example", reply=DeliveryFailed("connection refused"))
            for n in range(1, 7)]
    up = await add_follower(rig, 9, host="up.example")
    await rig.service.send_note("hello")
    assert await rig.service.deliver_due() == 7  # one batch: all went before the breaker opened
    assert caplog.text.count("down.example is not answering") == 1
    assert "pausing deliveries to it for 10 min, they stay queued" in caplog.text
    status = await rig.service.delivery_status(0, 10)
    assert status["total"] == 6 and status["pausedDomains"] == [
        {"domain": "down.example", "until": (T0 + timedelta(minutes=10)).isoformat()}]
    assert {r["domain"] for r in status["results"]} == {"down.example"}
    assert status["results"][0]["type"] == "Create" and status["results"][0]["attempts"] == 1

    assert await rig.advance(60) == 0  # the retries are due, the domain is paused
    assert await rig.advance(540) == 1  # the pause is over: one probe, which fails
    assert await rig.advance(600) == 0  # paused again, for 20 min now
    assert caplog.text.count("down.example is not answering") == 1  # logged once
    assert sorted(d.attempts for d in await rig.queue.list()) == [1, 1, 1, 1, 1, 2]  # untried ones kept theirs

    for follower in down:
        rig.http.routes[follower.inbox] = HttpReply(202)
    assert await rig.advance(600) == 6  # the probe succeeds and the rest follow at once
    assert await rig.queue.list() == [] and rig.posts(up.inbox) == 1
    assert "Fediverse: down.example answers again; resuming deliveries to it" in caplog.text


async def test_one_inbox_gets_its_activities_in_order(rig: Rig) -> None:
    follower = await add_follower(rig, 1, reply=HttpReply(503))
    await rig.service.send_note("first")
    await rig.service.deliver_due()
    await rig.service.send_note("second")
    assert await rig.service.deliver_due() == 0  # waits behind the first
    rig.http.routes[follower.inbox] = HttpReply(202)
    assert await rig.advance(60) == 2
    contents = [p["object"]["content"] for p in rig.http.posts(follower.inbox)]
    assert contents == ["<p>first</p>", "<p>first</p>", "<p>second</p>"]


async def test_batches_of_50_with_a_pause_and_bounded_concurrency(rig: Rig) -> None:
    for n in range(120):
        await add_follower(rig, n, host=f"h{n}.example")
    await rig.service.send_note("hello")
    assert await rig.service.deliver_due() == 120
    assert rig.pauses == [0.1, 0.1] and 1 < rig.http.most_in_flight <= 8
    assert await rig.queue.count() == 0


async def test_only_https_targets_unless_insecure_is_allowed(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    insecure = Follower(actor_iri="http://plain.example/users/a", inbox="http://plain.example/users/a/inbox",
                        name="", username="a@plain.example", image="", created_at=T0, approved_at=T0)
    await rig.followers.save(insecure)
    rig.http.routes[insecure.inbox] = HttpReply(202)
    await rig.service.send_note("hello")
    await rig.service.deliver_due()
    assert rig.posts(insecure.inbox) == 0 and await rig.queue.list() == []
    assert "(the inbox is not an https:// URL); not retrying" in caplog.text
    with pytest.raises(SignatureRejected, match="https"):
        await rig.service._remote_actor("http://plain.example/users/a")
    assert not any(method == "GET" for method, *_ in rig.http.requests)

    allowed = rig.make(allow_insecure=True)
    await allowed.send_note("again")
    await allowed.deliver_due()
    assert rig.posts(insecure.inbox) == 1


async def test_a_refused_target_is_final(rig: Rig) -> None:
    follower = await add_follower(rig, 1, reply=DeliveryRefused("social.example resolves to a private address"))
    await rig.service.send_note("hello")
    await rig.service.deliver_due()
    assert rig.posts(follower.inbox) == 1 and await rig.queue.list() == []


async def test_one_inbox_delivery_for_a_direct_message(rig: Rig) -> None:
    rig.http.routes["https://social.example/users/bob/inbox"] = HttpReply(202)
    note = {"@context": "https://www.w3.org/ns/activitystreams", "id": "https://tv.example/federation/dm1",
            "type": "Create", "actor": ACTOR, "object": {"type": "Note", "content": "<p>123456</p>"}}
    assert await rig.service.deliver_to(note, ["https://social.example/users/bob/inbox"] * 2) == 1
    await rig.service.idle()
    (sent,) = rig.http.posts("https://social.example/users/bob/inbox")
    assert sent == note and await rig.queue.count() == 0


async def test_a_restart_resumes_the_queue(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    follower = await add_follower(rig, 1, reply=DeliveryFailed("connection refused"))
    await rig.service.send_note("posted before the restart")
    await rig.service.deliver_due()
    await rig.service.close()

    rig.http.routes[follower.inbox] = HttpReply(202)
    rig.clock.advance(60)
    restarted = rig.make()
    restarted.start_worker()  # the real worker task, on the fake clock
    try:
        await rig.http.wait_posts(follower.inbox, 2)
    finally:
        await restarted.close()
    assert json.loads(rig.http.requests[-1][3])["object"]["content"] == "<p>posted before the restart</p>"
    assert await rig.queue.count() == 0
    assert "resuming 1 Fediverse deliveries queued before the restart" in caplog.text


async def test_the_worker_wakes_up_for_new_deliveries(rig: Rig) -> None:
    follower = await add_follower(rig, 1)
    rig.service.start_worker()
    try:
        await asyncio.sleep(0.05)  # the worker is waiting on an empty queue
        await rig.service.send_note("hello")
        await rig.http.wait_posts(follower.inbox, 1)
    finally:
        await rig.service.close()


async def test_an_unexpected_error_is_backed_off_not_looped(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    follower = await add_follower(rig, 1)
    await rig.service.send_note("hello")

    def broken(private_pem: str, data: bytes) -> bytes:
        raise ValueError("unreadable private key")

    rig.crypto.sign = broken  # type: ignore[method-assign]  # signing now fails inside the attempt
    assert await asyncio.wait_for(rig.service.deliver_due(), 5) == 1
    (queued,) = await rig.queue.list()
    assert queued.attempts == 1 and "unreadable private key" in queued.last_error
    assert rig.posts(follower.inbox) == 0 and "could not deliver to" in caplog.text


def bob_document(host: str = "social.example", scheme: str = "https") -> dict[str, object]:
    iri = f"{scheme}://{host}/users/bob"
    return {"id": iri, "type": "Person", "preferredUsername": "bob", "inbox": f"{iri}/inbox",
            "publicKey": {"id": f"{iri}#main-key", "owner": iri, "publicKeyPem": "fake-public:x"}}


async def test_a_direct_message_is_one_signed_attempt_now_through_the_same_rules(rig: Rig) -> None:
    bob = bob_document()
    rig.http.routes[str(bob["id"])] = HttpReply(200, json.dumps(bob).encode())
    inbox = str(bob["inbox"])
    rig.http.routes[inbox] = HttpReply(202)
    await rig.service.send_direct_message(str(bob["id"]), "<p>Your code is 123456</p>")
    (sent,) = rig.http.posts(inbox)
    assert (sent["type"], sent["to"], sent["object"]["to"]) == ("Create", [bob["id"]], [bob["id"]])
    _, _, headers, body = rig.http.requests[-1]
    params = parse_signature(headers["signature"])
    text = signing_string(params.headers, method="POST", target="/users/bob/inbox", headers=headers)
    assert rig.crypto.verify(rig.config.string(Keys.FEDERATION_PUBLIC_KEY), text, params.signature)
    assert digest_matches(headers["digest"], body)

    rig.http.routes[inbox] = HttpReply(503)  # reported to the caller, neither queued nor retried
    with pytest.raises(DeliveryFailed, match="HTTP 503"):
        await rig.service.send_direct_message(str(bob["id"]), "<p>Your code is 654321</p>")
    assert await rig.queue.count() == 0 and await rig.advance(60) == 0 and len(rig.http.posts(inbox)) == 2


async def test_a_direct_message_respects_https_only_and_a_paused_domain() -> None:
    rig = await make_rig(breakers=CircuitBreakers(threshold=1))
    plain = bob_document("plain.example", "http")
    with pytest.raises(DeliveryFailed, match="https"):  # the actor itself is not fetched over http
        await rig.service.send_direct_message(str(plain["id"]), "<p>hi</p>")
    carol = bob_document("carol.example")
    insecure = {**carol, "inbox": "http://carol.example/i"}
    rig.http.routes[str(carol["id"])] = HttpReply(200, json.dumps(insecure).encode())
    with pytest.raises(DeliveryRefused, match="https"):
        await rig.service.send_direct_message(str(carol["id"]), "<p>hi</p>")
    bob = bob_document()
    rig.http.routes[str(bob["id"])] = HttpReply(200, json.dumps(bob).encode())
    rig.http.routes[str(bob["inbox"])] = DeliveryFailed("connection refused")
    with pytest.raises(DeliveryFailed, match="connection refused"):  # opens the breaker (threshold 1)
        await rig.service.send_direct_message(str(bob["id"]), "<p>hi</p>")
    with pytest.raises(DeliveryFailed, match="paused"):
        await rig.service.send_direct_message(str(bob["id"]), "<p>hi</p>")
    assert rig.posts(str(bob["inbox"])) == 1
