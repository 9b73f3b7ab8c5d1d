"""ChatService: Owncast's chat rules, from an inbound websocket frame to every client.

Flow of a message: the websocket endpoint hands the frame to ``receive``; the rules (size,
flood guard, language filter, established users, offline chat) run; the event is published on the
``EventBus``; this service's own bus subscriber encodes it **once** and queues the same text on
every connection (so several web nodes sharing a bus would each fan out to their clients), the
webhook sender takes it from the bus too, and the ``ChatJournal`` persists it right after.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from owncast_core.domain import jsontext
from owncast_core.domain.chat import (
    CLOSE_PAYLOAD_SIZE,
    ENGAGEMENT_EVENTS,
    HISTORY_LIMIT,
    HISTORY_RETENTION,
    KICK_CLOSE_DELAY_SECONDS,
    LOOPBACK_ADDRESSES,
    MAX_SOCKET_PAYLOAD_SIZE,
    MAX_USER_COLOR,
    PART_GRACE_SECONDS,
    PUBLISHED_EVENTS,
    WELCOME_DELAY_SECONDS,
    ApiUser,
    ChatActionSent,
    ChatEvent,
    ChatMessageSent,
    ChatRecord,
    ChatUser,
    ClientInfo,
    EventType,
    FediverseEngagement,
    MessagesVisibilityChanged,
    Notices,
    SystemMessageSent,
    UserJoinedChat,
    UserNameChanged,
    UserPartedChat,
)
from owncast_core.domain.config import Keys
from owncast_core.domain.events import StreamOnline, StreamStarted, StreamStopped
from owncast_core.domain.timefmt import go_time
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.ports.bus import EventBus
from owncast_core.ports.chat import ChatRepository, ChatTransport
from owncast_core.ports.clock import Clock, IdGenerator
from owncast_core.ports.render import ContentFilter, MessageRenderer
from owncast_core.ports.timers import Scheduler, TimerHandle
from owncast_core.services.chat_clients import ChatClient, ClientRegistry, encode
from owncast_core.services.chat_history import ChatJournal
from owncast_core.services.chat_rules import (
    SpamVerdict,
    is_established,
    name_blocked,
    offline_too_long,
    safe_display_name,
)
from owncast_core.services.config import ConfigService
from owncast_core.services.users import UserService

GeoLookup = Callable[[str], Awaitable[Any]]
"""Optional GeoIP lookup for chat clients: address -> object with ``to_json()`` or ``None``."""

_PASSIVE_TYPES = frozenset({EventType.PING, EventType.PONG})


class ChatService:
    """Owncast's chat server (``core/chat``), transport-agnostic.

    Connections: ``connect`` (after the websocket upgrade) answers with ``CONNECTED_USER_INFO``,
    or with ``ERROR_NEEDS_REGISTRATION`` / ``ERROR_USER_DISABLED`` and a close; ``receive``
    handles each inbound frame; ``disconnected`` starts the 10 s part grace. The websocket
    endpoint checks ``chat_disabled`` and ``ip_banned`` before upgrading.

    Server-side API (admin, moderators, integrations): ``send_system_message``, ``send_action``,
    ``send_bot_message``, ``set_visibility``, ``history``, ``admin_history``, ``clients``,
    ``set_user_enabled``, ``set_moderator``, ``user_details``. ``history``, ``admin_history`` and
    ``user_details`` return JSON-ready objects in Owncast's shapes; ``clients`` returns
    ``ClientInfo`` snapshots (``to_json()`` gives the admin shape).

    Stream state comes from the bus (``StreamStarted``/``StreamOnline``/``StreamStopped``): the
    "starting"/"ending" chat actions, the welcome message (privately, 7 s after connecting while
    live), join announcements while live, and ignoring messages after 5 minutes offline.
    ``start`` subscribes to the bus; ``close`` persists everything pending and cancels timers.
    """

    def __init__(
        self,
        *,
        config: ConfigService,
        users: UserService,
        messages: ChatRepository,
        renderer: MessageRenderer,
        content_filter: ContentFilter,
        bus: EventBus,
        clock: Clock,
        ids: IdGenerator,
        scheduler: Scheduler,
        geo_lookup: GeoLookup | None = None,
        retention: timedelta = HISTORY_RETENTION,
        logger: logging.Logger | None = None,
    ) -> None:
        self._config = config
        self._users = users
        self._messages = messages
        self._renderer = renderer
        self._filter = content_filter
        self._bus = bus
        self._clock = clock
        self._ids = ids
        self._scheduler = scheduler
        self._retention = retention
        self._log = logger or logging.getLogger("owncast.chat")
        self._journal = ChatJournal(repository=messages, logger=self._log)
        self._clients = ClientRegistry()
        self._part_timers: dict[str, TimerHandle] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._online = False
        self._last_disconnect: datetime | None = None
        self.geo_lookup = geo_lookup
        """Set by the composition root when a GeoIP lookup is available."""

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self._bus.subscribe(self._on_bus_event)

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self._scheduler.close()
        await self._journal.flush()

    async def flush(self) -> None:
        """Persist every message sent so far."""
        await self._journal.flush()

    async def prune_history(self) -> int:
        """Apply the retention policy: delete messages older than ``retention``."""
        await self._journal.flush()
        removed = await self._messages.prune(self._clock.now() - self._retention)
        if removed:
            self._log.info("pruned %d chat messages older than %s", removed, self._retention)
        return removed

    @property
    def users(self) -> UserService:
        return self._users

    @property
    def online(self) -> bool:
        return self._online

    # pre-upgrade checks ------------------------------------------------------------------------
    def chat_disabled(self) -> bool:
        return self._config.flag(Keys.CHAT_DISABLED)

    async def ip_banned(self, ip_address: str) -> bool:
        return await self._users.is_ip_banned(ip_address)

    def connection_count(self) -> int:
        return len(self._clients)

    async def stored_counts(self) -> tuple[int, int]:
        """(chat users, chat messages) in the store, messages sent so far included."""
        await self._journal.flush()
        return await self._users.repository.count_users(), await self._messages.count()

    # connections -------------------------------------------------------------------------------
    async def connect(
        self, access_token: str | None, transport: ChatTransport, *, ip_address: str, user_agent: str
    ) -> ChatClient | None:
        """Accept a websocket for ``access_token``; ``None`` (transport closed) when refused."""
        if not access_token:
            transport.close()
            return None
        try:
            user = await self._users.repository.user_by_token(access_token)
        except NotFoundError:
            transport.send(encode({"type": EventType.ERROR_NEEDS_REGISTRATION}))
            transport.close()
            return None
        if not user.enabled:
            transport.send(encode({"type": EventType.ERROR_USER_DISABLED}))
            transport.close()
            return None
        client = ChatClient(
            id=self._clients.new_id(),
            user=user,
            transport=transport,
            ip_address=ip_address,
            user_agent=user_agent,
            connected_at=self._clock.now(),
        )
        already_here = bool(self._clients.for_user(user.id))
        pending_part = self._part_timers.pop(user.id, None)
        if pending_part is not None:
            pending_part.cancel()
        self._clients.add(client)
        self._send_user_info(client)
        if self._online:
            if (
                not already_here
                and pending_part is None
                and self._config.flag(Keys.CHAT_JOIN_MESSAGES_ENABLED)
            ):
                await self._publish(
                    UserJoinedChat(
                        id=self._ids.new_id(), timestamp=self._clock.now(), user=user, client_id=client.id
                    )
                )
            self._scheduler.call_later(WELCOME_DELAY_SECONDS, lambda: self._welcome(client))
        if self.geo_lookup is not None:
            self._scheduler.call_later(0, lambda: self._locate(client))
        return client

    async def disconnected(self, client: ChatClient) -> None:
        """The connection closed; a user's last one starts the part grace timer."""
        if not self._clients.remove(client):
            return
        client.transport.close()
        user_id = client.user.id
        if self._clients.for_user(user_id) or user_id in self._part_timers:
            return

        async def part() -> None:
            self._part_timers.pop(user_id, None)
            if self._clients.for_user(user_id):
                return
            await self._publish(
                UserPartedChat(
                    id=self._ids.new_id(), timestamp=self._clock.now(), user=client.user, client_id=client.id
                )
            )

        self._part_timers[user_id] = self._scheduler.call_later(PART_GRACE_SECONDS, part)

    async def _welcome(self, client: ChatClient) -> None:
        if self._clients.get(client.id) is None or not self._online:
            return
        body = self._renderer.render_trusted(self._config.string(Keys.WELCOME_MESSAGE))
        if body:
            event = SystemMessageSent(
                id=self._ids.new_id(),
                timestamp=self._clock.now(),
                body=body,
                server_name=self._server_name(),
                client_id=client.id,
            )
            client.send(event.to_payload())

    async def _locate(self, client: ChatClient) -> None:
        if self.geo_lookup is not None:
            client.geo = await self.geo_lookup(client.ip_address)

    # inbound -----------------------------------------------------------------------------------
    async def receive(self, client: ChatClient, data: str | bytes) -> None:
        """Handle one inbound websocket message from ``client``."""
        if isinstance(data, (bytes, bytearray)):
            if len(data) > CLOSE_PAYLOAD_SIZE:
                client.transport.close()
            else:
                self._notify(client, Notices.BINARY)
            return
        size = len(data) if len(data) * 4 <= MAX_SOCKET_PAYLOAD_SIZE else len(data.encode("utf-8", "replace"))
        if size > CLOSE_PAYLOAD_SIZE:
            client.transport.close()
            return
        if size > MAX_SOCKET_PAYLOAD_SIZE:
            self._notify(client, Notices.TOO_BIG)
            return
        if not client.user.enabled:
            return
        if self._config.flag(Keys.CHAT_SPAM_PROTECTION_ENABLED):
            verdict = client.spam.check(self._clock.monotonic())
            if verdict is SpamVerdict.MUTED:
                return
            if verdict is SpamVerdict.FLOODING:
                self._log.warning(
                    "client %d (%s) is flooding chat; muted for a while", client.id, client.user.display_name
                )
                self._notify(client, Notices.FLOODING)
                return
        if self._config.flag(Keys.CHAT_SLUR_FILTER_ENABLED) and not self._filter.allowed(data):
            self._notify(client, Notices.FILTERED)
            return
        try:
            event = jsontext.loads(data.replace("\n", " ").strip())
        except ValueError:
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            self._notify(client, Notices.UNREADABLE)
            return
        kind = event["type"]
        if kind == EventType.CHAT:
            await self._chat(client, event.get("body"))
        elif kind == EventType.NAME_CHANGE:
            await self._rename(client, event.get("newName"))
        elif kind == EventType.COLOR_CHANGE:
            await self._recolor(client, event.get("newColor"))
        elif kind not in _PASSIVE_TYPES:
            self._notify(client, Notices.unknown_type(kind))

    async def _chat(self, client: ChatClient, body: object) -> None:
        if not isinstance(body, str):
            self._notify(client, Notices.UNREADABLE)
            return
        now = self._clock.now()
        if self.chat_disabled():
            return
        if self._config.flag(Keys.CHAT_ESTABLISHED_USER_MODE) and not is_established(client.user, now):
            self._notify(client, Notices.NOT_ESTABLISHED)
            return
        raw = body.strip()
        html = self._renderer.render_user(raw) if raw else ""
        if not html:
            return
        if offline_too_long(self._online, self._last_disconnect, now):
            return
        event = ChatMessageSent(
            id=self._ids.new_id(),
            timestamp=now,
            user=client.user,
            body=html,
            raw_body=raw,
            client_id=client.id,
        )
        await self._publish(event)
        self._journal.append(event.to_record())
        client.message_count += 1

    async def _rename(self, client: ChatClient, new_name: object) -> None:
        proposed = safe_display_name(new_name)
        user = client.user
        if not proposed:
            self._notify(client, Notices.EMPTY_NAME)
            self._send_user_info(client)
            return
        if name_blocked(proposed, self._config.get(Keys.FORBIDDEN_USERNAMES) or []):
            self._notify(client, Notices.name_blocked(proposed))
            self._send_user_info(client)
            return
        if await self._users.repository.name_reserved(proposed, except_user_id=user.id):
            self._notify(client, Notices.name_taken(proposed))
            self._send_user_info(client)
            return
        if proposed == user.display_name:
            self._send_user_info(client)
            return
        now = self._clock.now()
        updated = await self._users.repository.rename(user.id, proposed, now)
        await self._publish(
            UserNameChanged(
                id=self._ids.new_id(),
                timestamp=now,
                user=updated,
                old_name=user.display_name,
                new_name=proposed,
                client_id=client.id,
            )
        )
        self._update_user(updated)

    async def _recolor(self, client: ChatClient, color: object) -> None:
        if isinstance(color, bool) or not isinstance(color, (int, float)) or color != int(color):
            return
        if not 0 <= int(color) <= MAX_USER_COLOR:
            return
        updated = await self._users.repository.set_color(client.user.id, int(color))
        self._update_user(updated)

    # outbound ----------------------------------------------------------------------------------
    async def send_system_message(self, body: str, *, client_id: int | None = None) -> SystemMessageSent:
        """A SYSTEM message (markdown rendered, not sanitised) to everyone, persisted; or, with
        ``client_id``, to that one connected client only (not persisted: history is public)."""
        html = self._renderer.render_trusted(body or "")
        if not html:
            raise ValidationError("message body is empty")
        event = SystemMessageSent(
            id=self._ids.new_id(),
            timestamp=self._clock.now(),
            body=html,
            server_name=self._server_name(),
            client_id=client_id,
        )
        await self._publish(event)
        if client_id is None:
            self._journal.append(
                ChatRecord(id=event.id, event_type=event.type, body=html, timestamp=event.timestamp)
            )
        return event

    async def send_action(self, body: str, *, persist: bool = True, sanitize: bool = False) -> ChatActionSent:
        """A CHAT_ACTION line to everyone: markdown rendered, not sanitised (the text comes from the
        streamer or an integration) unless ``sanitize`` (the text quotes a user's name)."""
        render = self._renderer.render_user if sanitize else self._renderer.render_trusted
        html = render(body or "")
        if not html:
            raise ValidationError("action body is empty")
        event = ChatActionSent(
            id=self._ids.new_id(), timestamp=self._clock.now(), body=html, server_name=self._server_name()
        )
        await self._publish(event)
        if persist:
            self._journal.append(
                ChatRecord(id=event.id, event_type=event.type, body=html, timestamp=event.timestamp)
            )
        return event

    async def send_fediverse_engagement(self, event_type: str, *, text: str, image: str | None, title: str,
                                        link: str, actor_name: str = "") -> FediverseEngagement:
        """A ``FEDIVERSE_ENGAGEMENT_*`` line to everyone, persisted (history includes it) and
        published (so it reaches webhooks). ``text`` quotes a remote actor's name: it is rendered
        as user text (sanitised). ``ValidationError`` for another type or an empty text."""
        kind = ENGAGEMENT_EVENTS.get(event_type)
        if kind is None:
            raise ValidationError(f"not a Fediverse engagement type: {event_type}")
        html = self._renderer.render_user(text or "")
        if not html:
            raise ValidationError("engagement body is empty")
        event = kind(id=self._ids.new_id(), timestamp=self._clock.now(), body=html, image=image or None,
                     title=title, link=link, server_name=self._server_name(), actor_name=actor_name)
        await self._publish(event)
        self._journal.append(event.to_record())
        return event

    async def send_bot_message(self, user: ApiUser, body: str) -> ChatMessageSent:
        """A CHAT message from an integration's bot identity (markdown rendered without
        sanitising, as Owncast); ``ValidationError`` when empty."""
        raw = (body or "").strip() if isinstance(body, str) else ""
        html = self._renderer.render_trusted(raw) if raw else ""
        if not html:
            raise ValidationError("invalid message")
        event = ChatMessageSent(
            id=self._ids.new_id(),
            timestamp=self._clock.now(),
            user=user.as_chat_user(),
            body=html,
            raw_body=raw,
        )
        await self._publish(event)
        self._journal.append(event.to_record())
        return event

    async def set_visibility(self, ids: Sequence[str], visible: bool) -> MessagesVisibilityChanged:
        """Hide (or show again) messages; every client gets VISIBILITY-UPDATE."""
        if isinstance(ids, str) or not all(isinstance(i, str) for i in ids):
            raise ValidationError("idArray must be a list of message ids")
        message_ids = tuple(dict.fromkeys(ids))
        now = self._clock.now()
        await self._journal.flush()
        await self._messages.set_hidden(message_ids, None if visible else now)
        event = MessagesVisibilityChanged(
            id=self._ids.new_id(), timestamp=now, ids=message_ids, visible=bool(visible)
        )
        await self._publish(event)
        return event

    # moderation --------------------------------------------------------------------------------
    async def set_user_enabled(self, user_id: str, enabled: bool) -> ChatUser:
        """Enable or disable a user. Disabling hides all their messages, tells each of their
        connections ``ERROR_USER_DISABLED`` and closes it 2 s later, announces the removal and
        bans their non-loopback addresses (Owncast's behaviour). ``NotFoundError`` if unknown."""
        user = await self._users.repository.set_disabled(user_id, None if enabled else self._clock.now())
        self._update_user(user)
        if enabled:
            return user
        await self._journal.flush()
        ids = await self._messages.message_ids_for_user(user_id)
        if ids:
            await self.set_visibility(ids, False)
        clients = self._clients.for_user(user_id)
        for client in clients:
            client.send(
                {
                    "type": EventType.ERROR_USER_DISABLED,
                    "id": self._ids.new_id(),
                    "timestamp": go_time(self._clock.now()),
                    "user": user.to_json(),
                }
            )
            self._scheduler.call_later(KICK_CLOSE_DELAY_SECONDS, _closer(client.transport))
        if clients:
            await self.send_action(
                Notices.removed(safe_display_name(user.display_name)), persist=False, sanitize=True
            )
            for address in {c.ip_address for c in clients}:
                if address and address not in LOOPBACK_ADDRESSES:
                    await self._users.repository.ban_ip(
                        address, f"Banning of {user.display_name}", self._clock.now()
                    )
        return user

    async def set_moderator(self, user_id: str, moderator: bool) -> ChatUser:
        """Grant or revoke ``MODERATOR``; the user's connections get a fresh CONNECTED_USER_INFO."""
        user = await self._users.set_moderator(user_id, moderator)
        self._update_user(user)
        return user

    def user_changed(self, user: ChatUser) -> None:
        """``user`` changed elsewhere (e.g. signed in): their connections carry the new state and
        get a fresh CONNECTED_USER_INFO."""
        self._update_user(user)

    def reassign_connections(self, from_user_id: str, user: ChatUser) -> None:
        """The access token of ``from_user_id`` now belongs to ``user`` (a sign-in as an
        identity someone already holds): every connection of ``from_user_id`` in this process
        becomes ``user`` and gets CONNECTED_USER_INFO, so it chats as ``user`` from now on."""
        if from_user_id != user.id:
            for client in self._clients.for_user(from_user_id):
                self._clients.remove(client)
                client.user = user
                self._clients.add(client)
        self._update_user(user)

    def clients(self) -> list[ClientInfo]:
        """Snapshots of the connected clients, oldest connection first."""
        return sorted((c.info() for c in self._clients), key=lambda c: (c.connected_at, c.id))

    async def history(self, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
        """``/api/chat``: the newest ``limit`` visible messages of enabled users, oldest first."""
        await self._journal.flush()
        name = self._server_name()
        return [entry.to_json(name) for entry in await self._messages.history(limit)]

    async def admin_history(self) -> list[dict[str, Any]]:
        """``/api/admin/chat/messages``: every message, hidden ones too, newest first."""
        await self._journal.flush()
        name = self._server_name()
        return [entry.to_json(name) for entry in await self._messages.all_messages()]

    async def user_details(self, user_id: str) -> dict[str, Any]:
        """``/api/moderation/chat/user/{id}``: the user, their connections and their messages."""
        user = await self._users.user(user_id)
        await self._journal.flush()
        records = await self._messages.messages_from_user(user_id)
        connections = []
        for client in self._clients.for_user(user_id):
            item: dict[str, Any] = {
                "id": client.id,
                "messageCount": client.message_count,
                "userAgent": client.user_agent,
                "connectedAt": go_time(client.connected_at),
            }
            country = getattr(client.geo, "country_code", "") if client.geo is not None else ""
            if country:
                item["geo"] = country
            connections.append(item)
        return {
            "user": user.to_json(),
            "connectedClients": connections,
            "messages": [
                {"id": r.id, "timestamp": go_time(r.timestamp), "user": None, "body": r.body} for r in records
            ],
        }

    # bus -----------------------------------------------------------------------------------------
    async def _publish(self, event: ChatEvent) -> None:
        await self._bus.publish(event)

    async def _on_bus_event(self, event: object) -> None:
        if isinstance(event, PUBLISHED_EVENTS):
            self._fan_out(event)
        elif isinstance(event, StreamStarted):
            await self.send_action(Notices.STREAM_STARTING, persist=False)
        elif isinstance(event, StreamOnline):
            self._online = True
        elif isinstance(event, StreamStopped):
            self._online = False
            self._last_disconnect = event.at
            await self.send_action(Notices.STREAM_ENDING, persist=False)

    def _fan_out(self, event: ChatEvent) -> None:
        """Deliver a published chat event to the clients of this process (encoded once)."""
        if isinstance(event, (UserJoinedChat, UserPartedChat)) and not self._announce_presence():
            return
        target: int | None = getattr(event, "client_id", None)
        if isinstance(event, (SystemMessageSent, ChatActionSent)) and target is not None:
            client = self._clients.get(target)
            if client is not None:
                client.send(event.to_payload())
            return
        self._clients.broadcast(encode(event.to_payload()))

    def _announce_presence(self) -> bool:
        return self._online and self._config.flag(Keys.CHAT_JOIN_MESSAGES_ENABLED)

    # helpers -------------------------------------------------------------------------------------
    def _server_name(self) -> str:
        return self._config.string(Keys.SERVER_NAME)

    def _notify(self, client: ChatClient, text: str) -> None:
        """A private CHAT_ACTION to one client (not published, not persisted). Notices quote what
        the user sent (names, event types), so they are rendered as user text: sanitised."""
        event = ChatActionSent(
            id=self._ids.new_id(),
            timestamp=self._clock.now(),
            body=self._renderer.render_user(text),
            server_name=self._server_name(),
            client_id=client.id,
        )
        client.send(event.to_payload())

    def _send_user_info(self, client: ChatClient) -> None:
        client.send({"type": EventType.CONNECTED_USER_INFO, "user": client.user.to_json()})

    def _update_user(self, user: ChatUser) -> None:
        """Every connection of ``user`` now carries the new state and is told about it."""
        for client in self._clients.for_user(user.id):
            client.user = user
            self._send_user_info(client)


def _closer(transport: ChatTransport) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        transport.close()

    return close
