"""Contract suites for ``FollowersRepository``, ``ActivityPubRepository``, ``DeliveryQueue``,
``DomainHealthRepository``, ``FederationCrypto`` and ``FederationHttp``
(``owncast_core.ports.activitypub``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.activitypub import FederatedAction, Follower, OutboxItem
from owncast_core.domain.delivery import DomainHealth, QueuedDelivery
from owncast_core.errors import DeliveryFailed, DeliveryRefused
from owncast_core.ports.activitypub import (
    ActivityPubRepository,
    DeliveryQueue,
    DomainHealthRepository,
    FederationCrypto,
    FederationHttp,
    FollowersRepository,
)

RepositoryFactory = Callable[[], Awaitable[FollowersRepository]]
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def follower(n: int, *, approved: bool = True, at: datetime | None = None) -> Follower:
    created = at or T0 + timedelta(minutes=n)
    return Follower(
        actor_iri=f"https://social.example/users/u{n}", inbox=f"https://social.example/users/u{n}/inbox",
        shared_inbox="https://social.example/inbox", name=f"User {n}", username=f"u{n}@social.example",
        image=f"https://social.example/a/{n}.png", created_at=created, follow_iri=f"https://social.example/f/{n}",
        approved_at=created if approved else None,
    )


class FollowersRepositoryContract:
    """Provide ``make_repository``: an async factory; a second call must return a handle on the
    *same* store (reopened, for persistent adapters)."""

    @pytest.fixture
    async def make_repository(self) -> RepositoryFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def repository(self, make_repository: RepositoryFactory) -> FollowersRepository:
        return await make_repository()

    async def test_save_and_get_every_field(self, repository: FollowersRepository) -> None:
        one = follower(1)
        await repository.save(one)
        assert await repository.get(one.actor_iri) == one
        assert await repository.get("https://social.example/users/nobody") is None

    async def test_save_again_replaces_but_keeps_the_first_time(self, repository: FollowersRepository) -> None:
        await repository.save(follower(1, approved=False))
        later = replace(follower(1), name="Renamed", created_at=T0 + timedelta(days=3),
                        disabled_at=T0 + timedelta(days=3))
        await repository.save(later)
        stored = await repository.get(later.actor_iri)
        assert stored == replace(later, created_at=follower(1).created_at)
        assert stored is not None and stored.state == "blocked"

    async def test_states_newest_first_with_paging(self, repository: FollowersRepository) -> None:
        for n in (1, 2, 3):
            await repository.save(follower(n))
        await repository.save(follower(4, approved=False))
        await repository.save(replace(follower(5), disabled_at=T0))
        assert [f.actor_iri[-2:] for f in await repository.list("approved")] == ["u3", "u2", "u1"]
        assert [f.actor_iri[-2:] for f in await repository.list("approved", offset=1, limit=1)] == ["u2"]
        assert [f.actor_iri[-2:] for f in await repository.list("pending")] == ["u4"]
        assert [f.actor_iri[-2:] for f in await repository.list("blocked")] == ["u5"]
        assert (await repository.count("approved"), await repository.count("pending"),
                await repository.count("blocked")) == (3, 1, 1)

    async def test_remove(self, repository: FollowersRepository) -> None:
        await repository.save(follower(1))
        await repository.save(follower(2))
        assert await repository.remove(follower(1).actor_iri) is True
        assert await repository.remove(follower(1).actor_iri) is False
        assert [f.actor_iri for f in await repository.list("approved")] == [follower(2).actor_iri]

    async def test_survives_reopening(self, make_repository: RepositoryFactory) -> None:
        first = await make_repository()
        await first.save(follower(7))
        again = await make_repository()
        assert await again.get(follower(7).actor_iri) == follower(7)


class FederationCryptoContract:
    """Provide ``crypto``."""

    @pytest.fixture
    def crypto(self) -> FederationCrypto:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_signatures_verify_only_with_the_pair_and_the_data(self, crypto: FederationCrypto) -> None:
        keys, other = await crypto.generate_keys(), await crypto.generate_keys()
        assert keys != other
        signature = crypto.sign(keys.private_pem, b"(request-target): post /inbox")
        assert crypto.verify(keys.public_pem, b"(request-target): post /inbox", signature) is True
        assert crypto.verify(keys.public_pem, b"(request-target): post /inbox2", signature) is False
        assert crypto.verify(other.public_pem, b"(request-target): post /inbox", signature) is False
        assert crypto.verify(keys.public_pem, b"(request-target): post /inbox", signature[:-1] + b"\0") is False

    async def test_garbage_is_false_not_an_error(self, crypto: FederationCrypto) -> None:
        keys = await crypto.generate_keys()
        assert crypto.verify("not a key", b"data", b"sig") is False
        assert crypto.verify(keys.public_pem, b"data", b"") is False


@dataclass
class HttpEnv:
    """``answering(status, body, headers)`` returns a URL answering every request so; ``received()`` the
    ``(headers with lower-case names, body)`` of the requests it got; ``dead_url`` answers nothing."""

    http: FederationHttp
    answering: Callable[[int, bytes, Mapping[str, str]], Awaitable[str]]
    received: Callable[[], list[tuple[dict[str, str], bytes]]]
    dead_url: str


class FederationHttpContract:
    """Provide ``env`` (an ``HttpEnv``)."""

    @pytest.fixture
    def env(self) -> HttpEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_get_sends_the_headers_and_reads_at_most_max_body(self, env: HttpEnv) -> None:
        url = await env.answering(200, b'{"id": "https://a.example/u"}', {})
        reply = await env.http.get(url, headers={"signature": "sig-1", "accept": "application/activity+json"},
                                   timeout=5, max_body=10)
        assert (reply.status, reply.body) == (200, b'{"id": "ht')
        ((headers, body),) = env.received()
        assert headers["signature"] == "sig-1" and body == b""

    async def test_post_sends_body_and_headers_and_returns_any_status(self, env: HttpEnv) -> None:
        url = await env.answering(503, b"", {"Retry-After": "120"})
        reply = await env.http.post(url, body=b'{"type": "Accept"}', headers={"digest": "SHA-256=x"}, timeout=5)
        assert reply.status == 503 and reply.headers["retry-after"] == "120"
        ((headers, body),) = env.received()
        assert headers["digest"] == "SHA-256=x" and body == b'{"type": "Accept"}'

    async def test_no_answer_is_delivery_failed(self, env: HttpEnv) -> None:
        with pytest.raises(DeliveryFailed):
            await env.http.post(env.dead_url, body=b"{}", headers={}, timeout=2)
        with pytest.raises(DeliveryFailed):
            await env.http.get(env.dead_url, headers={}, timeout=2, max_body=100)

    async def test_not_http_is_refused(self, env: HttpEnv) -> None:
        with pytest.raises(DeliveryRefused):
            await env.http.get("file:///etc/passwd", headers={}, timeout=2, max_body=100)


ActivityPubFactory = Callable[[], Awaitable[ActivityPubRepository]]


def outbox_item(n: int, *, live: bool = False) -> OutboxItem:
    return OutboxItem(object_id=f"note{n}", activity_id=f"create{n}", created_at=T0 + timedelta(minutes=n),
                      live_notification=live,
                      activity={"id": f"https://tv.example/federation/create{n}", "type": "Create",
                                "object": {"id": f"https://tv.example/federation/note{n}", "type": "Note",
                                           "content": f"<p>n\u00e9 {n}</p>", "tag": []}})


def action(n: int, kind: str = "FEDIVERSE_ENGAGEMENT_LIKE") -> FederatedAction:
    return FederatedAction(iri=f"https://social.example/likes/{n}", actor_iri="https://social.example/users/u1",
                           type=kind, timestamp=T0 + timedelta(minutes=n))


class ActivityPubRepositoryContract:
    """Provide ``make_repository`` (a second call reopens the same store)."""

    @pytest.fixture
    async def make_repository(self) -> ActivityPubFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def repository(self, make_repository: ActivityPubFactory) -> ActivityPubRepository:
        return await make_repository()

    async def test_outbox_by_either_id_newest_first(self, repository: ActivityPubRepository) -> None:
        for n in (1, 2, 3):
            await repository.add_outbox(outbox_item(n, live=n == 2))
        assert await repository.get_outbox("note2") == outbox_item(2, live=True)
        assert await repository.get_outbox("create3") == outbox_item(3)
        assert await repository.get_outbox("nothing") is None
        assert [i.object_id for i in await repository.list_outbox()] == ["note3", "note2", "note1"]
        assert [i.object_id for i in await repository.list_outbox(offset=1, limit=1)] == ["note2"]
        assert await repository.count_outbox() == 3

    async def test_actions_once_each_newest_first(self, repository: ActivityPubRepository) -> None:
        assert await repository.add_action(action(1)) is True
        assert await repository.add_action(action(1)) is False
        assert await repository.add_action(action(1, "FEDIVERSE_ENGAGEMENT_REPOST")) is True
        assert await repository.add_action(action(2)) is True
        actions = await repository.list_actions()
        assert actions[0] == action(2)
        assert set(actions[1:]) == {action(1), action(1, "FEDIVERSE_ENGAGEMENT_REPOST")}
        assert set(await repository.list_actions(offset=1, limit=5)) == set(actions[1:])
        assert await repository.count_actions() == 3

    async def test_survives_reopening(self, make_repository: ActivityPubFactory) -> None:
        first = await make_repository()
        await first.add_outbox(outbox_item(1))
        await first.add_action(action(1))
        again = await make_repository()
        assert await again.get_outbox("note1") == outbox_item(1)
        assert await again.list_actions() == [action(1)]


QueueFactory = Callable[[], Awaitable[DeliveryQueue]]
SOCIAL = "https://social.example/inbox"
OTHER = "https://other.example:8443/users/bob/inbox"


class DeliveryQueueContract:
    """Provide ``make_queue`` (a second call reopens the same store)."""

    @pytest.fixture
    async def make_queue(self) -> QueueFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def queue(self, make_queue: QueueFactory) -> DeliveryQueue:
        return await make_queue()

    async def test_add_stores_one_delivery_per_distinct_inbox_with_every_field(self, queue: DeliveryQueue) -> None:
        body = '{"type": "Create", "content": "n\u00e9"}'.encode()
        assert await queue.add("https://tv.example/federation/c1", body, [SOCIAL, OTHER, SOCIAL], at=T0) == 2
        assert await queue.add("https://tv.example/federation/c1", body, [OTHER], at=T0) == 0
        assert await queue.add("https://tv.example/federation/c2", b"{}", [], at=T0) == 0
        first, second = await queue.list()
        assert (first.activity_id, first.inbox, first.body, first.attempts, first.last_error) == (
            "https://tv.example/federation/c1", SOCIAL, body, 0, "")
        assert (first.created_at, first.next_attempt_at) == (T0, T0)
        assert (second.inbox, second.domain, second.activity_type) == (OTHER, "other.example:8443", "Create")
        assert first.id != second.id and await queue.count() == 2

    async def test_due_is_first_added_first_and_one_per_inbox_in_order(self, queue: DeliveryQueue) -> None:
        await queue.add("a1", b"1", [SOCIAL, OTHER], at=T0)
        await queue.add("a2", b"2", [SOCIAL], at=T0 + timedelta(seconds=1))
        due = await queue.due(T0 + timedelta(seconds=5), limit=10)
        assert [(d.activity_id, d.inbox) for d in due] == [("a1", SOCIAL), ("a1", OTHER)]
        assert [d.inbox for d in await queue.due(T0, limit=1)] == [SOCIAL]
        assert await queue.due(T0 - timedelta(seconds=1), limit=10) == []
        # the first for social.example is retried later: the second waits behind it
        await queue.retry(due[0].id, at=T0 + timedelta(minutes=1), error="HTTP 503")
        assert [d.activity_id for d in await queue.due(T0 + timedelta(seconds=5), limit=10)] == ["a1"]
        assert (await queue.list())[0].inbox == SOCIAL
        assert await queue.next_due() == T0
        assert await queue.next_due(skip_domains={"other.example:8443"}) == T0 + timedelta(minutes=1)
        retried = (await queue.due(T0 + timedelta(minutes=1), limit=10, skip_domains={"other.example:8443"}))[0]
        assert (retried.id, retried.attempts, retried.last_error) == (due[0].id, 1, "HTTP 503")
        assert retried.next_attempt_at == T0 + timedelta(minutes=1)
        assert await queue.remove(retried.id) is True and await queue.remove(retried.id) is False
        assert [(d.activity_id, d.body) for d in await queue.due(T0 + timedelta(seconds=5), limit=10,
                                                                 skip_domains={"other.example:8443"})] == [("a2", b"2")]

    async def test_retry_of_an_unknown_id_and_clear(self, queue: DeliveryQueue) -> None:
        await queue.retry(12345, at=T0, error="x")
        assert await queue.next_due() is None and await queue.clear() == 0
        await queue.add("a1", b"1", [SOCIAL, OTHER], at=T0)
        assert [d.inbox for d in await queue.list(offset=1, limit=5)] == [OTHER]
        assert await queue.clear() == 2
        assert await queue.list() == [] and await queue.count() == 0 and await queue.next_due() is None
        await queue.add("a1", b"again", [SOCIAL], at=T0)  # a body is not kept once its deliveries are gone
        assert [d.body for d in await queue.list()] == [b"again"]

    async def test_remove_a_domain_and_what_is_older_than_a_moment(self, queue: DeliveryQueue) -> None:
        third = "https://social.example/users/carol/inbox"
        await queue.add("a1", b"1", [SOCIAL, OTHER], at=T0)
        await queue.add("a2", b"2", [third, OTHER], at=T0 + timedelta(hours=1))
        assert await queue.remove_domain("nowhere.example") == 0
        assert await queue.remove_domain("social.example") == 2
        assert [(d.activity_id, d.inbox) for d in await queue.list()] == [("a1", OTHER), ("a2", OTHER)]
        assert await queue.remove_created_before(T0) == 0  # strictly before
        assert await queue.remove_created_before(T0 + timedelta(minutes=1)) == 1
        assert [(d.activity_id, d.body) for d in await queue.list()] == [("a2", b"2")]
        assert await queue.remove_created_before(T0 + timedelta(days=1)) == 1 and await queue.count() == 0
        await queue.add("a1", b"again", [SOCIAL], at=T0)  # the bodies went with their deliveries
        assert [d.body for d in await queue.list()] == [b"again"]

    async def test_survives_reopening(self, make_queue: QueueFactory) -> None:
        first = await make_queue()
        await first.add("a1", b'{"type": "Update"}', [SOCIAL], at=T0)
        (queued,) = await first.list()
        await first.retry(queued.id, at=T0 + timedelta(hours=2), error="no answer within 10 s")
        again = await make_queue()
        (reopened,) = await again.list()
        assert reopened == QueuedDelivery(id=queued.id, activity_id="a1", inbox=SOCIAL, body=b'{"type": "Update"}',
                                          created_at=T0, next_attempt_at=T0 + timedelta(hours=2), attempts=1,
                                          last_error="no answer within 10 s")


HealthFactory = Callable[[], Awaitable[DomainHealthRepository]]


def health(domain: str, n: int = 1, **changes: object) -> DomainHealth:
    """A record of ``n`` failures whose breaker opened at ``T0`` for ``10 * n`` minutes."""
    record = DomainHealth(domain=domain, failures=n, pause=600.0 * n, open_until=T0 + timedelta(minutes=10 * n),
                          first_failure_at=T0 - timedelta(days=n))
    return replace(record, **changes)  # type: ignore[arg-type]


class DomainHealthRepositoryContract:
    """Provide ``make_health`` (a second call reopens the same store)."""

    @pytest.fixture
    async def make_health(self) -> HealthFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def repository(self, make_health: HealthFactory) -> DomainHealthRepository:
        return await make_health()

    async def test_save_list_replace_and_remove(self, repository: DomainHealthRepository) -> None:
        assert await repository.list() == []
        fresh = DomainHealth(domain="b.example", failures=2)  # counting, never opened
        dead = health("a.example:8443", 3, unavailable_since=T0, next_probe_at=T0 + timedelta(days=7))
        await repository.save(fresh)
        await repository.save(dead)
        assert await repository.list() == [dead, fresh]
        listed = (await repository.list())[0]
        assert listed.open_until == T0 + timedelta(minutes=30) and listed.open_until.tzinfo is not None
        assert listed.pause == 1800.0 and listed.unavailable
        reopened = replace(fresh, failures=5, pause=600.0, open_until=T0, first_failure_at=T0)
        await repository.save(reopened)
        assert await repository.list() == [dead, reopened]
        assert await repository.remove("a.example:8443") is True
        assert await repository.remove("a.example:8443") is False
        assert await repository.list() == [reopened]

    async def test_survives_reopening(self, make_health: HealthFactory) -> None:
        first = await make_health()
        record = health("social.example", 7, unavailable_since=T0 + timedelta(seconds=1),
                        next_probe_at=T0 + timedelta(days=7, seconds=1))
        await first.save(record)
        again = await make_health()
        assert await again.list() == [record]
