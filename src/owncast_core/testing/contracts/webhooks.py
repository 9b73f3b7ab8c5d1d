# ruff: noqa: S105, S106  (test secrets)
"""Contract suites for ``WebhookRepository`` and ``WebhookSender``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.errors import DeliveryFailed, NotFoundError
from owncast_core.ports.webhooks import WebhookRepository, WebhookSender

RepositoryFactory = Callable[[], Awaitable[WebhookRepository]]
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


class WebhookRepositoryContract:
    """Provide ``make_repository``: an async factory; a second call must return a handle on the
    *same* store (reopened, for persistent adapters)."""

    @pytest.fixture
    async def make_repository(self) -> RepositoryFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def repository(self, make_repository: RepositoryFactory) -> WebhookRepository:
        return await make_repository()

    async def test_create_returns_the_stored_webhook(self, repository: WebhookRepository) -> None:
        hook = await repository.create(url="https://a.example/hook", events=("CHAT", "USER_JOINED"),
                                       secret="s3", timestamp=T0)
        assert hook.id > 0 and hook.url == "https://a.example/hook" and hook.events == ("CHAT", "USER_JOINED")
        assert hook.secret == "s3" and hook.timestamp == T0 and hook.last_used is None
        assert await repository.get(hook.id) == hook

    async def test_ids_are_unique_and_never_reused(self, repository: WebhookRepository) -> None:
        first = await repository.create(url="https://a.example/1", events=("CHAT",), secret="a", timestamp=T0)
        second = await repository.create(url="https://a.example/2", events=("CHAT",), secret="b",
                                         timestamp=T0)
        assert first.id != second.id
        assert await repository.delete(second.id) is True
        third = await repository.create(url="https://a.example/3", events=("CHAT",), secret="c", timestamp=T0)
        assert third.id not in (first.id, second.id)

    async def test_list_and_for_event_oldest_first(self, repository: WebhookRepository) -> None:
        a = await repository.create(url="https://a.example/a", events=("CHAT",), secret="x", timestamp=T0)
        b = await repository.create(url="https://a.example/b", events=("STREAM_STARTED", "CHAT"), secret="y",
                                    timestamp=T0 + timedelta(seconds=1))
        c = await repository.create(url="https://a.example/c", events=("STREAM_STARTED",), secret="z",
                                    timestamp=T0 + timedelta(seconds=2))
        assert [h.id for h in await repository.list()] == [a.id, b.id, c.id]
        assert [h.id for h in await repository.for_event("CHAT")] == [a.id, b.id]
        assert [h.id for h in await repository.for_event("STREAM_STARTED")] == [b.id, c.id]
        assert await repository.for_event("USER_PARTED") == []

    async def test_delete_and_get_missing(self, repository: WebhookRepository) -> None:
        hook = await repository.create(url="https://a.example/x", events=("CHAT",), secret="x", timestamp=T0)
        assert await repository.delete(hook.id) is True
        assert await repository.delete(hook.id) is False
        with pytest.raises(NotFoundError):
            await repository.get(hook.id)
        assert await repository.list() == []

    async def test_mark_used(self, repository: WebhookRepository) -> None:
        hook = await repository.create(url="https://a.example/x", events=("CHAT",), secret="x", timestamp=T0)
        used = T0 + timedelta(minutes=5, microseconds=7)
        await repository.mark_used(hook.id, used)
        assert (await repository.get(hook.id)).last_used == used
        await repository.delete(hook.id)
        await repository.mark_used(hook.id, used)  # deleted meanwhile: no error

    async def test_concurrent_creates(self, repository: WebhookRepository) -> None:
        hooks = await asyncio.gather(*(
            repository.create(url=f"https://a.example/{i}", events=("CHAT",), secret=str(i), timestamp=T0)
            for i in range(20)))
        assert len({h.id for h in hooks}) == 20

    async def test_persists_across_handles(self, make_repository: RepositoryFactory) -> None:
        first = await make_repository()
        hook = await first.create(url="https://a.example/p", events=("CHAT", "SYSTEM"), secret="k",
                                  timestamp=T0)
        second = await make_repository()
        assert await second.get(hook.id) == hook


@dataclass
class SenderEnv:
    """What a ``WebhookSender`` binding provides: the sender, a URL answering 200 (whose
    requests ``received()`` returns as ``(body, headers)`` with lower-case header names), a URL
    answering 500, and a URL where nothing listens."""

    sender: WebhookSender
    ok_url: str
    error_url: str
    dead_url: str
    received: Callable[[], list[tuple[bytes, dict[str, str]]]]


class WebhookSenderContract:
    """Provide a ``sender_env`` fixture (``SenderEnv``)."""

    @pytest.fixture
    async def sender_env(self) -> SenderEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_posts_body_and_headers(self, sender_env: SenderEnv) -> None:
        body = b'{"type":"CHAT","eventData":{}}'
        status = await sender_env.sender.post(sender_env.ok_url, body, {"X-Owncast-Signature": "t=1.s=ab"},
                                              timeout=5)
        assert status == 200
        (got_body, headers), = sender_env.received()
        assert got_body == body
        assert headers["x-owncast-signature"] == "t=1.s=ab"
        assert headers["content-type"] == "application/json"

    async def test_error_status_is_returned_not_raised(self, sender_env: SenderEnv) -> None:
        assert await sender_env.sender.post(sender_env.error_url, b"{}", {}, timeout=5) == 500

    async def test_no_answer_raises_delivery_failed(self, sender_env: SenderEnv) -> None:
        with pytest.raises(DeliveryFailed):
            await sender_env.sender.post(sender_env.dead_url, b"{}", {}, timeout=5)
