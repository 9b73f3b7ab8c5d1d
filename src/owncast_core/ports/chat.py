"""Chat ports: where chat users and messages are kept, and how one connection is written to.

Contracts are checked by the suites in ``owncast_core.testing.contracts`` (``chat.py`` for
``ChatRepository``, ``users.py`` for ``UserRepository``, ``chat_transport.py`` for
``ChatTransport``); every adapter and every fake passes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from owncast_core.domain.chat import ApiUser, ChatRecord, ChatUser, HistoryEntry, IPBan


class ChatRepository(Protocol):
    """Persisted chat messages.

    - ``save`` stores records atomically (all or none); saving an id twice raises
      ``ValidationError`` and stores nothing of that batch.
    - ``history(limit)`` returns the newest ``limit`` records that are not hidden and whose
      author (if any) is not disabled, **oldest first**, each with its author as stored now.
    - ``all_messages`` returns every record, hidden ones included, **newest first**.
    - ``set_hidden(ids, at)`` sets ``hidden_at`` (``None`` shows them again); unknown ids are
      ignored. ``message_ids_for_user`` and ``messages_from_user`` (oldest first) select by author.
    - ``prune(before)`` deletes records with ``timestamp < before`` and returns how many.
    - ``count()`` is the number of stored records (hidden ones included).
    - Records survive closing and reopening the store (persistent adapters); errors are
      ``owncast_core.errors.StorageError``.
    """

    async def save(self, records: Sequence[ChatRecord]) -> None: ...

    async def history(self, limit: int) -> list[HistoryEntry]: ...

    async def all_messages(self) -> list[HistoryEntry]: ...

    async def set_hidden(self, ids: Sequence[str], at: datetime | None) -> None: ...

    async def message_ids_for_user(self, user_id: str) -> list[str]: ...

    async def messages_from_user(self, user_id: str) -> list[ChatRecord]: ...

    async def prune(self, before: datetime) -> int: ...

    async def count(self) -> int: ...


class ChatUserStore(Protocol):
    """Chat users and their access tokens.

    - ``create_user`` stores a new user reachable by ``access_token`` (a user may own several
      tokens; ``add_token`` adds one). A duplicate user id or token raises ``ValidationError``.
    - Lookups raise ``NotFoundError`` for unknown ids or tokens; API users are found by id too.
    - Updates return the updated user and raise ``NotFoundError`` for an unknown id.
      ``rename`` appends the name to ``previous_names`` and sets ``name_changed_at``.
    - ``name_reserved(name)`` is true when an *authenticated*, enabled user other than
      ``except_user_id`` holds that display name (case-insensitive).
    - ``disabled_users`` (oldest ``disabled_at`` first) and ``moderators`` (oldest user first)
      never list API users; ``count_users`` is the number of chat users (API users not counted).
    """

    async def create_user(self, user: ChatUser, access_token: str) -> None: ...

    async def add_token(self, user_id: str, access_token: str) -> None: ...

    async def user_by_token(self, access_token: str) -> ChatUser: ...

    async def user_by_id(self, user_id: str) -> ChatUser: ...

    async def rename(self, user_id: str, name: str, at: datetime) -> ChatUser: ...

    async def set_color(self, user_id: str, color: int) -> ChatUser: ...

    async def set_disabled(self, user_id: str, at: datetime | None) -> ChatUser: ...

    async def set_scopes(self, user_id: str, scopes: Sequence[str]) -> ChatUser: ...

    async def name_reserved(self, name: str, except_user_id: str | None = None) -> bool: ...

    async def disabled_users(self) -> list[ChatUser]: ...

    async def moderators(self) -> list[ChatUser]: ...

    async def count_users(self) -> int: ...


class ApiUserStore(Protocol):
    """Third-party access tokens ("API" users, Owncast ``ExternalAPIUser``).

    - ``create_api_user`` stores the token and its bot identity (so its chat messages join to a
      user in history); duplicate token or id raises ``ValidationError``.
    - ``api_user_by_token`` raises ``NotFoundError`` for an unknown or deleted token.
    - ``api_users`` lists them oldest first; ``delete_api_user`` raises ``NotFoundError`` for an
      unknown token; ``touch_api_user`` records ``last_used_at`` (unknown token: ``NotFoundError``).
    """

    async def create_api_user(self, user: ApiUser) -> None: ...

    async def api_user_by_token(self, access_token: str) -> ApiUser: ...

    async def api_users(self) -> list[ApiUser]: ...

    async def delete_api_user(self, access_token: str) -> None: ...

    async def touch_api_user(self, access_token: str, at: datetime) -> None: ...


class IPBanStore(Protocol):
    """Banned client addresses.

    ``ban_ip`` of an address already banned keeps the first ban (no error); ``unban_ip`` of an
    address not banned is a no-op; ``ip_bans`` lists oldest first.
    """

    async def ban_ip(self, ip_address: str, notes: str, at: datetime) -> None: ...

    async def unban_ip(self, ip_address: str) -> None: ...

    async def ip_bans(self) -> list[IPBan]: ...

    async def is_ip_banned(self, ip_address: str) -> bool: ...


class UserRepository(ChatUserStore, ApiUserStore, IPBanStore, Protocol):
    """Everything about users: chat users and tokens, API users, IP bans (one store, one file)."""


class ChatTransport(Protocol):
    """The outbound side of one chat connection.

    - ``send(frame)`` queues one encoded event (a JSON object's text) and never blocks or awaits.
      Events reach the peer in the order sent; a writer may pack several queued events into one
      websocket text frame separated by ``"\\n"``. It returns ``False`` (and sends nothing) when the
      connection is closed, or when ``OUTBOUND_QUEUE_LIMIT`` events are already waiting: then the
      peer is too slow and the transport closes itself.
    - ``close()`` sends what is queued, then closes the connection; idempotent.
    - ``closed`` is true once closing started (by either side).
    """

    def send(self, frame: str) -> bool: ...

    def close(self) -> None: ...

    @property
    def closed(self) -> bool: ...
