"""Chat: users, access-token (API) users, IP bans, stored messages and chat events.

Two kinds of things live here:

* **Entities** kept by the repositories: ``ChatUser`` (a chat participant, or an integration's
  bot identity when ``user_type == "API"``), ``ApiUser`` (a third-party access token with
  scopes), ``IPBan`` and ``ChatRecord`` (one persisted chat event).
* **Chat events**, frozen dataclasses that ``ChatService`` publishes on the ``EventBus``. Every
  node's chat fan-out turns them into the websocket payload (``to_payload()``, Owncast's JSON
  shape); the webhook sender builds Owncast's webhook ``eventData`` (reference §3.2) from their
  fields. Which field feeds which webhook key is written on each class.

  ========================  ===================  =====================================================
  class                     ``type``             webhook ``eventData`` (§3.2) from the fields
  ========================  ===================  =====================================================
  ``ChatMessageSent``       ``CHAT``             id, body, rawBody=raw_body, clientId=client_id,
                                                 timestamp, user=user.to_json(webhook=True), visible
  ``UserNameChanged``       ``NAME_CHANGE``      type, id, timestamp, clientId, user, newName=new_name
                                                 (also ``old_name`` for the chat payload's ``oldName``)
  ``UserJoinedChat``        ``USER_JOINED``      type, id, timestamp, clientId, user
  ``UserPartedChat``        ``USER_PARTED``      type, id, timestamp, clientId, user
  ``MessagesVisibility...`` ``VISIBILITY-UPDATE`` type, id, timestamp, MessageIDs=ids, Visible=visible,
                                                 body="", user=null
  ``SystemMessageSent``     ``SYSTEM``           id, timestamp, body (``client_id`` set: sent to that
                                                 one client only)
  ``ChatActionSent``        ``CHAT_ACTION``      id, timestamp, body (``client_id`` set: private)
  ``FediverseEngagement``   ``FEDIVERSE_...``    FOLLOW: id, timestamp, name=actor_name, username=title,
                                                 image; LIKE/REPOST add body and link (Owncast sends
                                                 no webhook for these two: our extension)
  ========================  ===================  =====================================================

Private notices that concern one connection only (``CONNECTED_USER_INFO``, the refusal actions
of the spam guard, ``ERROR_*``) are sent straight to that connection and never published.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

from owncast_core.domain.timefmt import go_time

# Limits and timings (Owncast ``config/constants.go`` and ``core/chat``).
MAX_DISPLAY_NAME_LENGTH: Final = 30
MAX_USER_COLOR: Final = 7
MAX_SOCKET_PAYLOAD_SIZE: Final = 2048
"""Inbound frames above this get a polite refusal; above twice this the connection is closed."""
CLOSE_PAYLOAD_SIZE: Final = 2 * MAX_SOCKET_PAYLOAD_SIZE
OUTBOUND_QUEUE_LIMIT: Final = 256
"""Events a connection may have queued; one more and the client is dropped as too slow."""
ESTABLISHED_USER_AGE: Final = timedelta(minutes=15)
OFFLINE_CHAT_GRACE: Final = timedelta(minutes=5)
PART_GRACE_SECONDS: Final = 10.0
WELCOME_DELAY_SECONDS: Final = 7.0
KICK_CLOSE_DELAY_SECONDS: Final = 2.0
SPAM_RATE_PER_SECOND: Final = 1.5
"""Token bucket refill rate (Owncast ``rate.Every(2s/3)``, burst 1)."""
SPAM_MUTE_SECONDS: Final = 10.0
HISTORY_LIMIT: Final = 50
HISTORY_RETENTION: Final = timedelta(hours=2)
"""Messages older than this are pruned (Owncast's ``maxBacklogHours``)."""
MIN_SUGGESTED_NAMES: Final = 10

MODERATOR_SCOPE: Final = "MODERATOR"
STANDARD_USER: Final = "STANDARD"
API_USER: Final = "API"
LOOPBACK_ADDRESSES: Final = frozenset({"127.0.0.1", "::1"})


class ApiScope:
    """Scopes of third-party access tokens (Owncast ``models/chatAccessScopes.go``)."""

    CAN_SEND_MESSAGES: Final = "CAN_SEND_MESSAGES"
    CAN_SEND_SYSTEM_MESSAGES: Final = "CAN_SEND_SYSTEM_MESSAGES"
    HAS_ADMIN_ACCESS: Final = "HAS_ADMIN_ACCESS"
    ALL: Final = frozenset({CAN_SEND_MESSAGES, CAN_SEND_SYSTEM_MESSAGES, HAS_ADMIN_ACCESS})


class EventType:
    """Chat event type names as they appear on the wire."""

    CHAT: Final = "CHAT"
    NAME_CHANGE: Final = "NAME_CHANGE"
    COLOR_CHANGE: Final = "COLOR_CHANGE"
    USER_JOINED: Final = "USER_JOINED"
    USER_PARTED: Final = "USER_PARTED"
    VISIBILITY_UPDATE: Final = "VISIBILITY-UPDATE"
    SYSTEM: Final = "SYSTEM"
    CHAT_ACTION: Final = "CHAT_ACTION"
    CONNECTED_USER_INFO: Final = "CONNECTED_USER_INFO"
    PING: Final = "PING"
    PONG: Final = "PONG"
    CHAT_DISABLED: Final = "CHAT_DISABLED"
    ERROR_NEEDS_REGISTRATION: Final = "ERROR_NEEDS_REGISTRATION"
    ERROR_USER_DISABLED: Final = "ERROR_USER_DISABLED"
    ERROR_MAX_CONNECTIONS_EXCEEDED: Final = "ERROR_MAX_CONNECTIONS_EXCEEDED"
    FEDIVERSE_ENGAGEMENT_FOLLOW: Final = "FEDIVERSE_ENGAGEMENT_FOLLOW"
    FEDIVERSE_ENGAGEMENT_LIKE: Final = "FEDIVERSE_ENGAGEMENT_LIKE"
    FEDIVERSE_ENGAGEMENT_REPOST: Final = "FEDIVERSE_ENGAGEMENT_REPOST"


# Texts users see (Owncast's wording).
class Notices:
    """Private CHAT_ACTION texts and public announcements (Owncast's wording)."""

    TOO_BIG: Final = "Sorry, that message exceeded the maximum size and can't be delivered."
    FLOODING: Final = "You are temporarily blocked from sending chat messages due to perceived flooding."
    NOT_ESTABLISHED: Final = (
        "You have not been an established chat participant long enough to take part in chat. "
        "Please enjoy the stream and try again later."
    )
    FILTERED: Final = "Sorry, that message contained language that is not allowed in this chat."
    UNREADABLE: Final = "Sorry, that message could not be understood (send one JSON object per frame)."
    BINARY: Final = "Sorry, binary messages are not supported; send JSON text."
    EMPTY_NAME: Final = "Your name can not be empty."
    STREAM_STARTING: Final = "Stay tuned, the stream is **starting**!"
    STREAM_ENDING: Final = "The stream is ending."

    @staticmethod
    def unknown_type(kind: str) -> str:
        return f"Sorry, events of type **{kind[:40]}** are not supported."

    @staticmethod
    def name_blocked(name: str) -> str:
        return f"You cannot change your name to **{name}**."

    @staticmethod
    def name_taken(name: str) -> str:
        return f"The name **{name}** has been already registered. If this is your name, please authenticate."

    @staticmethod
    def removed(name: str) -> str:
        return f"**{name}** has been removed from chat."


@dataclass(frozen=True, slots=True)
class ChatUser:
    """A chat participant (Owncast ``models.User``).

    ``previous_names`` includes the current name (Owncast appends every name ever used).
    Integration bot identities are ``ChatUser`` rows with ``user_type == "API"``.
    """

    id: str
    display_name: str
    display_color: int
    created_at: datetime
    previous_names: tuple[str, ...] = ()
    name_changed_at: datetime | None = None
    disabled_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    authenticated_at: datetime | None = None
    user_type: str = STANDARD_USER

    @property
    def is_bot(self) -> bool:
        return self.user_type == API_USER

    @property
    def is_moderator(self) -> bool:
        return MODERATOR_SCOPE in self.scopes

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    @property
    def authenticated(self) -> bool:
        return self.authenticated_at is not None

    def renamed(self, name: str, at: datetime) -> ChatUser:
        """This user after a name change (the new name appended to ``previous_names``)."""
        return replace(
            self, display_name=name, name_changed_at=at, previous_names=(*self.previous_names, name)
        )

    def to_json(self, *, webhook: bool = False) -> dict[str, Any]:
        """Owncast's User object. Optional fields are omitted when empty, as Go's ``omitempty``;
        ``webhook=True`` gives the same object (kept as a parameter so webhook code reads clearly)."""
        payload: dict[str, Any] = {
            "id": self.id,
            "displayName": self.display_name,
            "displayColor": self.display_color,
            "createdAt": go_time(self.created_at),
            "previousNames": list(self.previous_names),
        }
        if self.name_changed_at is not None:
            payload["nameChangedAt"] = go_time(self.name_changed_at)
        if self.disabled_at is not None:
            payload["disabledAt"] = go_time(self.disabled_at)
        if self.scopes:
            payload["scopes"] = list(self.scopes)
        payload["isBot"] = self.is_bot
        payload["authenticated"] = self.authenticated
        return payload


@dataclass(frozen=True, slots=True)
class ApiUser:
    """A third-party access token and the bot identity it posts as (Owncast ``ExternalAPIUser``)."""

    id: str
    access_token: str
    display_name: str
    display_color: int
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def as_chat_user(self) -> ChatUser:
        """The user object its chat messages carry (``isBot: true``)."""
        return ChatUser(
            id=self.id,
            display_name=self.display_name,
            display_color=self.display_color,
            created_at=self.created_at,
            user_type=API_USER,
        )

    def to_json(self) -> dict[str, Any]:
        """The ``/api/admin/accesstokens`` item."""
        payload: dict[str, Any] = {
            "id": self.id,
            "accessToken": self.access_token,
            "displayName": self.display_name,
            "displayColor": self.display_color,
            "scopes": list(self.scopes),
            "type": API_USER,
            "isBot": True,
            "createdAt": go_time(self.created_at),
            "lastUsedAt": go_time(self.last_used_at),
        }
        return payload


@dataclass(frozen=True, slots=True)
class IPBan:
    """A banned client address (``/api/admin/chat/users/ipbans`` item)."""

    ip_address: str
    notes: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"ipAddress": self.ip_address, "notes": self.notes, "createdAt": go_time(self.created_at)}


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """One persisted chat event (a row of Owncast's ``messages`` table).

    ``user_id`` is ``None`` for server messages (SYSTEM, CHAT_ACTION); ``image``, ``link``,
    ``title`` and ``subtitle`` are used by Fediverse engagement events.
    """

    id: str
    event_type: str
    body: str
    timestamp: datetime
    user_id: str | None = None
    hidden_at: datetime | None = None
    image: str | None = None
    link: str | None = None
    title: str | None = None
    subtitle: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A stored message with its author as the author is *now* (for history and moderation)."""

    record: ChatRecord
    user: ChatUser | None

    def to_json(self, server_name: str) -> dict[str, Any]:
        """The history item Owncast returns: user messages carry ``user`` (and ``hiddenAt`` when
        hidden), server messages a ``user`` holding only the server name."""
        r = self.record
        payload: dict[str, Any] = {
            "type": r.event_type,
            "id": r.id,
            "timestamp": go_time(r.timestamp),
            "body": r.body,
        }
        if self.user is not None:
            payload["user"] = self.user.to_json()
        else:
            payload["user"] = {"displayName": server_name}
        if r.event_type == EventType.CHAT:
            payload["visible"] = r.hidden_at is None
        if r.hidden_at is not None:
            payload["hiddenAt"] = go_time(r.hidden_at)
        if r.event_type.startswith("FEDIVERSE_ENGAGEMENT"):
            payload.update({"image": r.image, "link": r.link, "title": r.title})
        return payload


# --- chat events (published on the EventBus) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """Base of every published chat event: ``id`` (short id) and ``timestamp``."""

    type: ClassVar[str] = ""
    id: str
    timestamp: datetime

    def to_payload(self) -> dict[str, Any]:
        """The websocket JSON object for chat clients."""
        return {"type": self.type, "id": self.id, "timestamp": go_time(self.timestamp)}


@dataclass(frozen=True, slots=True)
class ChatMessageSent(ChatEvent):
    """A chat message (``CHAT``). ``body`` is rendered HTML (sanitised for users, not for bots),
    ``raw_body`` the markdown as typed; ``client_id`` is the sending connection (``None`` for
    integration bots)."""

    type: ClassVar[str] = EventType.CHAT
    user: ChatUser
    body: str
    raw_body: str
    client_id: int | None = None
    visible: bool = True

    def to_payload(self) -> dict[str, Any]:
        return {
            **ChatEvent.to_payload(self),
            "body": self.body,
            "user": self.user.to_json(),
            "visible": self.visible,
        }

    def to_record(self) -> ChatRecord:
        return ChatRecord(
            id=self.id, event_type=self.type, body=self.body, timestamp=self.timestamp, user_id=self.user.id
        )


@dataclass(frozen=True, slots=True)
class UserNameChanged(ChatEvent):
    """A user renamed themselves (``NAME_CHANGE``); ``user`` already carries ``new_name``."""

    type: ClassVar[str] = EventType.NAME_CHANGE
    user: ChatUser
    old_name: str
    new_name: str
    client_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        return {**ChatEvent.to_payload(self), "user": self.user.to_json(), "oldName": self.old_name}


@dataclass(frozen=True, slots=True)
class UserJoinedChat(ChatEvent):
    """A user's first connection opened while the stream is live (``USER_JOINED``)."""

    type: ClassVar[str] = EventType.USER_JOINED
    user: ChatUser
    client_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        return {**ChatEvent.to_payload(self), "user": self.user.to_json()}


@dataclass(frozen=True, slots=True)
class UserPartedChat(ChatEvent):
    """A user's last connection closed and stayed closed for the grace period (``USER_PARTED``)."""

    type: ClassVar[str] = EventType.USER_PARTED
    user: ChatUser
    client_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        return {**ChatEvent.to_payload(self), "user": self.user.to_json()}


@dataclass(frozen=True, slots=True)
class MessagesVisibilityChanged(ChatEvent):
    """Messages were hidden or shown again (``VISIBILITY-UPDATE``)."""

    type: ClassVar[str] = EventType.VISIBILITY_UPDATE
    ids: tuple[str, ...]
    visible: bool

    def to_payload(self) -> dict[str, Any]:
        return {**ChatEvent.to_payload(self), "ids": list(self.ids), "visible": self.visible}


@dataclass(frozen=True, slots=True)
class SystemMessageSent(ChatEvent):
    """A message from the server (``SYSTEM``): to everyone, or to ``client_id`` only."""

    type: ClassVar[str] = EventType.SYSTEM
    body: str
    server_name: str
    client_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        return {**ChatEvent.to_payload(self), "body": self.body, "user": {"displayName": self.server_name}}


@dataclass(frozen=True, slots=True)
class ChatActionSent(ChatEvent):
    """A chat action line (``CHAT_ACTION``), e.g. "the stream is starting": to everyone, or to
    ``client_id`` only."""

    type: ClassVar[str] = EventType.CHAT_ACTION
    body: str
    server_name: str
    client_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        return {**ChatEvent.to_payload(self), "body": self.body, "user": {"displayName": self.server_name}}


@dataclass(frozen=True, slots=True)
class FediverseEngagement(ChatEvent):
    """Engagement from the Fediverse shown in chat (``FEDIVERSE_ENGAGEMENT_*``, one subclass per
    type): ``body`` is rendered HTML ("Alice followed this stream."), ``image`` the actor's
    avatar, ``title`` their account name (``alice@social.example``), ``link`` their IRI and
    ``actor_name`` their display name (the webhook's ``name``)."""

    body: str
    image: str | None
    title: str
    link: str
    server_name: str
    actor_name: str = ""

    def to_payload(self) -> dict[str, Any]:
        return {**ChatEvent.to_payload(self), "body": self.body, "image": self.image, "title": self.title,
                "link": self.link, "user": {"displayName": self.server_name}}

    def to_record(self) -> ChatRecord:
        return ChatRecord(id=self.id, event_type=self.type, body=self.body, timestamp=self.timestamp,
                          image=self.image, link=self.link, title=self.title)


@dataclass(frozen=True, slots=True)
class FediverseFollowed(FediverseEngagement):
    type: ClassVar[str] = EventType.FEDIVERSE_ENGAGEMENT_FOLLOW


@dataclass(frozen=True, slots=True)
class FediverseLiked(FediverseEngagement):
    type: ClassVar[str] = EventType.FEDIVERSE_ENGAGEMENT_LIKE


@dataclass(frozen=True, slots=True)
class FediverseReposted(FediverseEngagement):
    type: ClassVar[str] = EventType.FEDIVERSE_ENGAGEMENT_REPOST


ENGAGEMENT_EVENTS: Final[dict[str, type[FediverseEngagement]]] = {
    cls.type: cls for cls in (FediverseFollowed, FediverseLiked, FediverseReposted)
}
"""The chat event class of each ``FEDIVERSE_ENGAGEMENT_*`` type."""


PUBLISHED_EVENTS: Final = (
    ChatMessageSent,
    UserNameChanged,
    UserJoinedChat,
    UserPartedChat,
    MessagesVisibilityChanged,
    SystemMessageSent,
    ChatActionSent,
    FediverseEngagement,
)
"""Every chat event class ``ChatService`` publishes on the bus."""


@dataclass(slots=True)
class ClientInfo:
    """A connected chat client as the admin and moderators see it (``/api/admin/chat/clients``).

    ``geo`` is filled asynchronously by the optional GeoIP lookup; it is any object with a
    ``to_json()`` (``owncast_core.domain.geo.GeoInfo``) or ``None``.
    """

    id: int
    user: ChatUser
    connected_at: datetime
    message_count: int
    user_agent: str
    ip_address: str
    geo: Any = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "connectedAt": go_time(self.connected_at),
            "messageCount": self.message_count,
            "userAgent": self.user_agent,
            "ipAddress": self.ip_address,
            "user": self.user.to_json(),
            "geo": self.geo.to_json() if self.geo is not None else None,
        }
