"""Webhook ports: where subscriptions are kept and how a payload is POSTed."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from owncast_core.domain.webhooks import Webhook


class WebhookRepository(Protocol):
    """Webhook subscriptions.

    Contract (``owncast_core.testing.contracts.webhooks.WebhookRepositoryContract``):
    - ``create`` stores a new webhook and returns it with a new, unique, positive ``id`` (ids are
      never reused after a delete), ``last_used`` ``None`` and the given secret and timestamp.
    - ``list`` returns every webhook, oldest first; ``get`` one by id (``NotFoundError`` if absent).
    - ``for_event`` returns the webhooks subscribed to an event type, oldest first.
    - ``delete`` removes a webhook and returns ``True``, or ``False`` when there was none.
    - ``mark_used`` sets ``last_used`` (no error when the webhook was deleted meanwhile).
    - Everything survives reopening the same store (persistent adapters); calls from many tasks
      are safe.
    """

    async def create(self, *, url: str, events: tuple[str, ...], secret: str,
                     timestamp: datetime) -> Webhook: ...

    async def list(self) -> builtins.list[Webhook]: ...

    async def get(self, webhook_id: int) -> Webhook: ...

    async def for_event(self, event_type: str) -> builtins.list[Webhook]: ...

    async def delete(self, webhook_id: int) -> bool: ...

    async def mark_used(self, webhook_id: int, at: datetime) -> None: ...


class WebhookSender(Protocol):
    """POSTs one webhook request.

    ``post`` sends ``body`` with ``headers`` (plus ``Content-Type: application/json``) to ``url``
    and returns the HTTP status code of the answer, whatever it is. It raises
    ``owncast_core.errors.DeliveryFailed`` when no answer came (refused, DNS failure, timeout
    after ``timeout`` seconds, TLS error) and ``owncast_core.errors.DeliveryRefused`` when the
    target is not allowed (a loopback/private address, unless the adapter was configured to allow
    it); the latter is never worth retrying. It never raises anything else, and never blocks the
    event loop.
    """

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> int: ...
