"""Contract suites for ``NotificationsRepository``, ``DiscordNotifier``, ``BrowserPushNotifier`` and
``DirectoryClient`` (``owncast_core.ports.notifications``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from owncast_core.domain.notifications import (
    BROWSER_PUSH_NOTIFICATION,
    DirectoryPing,
    DiscordMessage,
    PushMessage,
    PushSubscription,
    b64url_decode,
)
from owncast_core.errors import DeliveryFailed, SubscriptionGone
from owncast_core.ports.notifications import (
    BrowserPushNotifier,
    DirectoryClient,
    DiscordNotifier,
    NotificationsRepository,
)

RepositoryFactory = Callable[[], Awaitable[NotificationsRepository]]
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
OTHER_CHANNEL = "SOME_FUTURE_CHANNEL"


class NotificationsRepositoryContract:
    """Provide ``make_repository``: an async factory; a second call must return a handle on the
    *same* store (reopened, for persistent adapters)."""

    @pytest.fixture
    async def make_repository(self) -> RepositoryFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def repository(self, make_repository: RepositoryFactory) -> NotificationsRepository:
        return await make_repository()

    async def test_add_and_list_oldest_first(self, repository: NotificationsRepository) -> None:
        assert await repository.add(BROWSER_PUSH_NOTIFICATION, '{"a":1}', T0) is True
        assert await repository.add(BROWSER_PUSH_NOTIFICATION, '{"b":2}', T0 + timedelta(seconds=1)) is True
        rows = await repository.list(BROWSER_PUSH_NOTIFICATION)
        assert [(r.channel, r.destination, r.created_at) for r in rows] == [
            (BROWSER_PUSH_NOTIFICATION, '{"a":1}', T0),
            (BROWSER_PUSH_NOTIFICATION, '{"b":2}', T0 + timedelta(seconds=1)),
        ]

    async def test_adding_a_known_pair_keeps_one(self, repository: NotificationsRepository) -> None:
        assert await repository.add(BROWSER_PUSH_NOTIFICATION, "same", T0) is True
        assert await repository.add(BROWSER_PUSH_NOTIFICATION, "same", T0 + timedelta(minutes=1)) is False
        rows = await repository.list(BROWSER_PUSH_NOTIFICATION)
        assert [(r.destination, r.created_at) for r in rows] == [("same", T0)]

    async def test_channels_are_separate(self, repository: NotificationsRepository) -> None:
        await repository.add(BROWSER_PUSH_NOTIFICATION, "x", T0)
        await repository.add(BROWSER_PUSH_NOTIFICATION, "y", T0)
        await repository.add(OTHER_CHANNEL, "x", T0)
        assert (await repository.count(BROWSER_PUSH_NOTIFICATION), await repository.count(OTHER_CHANNEL)) == (2, 1)
        assert await repository.remove(OTHER_CHANNEL, "x") is True
        assert await repository.count(OTHER_CHANNEL) == 0
        assert [r.destination for r in await repository.list(BROWSER_PUSH_NOTIFICATION)] == ["x", "y"]
        assert await repository.list(OTHER_CHANNEL) == []

    async def test_remove(self, repository: NotificationsRepository) -> None:
        await repository.add(BROWSER_PUSH_NOTIFICATION, "a", T0)
        await repository.add(BROWSER_PUSH_NOTIFICATION, "b", T0)
        assert await repository.remove(BROWSER_PUSH_NOTIFICATION, "a") is True
        assert await repository.remove(BROWSER_PUSH_NOTIFICATION, "a") is False
        assert [r.destination for r in await repository.list(BROWSER_PUSH_NOTIFICATION)] == ["b"]

    async def test_concurrent_adds(self, repository: NotificationsRepository) -> None:
        results = await asyncio.gather(*(repository.add(BROWSER_PUSH_NOTIFICATION, f"d{i % 10}", T0)
                                         for i in range(30)))
        assert sum(results) == 10
        assert len(await repository.list(BROWSER_PUSH_NOTIFICATION)) == 10

    async def test_persists_across_handles(self, make_repository: RepositoryFactory) -> None:
        first = await make_repository()
        await first.add(BROWSER_PUSH_NOTIFICATION, "kept", T0)
        second = await make_repository()
        assert [(r.destination, r.created_at) for r in await second.list(BROWSER_PUSH_NOTIFICATION)] == [
            ("kept", T0)]


@dataclass
class DiscordEnv:
    """What a ``DiscordNotifier`` binding provides: the notifier, a webhook URL answering 204
    (``received()`` returns the JSON bodies it got), one answering 500, one where nothing listens."""

    notifier: DiscordNotifier
    ok_url: str
    error_url: str
    dead_url: str
    received: Callable[[], list[dict[str, Any]]]


class DiscordNotifierContract:
    """Provide a ``discord_env`` fixture (``DiscordEnv``)."""

    @pytest.fixture
    async def discord_env(self) -> DiscordEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_posts_username_content_and_avatar(self, discord_env: DiscordEnv) -> None:
        message = DiscordMessage(username="Loopback TV", content="Live!\nTitle\n\nhttps://tv.example",
                                 avatar_url="https://tv.example/images/owncast-logo.png")
        await discord_env.notifier.send(discord_env.ok_url, message, timeout=5)
        assert discord_env.received() == [{"username": "Loopback TV", "content": "Live!\nTitle\n\nhttps://tv.example",
                                           "avatar_url": "https://tv.example/images/owncast-logo.png"}]

    async def test_no_avatar_field_without_an_avatar(self, discord_env: DiscordEnv) -> None:
        await discord_env.notifier.send(discord_env.ok_url, DiscordMessage("S", "Live!\n\n"), timeout=5)
        assert discord_env.received() == [{"username": "S", "content": "Live!\n\n"}]

    async def test_error_answer_raises_delivery_failed(self, discord_env: DiscordEnv) -> None:
        with pytest.raises(DeliveryFailed, match="500"):
            await discord_env.notifier.send(discord_env.error_url, DiscordMessage("S", "x"), timeout=5)

    async def test_no_answer_raises_delivery_failed(self, discord_env: DiscordEnv) -> None:
        with pytest.raises(DeliveryFailed):
            await discord_env.notifier.send(discord_env.dead_url, DiscordMessage("S", "x"), timeout=5)


@dataclass
class ReceivedPush:
    """One push request as the push service saw it, decrypted by the binding: ``vapid_key`` is
    the ``k`` of the request's VAPID ``Authorization`` if its JWT verifies against that key with
    ``aud`` = the endpoint's origin and an ``exp`` within 24 h (else ``None``)."""

    endpoint: str
    payload: bytes
    ttl: int
    topic: str
    vapid_key: str | None
    vapid_subject: str


@dataclass
class PushEnv:
    """What a ``BrowserPushNotifier`` binding provides: the notifier; subscriptions (with the
    subscriber's real keys) whose endpoints answer 201, 410, 404, 500, or nothing; and
    ``received()``, every request that reached the 201 endpoint, decrypted."""

    notifier: BrowserPushNotifier
    ok: PushSubscription
    gone: PushSubscription
    not_found: PushSubscription
    error: PushSubscription
    dead: PushSubscription
    received: Callable[[], list[ReceivedPush]]


class BrowserPushNotifierContract:
    """Provide a ``push_env`` fixture (``PushEnv``)."""

    @pytest.fixture
    async def push_env(self) -> PushEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    def test_generated_keys_have_the_vapid_shape(self, push_env: PushEnv) -> None:
        keys = push_env.notifier.generate_keys()
        public, private = b64url_decode(keys.public_key), b64url_decode(keys.private_key)
        assert len(public) == 65 and public[0] == 4 and len(private) == 32
        assert "=" not in keys.public_key + keys.private_key
        assert push_env.notifier.generate_keys() != keys

    async def test_delivers_the_payload_with_ttl_topic_and_vapid(self, push_env: PushEnv) -> None:
        keys = push_env.notifier.generate_keys()
        payload = json.dumps({"title": "Loopback TV", "body": "I've gone live!", "icon": "/logo/external"}).encode()
        await push_env.notifier.send(push_env.ok, PushMessage(payload), keys=keys, timeout=5)
        (got,) = push_env.received()
        assert got.endpoint == push_env.ok.endpoint
        assert got.payload == payload
        assert (got.ttl, got.topic) == (10, "owncast-go-live")
        assert got.vapid_key == keys.public_key
        assert got.vapid_subject == "mailto:owncast@owncast.online"

    async def test_gone_and_not_found_mean_subscription_gone(self, push_env: PushEnv) -> None:
        keys = push_env.notifier.generate_keys()
        for subscription in (push_env.gone, push_env.not_found):
            with pytest.raises(SubscriptionGone):
                await push_env.notifier.send(subscription, PushMessage(b"{}"), keys=keys, timeout=5)

    async def test_other_errors_are_delivery_failures_not_gone(self, push_env: PushEnv) -> None:
        keys = push_env.notifier.generate_keys()
        for subscription in (push_env.error, push_env.dead):
            with pytest.raises(DeliveryFailed) as caught:
                await push_env.notifier.send(subscription, PushMessage(b"{}"), keys=keys, timeout=5)
            assert not isinstance(caught.value, SubscriptionGone)


@dataclass
class DirectoryEnv:
    """What a ``DirectoryClient`` binding provides: the client; directory base URLs that answer
    ``{"success": true, "key": "issued-key"}``, ``{"success": false, "error": "not allowed",
    "errorCode": 3}``, something that is not JSON (HTTP 502 HTML), or nothing; and
    ``received()``, the ``(path, JSON body)`` of each request the first one got."""

    client: DirectoryClient
    ok_url: str
    refusing_url: str
    garbage_url: str
    dead_url: str
    received: Callable[[], list[tuple[str, Any]]]


class DirectoryClientContract:
    """Provide a ``directory_env`` fixture (``DirectoryEnv``)."""

    @pytest.fixture
    async def directory_env(self) -> DirectoryEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_ping_posts_key_and_url_and_returns_the_key(self, directory_env: DirectoryEnv) -> None:
        reply = await directory_env.client.ping(directory_env.ok_url, DirectoryPing("old", "https://tv.example"),
                                                timeout=5)
        assert reply.success and reply.key == "issued-key"
        assert directory_env.received() == [("/api/ping", {"key": "old", "url": "https://tv.example"})]

    async def test_refusal_is_a_reply_not_an_error(self, directory_env: DirectoryEnv) -> None:
        reply = await directory_env.client.ping(directory_env.refusing_url, DirectoryPing("", "https://tv.example"),
                                                timeout=5)
        assert not reply.success and reply.error == "not allowed" and reply.error_code == 3

    async def test_answer_without_json_raises_delivery_failed(self, directory_env: DirectoryEnv) -> None:
        with pytest.raises(DeliveryFailed):
            await directory_env.client.ping(directory_env.garbage_url, DirectoryPing("", "https://tv.example"),
                                            timeout=5)

    async def test_no_answer_raises_delivery_failed(self, directory_env: DirectoryEnv) -> None:
        with pytest.raises(DeliveryFailed):
            await directory_env.client.ping(directory_env.dead_url, DirectoryPing("", "https://tv.example"),
                                            timeout=5)
