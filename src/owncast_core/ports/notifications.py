"""Notification ports: registered viewers, the go-live senders and the directory (reference §7)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from owncast_core.domain.notifications import (
    DirectoryPing,
    DirectoryReply,
    DiscordMessage,
    NotificationDestination,
    PushMessage,
    PushSubscription,
    VapidKeys,
)


class NotificationsRepository(Protocol):
    """Where viewers asked to be notified (Owncast's ``notifications`` table).

    Contract (``owncast_core.testing.contracts.notifications.NotificationsRepositoryContract``):
    - ``add`` stores ``(channel, destination)`` and returns ``True``; adding a pair already stored
      changes nothing and returns ``False`` (a browser registering again is kept once).
    - ``list`` returns one channel's destinations, oldest first, with the time they were added.
    - ``count`` is how many destinations one channel has (``len(list(channel))``, without reading them).
    - ``remove`` deletes one pair and returns ``True``, or ``False`` when it was not stored;
      other channels are untouched.
    - Everything survives reopening the same store (persistent adapters); calls from many tasks
      are safe.
    """

    async def add(self, channel: str, destination: str, created_at: datetime) -> bool: ...

    async def list(self, channel: str) -> builtins.list[NotificationDestination]: ...

    async def count(self, channel: str) -> int: ...

    async def remove(self, channel: str, destination: str) -> bool: ...


class DiscordNotifier(Protocol):
    """Posts one message to a Discord webhook URL.

    ``send`` POSTs ``message.to_json()`` as JSON and returns when Discord accepted it (2xx). It
    raises ``owncast_core.errors.DeliveryFailed`` when no answer came within ``timeout`` seconds or
    the answer was not 2xx (the message says which), and ``DeliveryRefused`` when the target is
    not allowed (a loopback/private address, unless the adapter was configured to allow it).
    It never raises anything else and never blocks the event loop.
    """

    async def send(self, webhook_url: str, message: DiscordMessage, *, timeout: float) -> None: ...


class BrowserPushNotifier(Protocol):
    """Web Push (RFC 8030) with encrypted payloads (RFC 8291, ``aes128gcm``) and VAPID (RFC 8292).

    - ``generate_keys`` returns a new VAPID key pair (see ``VapidKeys`` for the encoding).
    - ``send`` encrypts ``message.payload`` for ``subscription`` and POSTs it to its endpoint with
      ``TTL``, ``Topic`` and a VAPID ``Authorization`` (``vapid t=<ES256 JWT>,k=<public key>``,
      claims ``aud`` = the endpoint's origin, ``sub`` = ``message.contact``, ``exp`` within 24 h)
      signed with ``keys``. It returns when the push service accepted the message (2xx) and raises
      ``owncast_core.errors.SubscriptionGone`` on HTTP 404/410 (the subscription expired or was
      withdrawn), ``DeliveryFailed`` on any other answer or none within ``timeout`` seconds, and
      ``DeliveryRefused`` for a target that is not allowed (loopback/private unless configured).
      It never raises anything else and never blocks the event loop.
    """

    def generate_keys(self) -> VapidKeys: ...

    async def send(self, subscription: PushSubscription, message: PushMessage, *, keys: VapidKeys,
                   timeout: float) -> None: ...


class DirectoryClient(Protocol):
    """Tells the Owncast directory ("YP") this server is live.

    ``ping`` POSTs ``ping.to_json()`` to ``<directory_url>/api/ping`` and returns the parsed
    answer (``DirectoryReply``; ``success`` false carries the directory's ``error``). It raises
    ``owncast_core.errors.DeliveryFailed`` when no answer came within ``timeout`` seconds or the
    answer was not a JSON object, and ``DeliveryRefused`` for a target that is not allowed.
    It never raises anything else and never blocks the event loop.
    """

    async def ping(self, directory_url: str, ping: DirectoryPing, *, timeout: float) -> DirectoryReply: ...
