"""Connected chat clients on this node, and the encoding of events for them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from owncast_core.domain.chat import ChatUser, ClientInfo
from owncast_core.ports.chat import ChatTransport
from owncast_core.services.chat_rules import SpamGuard

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode(payload: dict[str, Any]) -> str:
    """One event as compact JSON text (encoded once, then written to every connection)."""
    return _encoder.encode(payload)


@dataclass(eq=False, slots=True)
class ChatClient:
    """One open chat connection: who it is, where from, and its outbound transport."""

    id: int
    user: ChatUser
    transport: ChatTransport
    ip_address: str
    user_agent: str
    connected_at: datetime
    message_count: int = 0
    geo: Any = None
    spam: SpamGuard = field(default_factory=SpamGuard)

    def send(self, payload: dict[str, Any]) -> bool:
        return self.transport.send(encode(payload))

    def info(self) -> ClientInfo:
        return ClientInfo(
            id=self.id,
            user=self.user,
            connected_at=self.connected_at,
            message_count=self.message_count,
            user_agent=self.user_agent,
            ip_address=self.ip_address,
            geo=self.geo,
        )


class ClientRegistry:
    """The clients connected to this process, by client id (ids are never reused).

    ``broadcast`` hands one already-encoded frame to every transport: the per-delivery cost is a
    queue append, so fan-out to thousands of clients stays cheap.
    """

    def __init__(self) -> None:
        self._clients: dict[int, ChatClient] = {}
        self._by_user: dict[str, dict[int, ChatClient]] = {}
        self._next_id = 1

    def new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def add(self, client: ChatClient) -> None:
        self._clients[client.id] = client
        self._by_user.setdefault(client.user.id, {})[client.id] = client

    def remove(self, client: ChatClient) -> bool:
        if self._clients.pop(client.id, None) is None:
            return False
        mine = self._by_user.get(client.user.id)
        if mine is not None:
            mine.pop(client.id, None)
            if not mine:
                del self._by_user[client.user.id]
        return True

    def get(self, client_id: int) -> ChatClient | None:
        return self._clients.get(client_id)

    def for_user(self, user_id: str) -> list[ChatClient]:
        return list(self._by_user.get(user_id, {}).values())

    def __iter__(self) -> Iterator[ChatClient]:
        return iter(list(self._clients.values()))

    def __len__(self) -> int:
        return len(self._clients)

    def broadcast(self, frame: str) -> int:
        """Queue ``frame`` on every connection; returns how many accepted it."""
        delivered = 0
        for client in self._clients.values():
            if client.transport.send(frame):
                delivered += 1
        return delivered
