"""A ChatService wired to fakes, for unit tests (imported by the chat unit test modules)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from owncast_core.domain.config import Keys
from owncast_core.domain.events import StreamOnline, StreamStarted, StreamStopped
from owncast_core.domain.stream import BroadcasterDetails
from owncast_core.services.chat import ChatService
from owncast_core.services.chat_clients import ChatClient
from owncast_core.services.config import ConfigService
from owncast_core.services.users import UserService
from owncast_core.testing.fakes import (
    EscapingMessageRenderer,
    FakeClock,
    InMemoryChatRepository,
    InMemoryConfigRepository,
    InMemoryContentFilter,
    InMemoryEventBus,
    InMemoryUserRepository,
    ManualScheduler,
    PlainPasswordHasher,
    RecordingChatTransport,
    SequentialIds,
)


class ChatRig:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.bus = InMemoryEventBus()
        self.ids = SequentialIds()
        self.scheduler = ManualScheduler(self.clock)
        self.config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
        self.user_repo = InMemoryUserRepository()
        self.chat_repo = InMemoryChatRepository(self.user_repo)
        self.users = UserService(
            repository=self.user_repo,
            config=self.config,
            clock=self.clock,
            ids=self.ids,
            secrets_source=self.ids,
            pick=lambda n: 0,
        )
        self.filter = InMemoryContentFilter({"badword"})
        self.chat = ChatService(
            config=self.config,
            users=self.users,
            messages=self.chat_repo,
            renderer=EscapingMessageRenderer(),
            content_filter=self.filter,
            bus=self.bus,
            clock=self.clock,
            ids=self.ids,
            scheduler=self.scheduler,
        )

    async def start(self) -> ChatRig:
        await self.config.load()
        await self.config.set(Keys.SERVER_NAME, "Test Server")
        self.chat.start()
        return self

    async def join(
        self, name: str = "Ada", ip: str = "203.0.113.5"
    ) -> tuple[ChatClient, RecordingChatTransport, str]:
        _user, token = await self.users.register(name)
        transport = RecordingChatTransport()
        client = await self.chat.connect(token, transport, ip_address=ip, user_agent="pytest")
        assert client is not None
        return client, transport, token

    async def say(self, client: ChatClient, body: Any) -> None:
        import json

        self.clock.advance(1.0)  # stay under the flood guard
        await self.chat.receive(client, json.dumps({"type": "CHAT", "body": body}))

    async def go_live(self) -> None:
        details = BroadcasterDetails.from_metadata(
            {}, remote_addr="1.2.3.4", connected_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
        await self.bus.publish(StreamStarted(details=details, at=self.clock.now()))
        await self.bus.publish(StreamOnline(at=self.clock.now()))

    async def go_offline(self) -> None:
        await self.bus.publish(StreamStopped(at=self.clock.now(), reason="test"))
