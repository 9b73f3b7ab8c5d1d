"""The port the "Move from Owncast" import reads from: a Go Owncast v0.2 installation."""

from __future__ import annotations

from typing import Protocol

from owncast_core.domain.activitypub import FederatedAction, Follower
from owncast_core.domain.chat import ChatRecord, ChatUser, IPBan
from owncast_core.domain.notifications import NotificationDestination
from owncast_core.domain.owncast_import import (
    Extract,
    LegacyAccessToken,
    LegacyConfigEntry,
    LegacyFile,
    LegacyWebhook,
)


class LegacyOwncastSource(Protocol):
    """Everything an Owncast v0.2 data directory holds that owncast-py has a home for, read-only.

    Contract:
    - Nothing here ever modifies the source (adapters open it read-only).
    - Each method returns an ``Extract``: the rows it could read, already converted to our
      domain types, and one ``problems`` line per row it could not (malformed time, missing
      column value...), so one bad row never stops the import of the others. A table the
      source does not have gives an empty ``Extract``.
    - ``config_entries`` gives every datastore key with its gob-decoded value, or with
      ``error`` set when the value cannot be decoded.
    - ``logo`` is the logo file named by ``logo_path`` (``None`` when missing); ``emoji`` the
      custom emoji files (base names).
    - ``open`` raises ``owncast_core.errors.ImportSourceError`` with a one-line, user-readable
      reason when the source is missing, unreadable or not an Owncast database; the other
      methods are only called after a successful ``open``; ``close`` releases it.
    """

    @property
    def location(self) -> str: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def config_entries(self) -> Extract[LegacyConfigEntry]: ...

    async def users(self) -> Extract[ChatUser]: ...

    async def access_tokens(self) -> Extract[LegacyAccessToken]: ...

    async def messages(self) -> Extract[ChatRecord]: ...

    async def ip_bans(self) -> Extract[IPBan]: ...

    async def webhooks(self) -> Extract[LegacyWebhook]: ...

    async def followers(self) -> Extract[Follower]: ...

    async def federated_actions(self) -> Extract[FederatedAction]: ...

    async def notification_destinations(self) -> Extract[NotificationDestination]: ...

    async def logo(self, file_name: str) -> LegacyFile | None: ...

    async def emoji(self) -> Extract[LegacyFile]: ...
