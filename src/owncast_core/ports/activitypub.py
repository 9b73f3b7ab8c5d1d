"""ActivityPub ports: followers storage, the key pair and signatures, and signed HTTP (reference §6)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from owncast_core.domain.activitypub import FederatedAction, Follower, FollowerState, OutboxItem


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
    """An answer: its status and (up to the asked limit of) its body."""

    status: int
    body: bytes = b""


class FederationHttp(Protocol):
    """Outbound HTTP to other Fediverse servers; the caller sets every header (signatures included).

    Contract (``contracts.activitypub.FederationHttpContract``):
    - ``get`` / ``post`` send the request with exactly the given headers (and body) and return
      any answer, whatever its status, with at most ``max_body`` bytes of its body.
    - They raise ``owncast_core.errors.DeliveryFailed`` when no answer came within ``timeout``
      seconds, and ``DeliveryRefused`` when the target is not allowed (not http(s), or a
      loopback/private address unless the adapter was configured to allow it). Redirects are not
      followed. Nothing else is raised and the event loop is never blocked.
    """

    async def get(self, url: str, *, headers: Mapping[str, str], timeout: float,
                  max_body: int) -> HttpReply: ...

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float,
                   max_body: int = 0) -> HttpReply: ...
