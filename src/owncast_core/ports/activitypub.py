"""ActivityPub ports: followers storage, the key pair and signatures, and signed HTTP (reference §6)."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from owncast_core.domain.activitypub import FederatedAction, Follower, FollowerState, OutboxItem
from owncast_core.domain.delivery import DomainHealth, QueuedDelivery


class FollowersRepository(Protocol):
    """The server's followers (Owncast's ``ap_followers`` table), keyed by actor IRI.

    Contract (``owncast_core.testing.contracts.activitypub.FollowersRepositoryContract``):
    - ``save`` inserts a follower or replaces every field of the stored one with the same
      ``actor_iri`` except ``created_at``, which keeps its first value.
    - ``get`` returns the stored follower or ``None`` when there is none.
    - ``remove`` deletes one and returns ``True``, or ``False`` when it was not stored.
    - ``list(state)`` returns the followers in that state (``Follower.state``: approved, pending,
      blocked), newest ``created_at`` first, skipping ``offset`` and returning at most ``limit``
      (all when ``None``); ``count(state)`` counts them.
    - Everything survives reopening the same store (persistent adapters); calls from many tasks
      are safe.
    """

    async def save(self, follower: Follower) -> None: ...

    async def get(self, actor_iri: str) -> Follower | None: ...

    async def remove(self, actor_iri: str) -> bool: ...

    async def list(self, state: FollowerState, *, offset: int = 0,
                   limit: int | None = None) -> builtins.list[Follower]: ...

    async def count(self, state: FollowerState) -> int: ...


class ActivityPubRepository(Protocol):
    """What the server posted (Owncast's ``ap_outbox``) and engagement it received
    (``ap_accepted_activities``).

    Contract (``contracts.activitypub.ActivityPubRepositoryContract``):
    - ``add_outbox`` stores an item; ``get_outbox(id)`` finds it by its ``object_id`` or its
      ``activity_id`` (``None`` when neither matches), with every field as stored.
    - ``list_outbox`` returns items newest ``created_at`` first, skipping ``offset``, at most
      ``limit``; ``count_outbox`` counts them.
    - ``add_action`` stores an action and returns ``True``; the same ``(iri, actor_iri, type)``
      again changes nothing and returns ``False``. ``list_actions``/``count_actions`` as the
      outbox, newest ``timestamp`` first.
    - Everything survives reopening the same store; calls from many tasks are safe.
    """

    async def add_outbox(self, item: OutboxItem) -> None: ...

    async def get_outbox(self, item_id: str) -> OutboxItem | None: ...

    async def list_outbox(self, *, offset: int = 0, limit: int | None = None) -> builtins.list[OutboxItem]: ...

    async def count_outbox(self) -> int: ...

    async def add_action(self, action: FederatedAction) -> bool: ...

    async def list_actions(self, *, offset: int = 0,
                           limit: int | None = None) -> builtins.list[FederatedAction]: ...

    async def count_actions(self) -> int: ...


class DeliveryQueue(Protocol):
    """Outbound ActivityPub deliveries waiting to be sent, one per (activity, inbox); durable, so
    what a streamer posts survives a restart until it is delivered or given up.

    Contract (``contracts.activitypub.DeliveryQueueContract``):
    - ``add(activity_id, body, inboxes, at=)`` stores ``body`` once and one delivery of it per
      distinct inbox, in the given order, with no failed attempt, due at ``at``; it returns how
      many it added. An ``(activity_id, inbox)`` already queued is not added again; no inboxes
      store nothing and return 0.
    - ``due(now, limit=, skip_domains=)`` returns, first added first, at most ``limit``
      deliveries that are each the first still queued for their inbox (so one inbox receives
      its activities in order: a later one waits while an earlier one is retried) and due
      (``next_attempt_at <= now``), leaving out those whose ``QueuedDelivery.domain`` is in
      ``skip_domains``; each with its body and every field as stored.
    - ``next_due(skip_domains=)`` is the earliest ``next_attempt_at`` among those first-per-inbox
      deliveries (due or not, outside ``skip_domains``), ``None`` when there are none.
    - ``retry(id, at=, error=)`` records a failed attempt: ``attempts`` + 1, ``next_attempt_at``
      = ``at``, ``last_error`` = ``error``; an unknown id changes nothing.
    - ``remove(id)`` deletes one (delivered or given up) and returns ``True``, ``False`` when it
      was not queued. ``clear()`` deletes every delivery and returns how many there were.
    - ``remove_domain(domain)`` deletes every delivery whose ``QueuedDelivery.domain`` is
      ``domain`` (a domain marked unavailable) and returns how many there were;
      ``remove_created_before(moment)`` deletes every delivery queued (``created_at``) before
      ``moment`` (too old to send once federation is on again) and returns how many.
    - ``list(offset=, limit=)`` returns every queued delivery, first added first; ``count()``
      counts them.
    - Everything survives reopening the same store (persistent adapters); calls from many
      tasks are safe.
    """

    async def add(self, activity_id: str, body: bytes, inboxes: Sequence[str], *, at: datetime) -> int: ...

    async def due(self, now: datetime, *, limit: int,
                  skip_domains: Collection[str] = ()) -> builtins.list[QueuedDelivery]: ...

    async def next_due(self, *, skip_domains: Collection[str] = ()) -> datetime | None: ...

    async def retry(self, delivery_id: int, *, at: datetime, error: str) -> None: ...

    async def remove(self, delivery_id: int) -> bool: ...

    async def clear(self) -> int: ...

    async def remove_domain(self, domain: str) -> int: ...

    async def remove_created_before(self, moment: datetime) -> int: ...

    async def list(self, *, offset: int = 0, limit: int | None = None) -> builtins.list[QueuedDelivery]: ...

    async def count(self) -> int: ...


class DomainHealthRepository(Protocol):
    """What the delivery sender knows about failing domains (``DomainHealth``: the circuit
    breaker and the unavailable mark), kept so a restart does not hammer a dead server again.

    A port of its own rather than more ``DeliveryQueue`` methods: it is keyed by domain, not by
    delivery, it lives on when a domain has nothing queued (an unavailable domain has nothing
    queued by definition), it is read once at start and written only when a domain's state
    changes, and an adapter may keep it elsewhere than the queue (or not at all) without
    touching the queue's guarantees.

    Contract (``contracts.activitypub.DomainHealthRepositoryContract``):
    - ``save(record)`` stores ``record``, replacing the one with the same ``domain``.
    - ``list()`` returns every stored record, ordered by domain, each with every field as saved
      (times to the microsecond, timezone-aware).
    - ``remove(domain)`` deletes the record and returns ``True``, ``False`` when there was none.
    - Everything survives reopening the same store (persistent adapters); calls from many
      tasks are safe.
    """

    async def save(self, record: DomainHealth) -> None: ...

    async def list(self) -> builtins.list[DomainHealth]: ...

    async def remove(self, domain: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class KeyPair:
    """An RSA key pair as PEM text: the private key PKCS#1 (``RSA PRIVATE KEY``), the public
    key SubjectPublicKeyInfo (``PUBLIC KEY``), as Owncast stores them."""

    private_pem: str
    public_pem: str


class FederationCrypto(Protocol):
    """RSA for HTTP Signatures (``rsa-sha256``: RSASSA-PKCS1-v1_5 over SHA-256).

    Contract (``contracts.activitypub.FederationCryptoContract``):
    - ``generate_keys`` returns a new ``KeyPair`` (2048-bit for the real adapter); it does not
      block the event loop.
    - ``sign(private_pem, data)`` returns the signature of ``data``.
    - ``verify(public_pem, data, signature)`` is ``True`` only for a signature of exactly ``data``
      made with the matching private key; a wrong key, changed data, a malformed signature or an
      unreadable PEM give ``False``, never an exception.
    """

    async def generate_keys(self) -> KeyPair: ...

    def sign(self, private_pem: str, data: bytes) -> bytes: ...

    def verify(self, public_pem: str, data: bytes, signature: bytes) -> bool: ...


@dataclass(frozen=True, slots=True)
class HttpReply:
    """An answer: its status, (up to the asked limit of) its body, and its headers (names
    lower-case; ``retry-after`` is what delivery reads)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class FederationHttp(Protocol):
    """Outbound HTTP to other Fediverse servers; the caller sets every header (signatures included).

    Contract (``contracts.activitypub.FederationHttpContract``):
    - ``get`` / ``post`` send the request with exactly the given headers (and body) and return
      any answer, whatever its status, with at most ``max_body`` bytes of its body and its
      headers (lower-case names).
    - They raise ``owncast_core.errors.DeliveryFailed`` when no answer came within ``timeout``
      seconds, and ``DeliveryRefused`` when the target is not allowed (not http(s), or a
      loopback/private address unless the adapter was configured to allow it). Redirects are not
      followed. Nothing else is raised and the event loop is never blocked.
    """

    async def get(self, url: str, *, headers: Mapping[str, str], timeout: float,
                  max_body: int) -> HttpReply: ...

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float,
                   max_body: int = 0) -> HttpReply: ...
