"""NotificationService on fakes: the 2-minute timer, the 10-minute rule, cancel on disconnect,
channels sent concurrently and independently, registration rules, VAPID keys at start."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.events import StreamStarted, StreamStopped
from owncast_core.domain.notifications import BROWSER_PUSH_NOTIFICATION, DiscordMessage, b64url_encode
from owncast_core.domain.stream import BroadcasterDetails
from owncast_core.errors import DeliveryFailed, DeliveryRefused, SubscriptionGone, ValidationError
from owncast_core.services.config import ConfigService
from owncast_core.services.notifications import NotificationService
from owncast_core.testing.fakes import (
    FakeClock,
    InMemoryConfigRepository,
    InMemoryNotificationsRepository,
    ManualScheduler,
    PlainPasswordHasher,
    RecordingBrowserPushNotifier,
    RecordingDiscordNotifier,
)

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
DISCORD = "https://discord.example/api/webhooks/1/abc"


def subscription(endpoint: str = "https://push.example/sub/1") -> str:
    return json.dumps({"endpoint": endpoint, "expirationTime": None,
                       "keys": {"p256dh": b64url_encode(b"\x04" + os.urandom(64)),
                                "auth": b64url_encode(os.urandom(16))}})


@dataclass
class Rig:
    service: NotificationService
    config: ConfigService
    repository: InMemoryNotificationsRepository
    discord: RecordingDiscordNotifier
    push: RecordingBrowserPushNotifier
    scheduler: ManualScheduler
    clock: FakeClock
    live: list[bool]

    async def go_live(self) -> None:
        self.live[0] = True
        await self.service.on_event(StreamStarted(BroadcasterDetails("1.2.3.4", self.clock.now()), self.clock.now()))

    async def go_offline(self) -> None:
        self.live[0] = False
        await self.service.on_event(StreamStopped(self.clock.now(), "publisher disconnected"))


@pytest.fixture
async def rig() -> Rig:
    clock = FakeClock(T0)
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    await config.set_many({
        Keys.SERVER_NAME: "Loopback TV", Keys.SERVER_URL: "https://tv.example", Keys.STREAM_TITLE: "Friday jam",
        Keys.DISCORD_CONFIG: {"enabled": True, "webhook": DISCORD, "goLiveMessage": "We're live!"},
    })
    live = [False]
    repository, discord, push = (InMemoryNotificationsRepository(), RecordingDiscordNotifier(),
                                 RecordingBrowserPushNotifier())
    scheduler = ManualScheduler(clock)
    service = NotificationService(config=config, repository=repository, discord=discord, browser_push=push,
                                  scheduler=scheduler, clock=clock, is_live=lambda: live[0])
    await service.start()
    return Rig(service, config, repository, discord, push, scheduler, clock, live)


async def test_first_start_creates_and_keeps_vapid_keys(rig: Rig) -> None:
    public = rig.config.string(Keys.VAPID_PUBLIC_KEY)
    assert public and rig.config.string(Keys.VAPID_PRIVATE_KEY) and rig.push.generated == 1
    await rig.service.start()
    assert rig.push.generated == 1 and rig.config.string(Keys.VAPID_PUBLIC_KEY) == public


def test_browser_push_is_on_by_default() -> None:
    from owncast_core.domain.config import DEFAULTS

    assert DEFAULTS[Keys.BROWSER_PUSH_CONFIG] == {"enabled": True, "goLiveMessage": "I've gone live!"}


async def test_sends_two_minutes_after_going_live(rig: Rig) -> None:
    await rig.service.register(BROWSER_PUSH_NOTIFICATION, subscription())
    await rig.go_live()
    await rig.scheduler.advance(119)
    assert rig.discord.sent == [] and rig.push.sent == []
    await rig.scheduler.advance(1)
    assert rig.discord.sent == [(DISCORD, DiscordMessage(
        username="Loopback TV", content="We're live!\nFriday jam\n\nhttps://tv.example",
        avatar_url="https://tv.example/images/owncast-logo.png"))]
    (_sub, message, keys), = rig.push.sent
    assert json.loads(message.payload) == {"title": "Loopback TV", "body": "I've gone live!", "icon": "/logo/external"}
    assert (message.topic, message.ttl, message.contact) == ("owncast-go-live", 10, "mailto:owncast@owncast.online")
    assert keys.public_key == rig.config.string(Keys.VAPID_PUBLIC_KEY)
    assert rig.config.get(Keys.LAST_NOTIFIED_AT) == (T0 + timedelta(seconds=120)).isoformat()


async def test_disconnect_cancels_the_timer(rig: Rig) -> None:
    await rig.go_live()
    assert rig.service.armed
    await rig.scheduler.advance(60)
    await rig.go_offline()
    assert not rig.service.armed and rig.scheduler.pending == 0
    await rig.scheduler.advance(600)
    assert rig.discord.sent == []


async def test_not_sent_when_no_longer_live_at_two_minutes(rig: Rig) -> None:
    await rig.go_live()
    rig.live[0] = False  # ended without a StreamStopped reaching us
    await rig.scheduler.advance(120)
    assert rig.discord.sent == [] and rig.config.get(Keys.LAST_NOTIFIED_AT) is None


async def test_reconnect_within_ten_minutes_sends_nothing_new(rig: Rig) -> None:
    await rig.go_live()
    await rig.scheduler.advance(120)
    assert len(rig.discord.sent) == 1
    await rig.go_offline()
    await rig.scheduler.advance(300)
    await rig.go_live()  # back 7 min after the notification: within 10 min of it
    await rig.scheduler.advance(120)
    assert len(rig.discord.sent) == 1
    await rig.go_offline()
    await rig.scheduler.advance(120)
    await rig.go_live()  # 13 min after it
    await rig.scheduler.advance(120)
    assert len(rig.discord.sent) == 2


async def test_the_ten_minute_rule_uses_the_saved_time(rig: Rig) -> None:
    await rig.config.set(Keys.LAST_NOTIFIED_AT, (T0 - timedelta(minutes=7)).isoformat())  # a previous run
    await rig.go_live()
    await rig.scheduler.advance(120)  # 9 min after the saved time
    assert rig.discord.sent == []
    await rig.go_offline()
    await rig.scheduler.advance(60)
    await rig.go_live()
    await rig.scheduler.advance(120)  # 12 min after it
    assert len(rig.discord.sent) == 1


async def test_the_notification_time_is_persisted(rig: Rig) -> None:
    repository = InMemoryConfigRepository()
    config = ConfigService(repository=repository, hasher=PlainPasswordHasher())
    await config.load()
    service = NotificationService(config=config, repository=rig.repository, discord=rig.discord,
                                  browser_push=rig.push, scheduler=rig.scheduler, clock=rig.clock,
                                  is_live=lambda: True)
    assert await service.notify_go_live() is True
    assert await repository.get(Keys.LAST_NOTIFIED_AT) == T0.isoformat()


async def test_starting_again_replaces_the_pending_timer(rig: Rig) -> None:
    await rig.go_live()
    await rig.scheduler.advance(100)
    await rig.go_live()
    assert rig.scheduler.pending == 1
    await rig.scheduler.advance(20)
    assert rig.discord.sent == []
    await rig.scheduler.advance(100)
    assert len(rig.discord.sent) == 1


async def test_one_failing_channel_does_not_stop_the_other(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.discord.routes[DISCORD] = DeliveryFailed("Discord answered HTTP 401: Invalid Webhook Token")
    await rig.service.register(BROWSER_PUSH_NOTIFICATION, subscription())
    await rig.go_live()
    with caplog.at_level(logging.INFO, logger="owncast.notifications"):
        await rig.scheduler.advance(120)
    assert len(rig.push.sent) == 1
    messages = [r.getMessage() for r in caplog.records]
    assert ("could not send the go-live notification to Discord: Discord answered HTTP 401: Invalid Webhook Token"
            in messages)
    assert "sent the go-live notification to 1 of 1 browsers" in messages


async def test_an_unexpected_error_in_one_channel_is_contained(rig: Rig) -> None:
    rig.discord.routes[DISCORD] = RuntimeError("bug")
    await rig.service.register(BROWSER_PUSH_NOTIFICATION, subscription())
    await rig.go_live()
    await rig.scheduler.advance(120)
    assert len(rig.push.sent) == 1


async def test_channels_are_sent_concurrently(rig: Rig) -> None:
    release = asyncio.Event()
    started: list[str] = []

    class SlowDiscord(RecordingDiscordNotifier):
        async def send(self, webhook_url: str, message: DiscordMessage, *, timeout: float) -> None:
            started.append("discord")
            await release.wait()

    class WatchingPush(RecordingBrowserPushNotifier):
        async def send(self, *args: object, **kwargs: object) -> None:
            started.append("push")
            release.set()  # would never run if Discord were awaited first

    service = NotificationService(config=rig.config, repository=rig.repository, discord=SlowDiscord(),
                                  browser_push=WatchingPush(), scheduler=rig.scheduler, clock=rig.clock,
                                  is_live=lambda: True)
    await service.register(BROWSER_PUSH_NOTIFICATION, subscription())
    await asyncio.wait_for(service.send_all(), 2)
    assert sorted(started) == ["discord", "push"]


async def test_expired_subscriptions_are_removed_and_failures_kept(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("ok", "gone", "not-found", "down"):
        await rig.service.register(BROWSER_PUSH_NOTIFICATION, subscription(f"https://push.example/{name}"))
    rig.push.routes.update({
        "https://push.example/gone": SubscriptionGone("HTTP 410"),
        "https://push.example/not-found": SubscriptionGone("HTTP 404"),
        "https://push.example/down": DeliveryFailed("the push service answered HTTP 503"),
    })
    with caplog.at_level(logging.INFO, logger="owncast.notifications"):
        await rig.service.send_all()
    left = [json.loads(d.destination)["endpoint"] for d in await rig.repository.list(BROWSER_PUSH_NOTIFICATION)]
    assert left == ["https://push.example/ok", "https://push.example/down"]
    assert any("sent the go-live notification to 1 of 4 browsers (2 expired subscriptions removed); 1 failed"
               in r.getMessage() for r in caplog.records)


async def test_disabled_channels_are_not_sent(rig: Rig) -> None:
    await rig.config.set_many({Keys.DISCORD_CONFIG: {"enabled": False, "webhook": DISCORD},
                               Keys.BROWSER_PUSH_CONFIG: {"enabled": False}})
    await rig.service.register(BROWSER_PUSH_NOTIFICATION, subscription())
    await rig.service.send_all()
    assert rig.discord.sent == [] and rig.push.sent == []


async def test_discord_without_title_or_server_url(rig: Rig) -> None:
    await rig.config.set_many({Keys.STREAM_TITLE: "", Keys.SERVER_URL: ""})
    await rig.service.send_all()
    assert rig.discord.sent[0][1] == DiscordMessage(username="Loopback TV", content="We're live!\n\n")


async def test_refused_discord_target_is_logged(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.discord.routes[DISCORD] = DeliveryRefused("discord.example resolves to a loopback or private address")
    with caplog.at_level(logging.WARNING, logger="owncast.notifications"):
        await rig.service.send_all()
    assert "loopback or private" in caplog.text


# --- registration ---------------------------------------------------------------------------------


async def test_register_stores_a_subscription_once(rig: Rig) -> None:
    text = subscription()
    assert await rig.service.register(BROWSER_PUSH_NOTIFICATION, text) is True
    assert await rig.service.register(BROWSER_PUSH_NOTIFICATION, text) is False
    (row,) = await rig.repository.list(BROWSER_PUSH_NOTIFICATION)
    assert json.loads(row.destination)["endpoint"] == "https://push.example/sub/1"
    assert row.created_at == T0


async def test_unregister_forgets_the_browser(rig: Rig) -> None:
    mine, other = subscription(), subscription("https://push.example/sub/2")
    await rig.service.register(BROWSER_PUSH_NOTIFICATION, mine)
    await rig.service.register(BROWSER_PUSH_NOTIFICATION, other)
    # the browser sends its subscription JSON as it likes (key order, spacing): matched all the same
    again = json.dumps(json.loads(mine), indent=2, sort_keys=True)
    assert await rig.service.unregister(BROWSER_PUSH_NOTIFICATION, again) is True
    assert [json.loads(d.destination)["endpoint"] for d in await rig.repository.list(BROWSER_PUSH_NOTIFICATION)] == [
        "https://push.example/sub/2"]
    assert await rig.service.unregister(BROWSER_PUSH_NOTIFICATION, mine) is False
    with pytest.raises(ValidationError, match="invalid notification channel: EMAIL"):
        await rig.service.unregister("EMAIL", other)
    with pytest.raises(ValidationError, match="not valid JSON"):
        await rig.service.unregister(BROWSER_PUSH_NOTIFICATION, "{oops")
    assert len(await rig.repository.list(BROWSER_PUSH_NOTIFICATION)) == 1


@pytest.mark.parametrize(("channel", "destination", "message"), [
    ("EMAIL", subscription(), "invalid notification channel: EMAIL"),
    (None, subscription(), "invalid notification channel: "),
    (BROWSER_PUSH_NOTIFICATION, "", "must be a PushSubscription JSON string"),
    (BROWSER_PUSH_NOTIFICATION, "{not json", "not valid JSON"),
    (BROWSER_PUSH_NOTIFICATION, "[]", "must be a PushSubscription object"),
    (BROWSER_PUSH_NOTIFICATION, json.dumps({"endpoint": "ftp://x", "keys": {}}), "endpoint must be an http(s) URL"),
    (BROWSER_PUSH_NOTIFICATION, subscription("http://push.example/x"), "must be a public https URL"),
    (BROWSER_PUSH_NOTIFICATION, subscription("https://127.0.0.1/x"), "must be a public https URL"),
    (BROWSER_PUSH_NOTIFICATION, subscription("https://192.168.1.1/x"), "must be a public https URL"),
    (BROWSER_PUSH_NOTIFICATION, json.dumps({"endpoint": "https://p.example/x"}), "has no keys"),
    (BROWSER_PUSH_NOTIFICATION, json.dumps({"endpoint": "https://p.example/x", "keys": {"p256dh": "!!", "auth": "a"}}),
     "keys.p256dh is not base64url"),
    (BROWSER_PUSH_NOTIFICATION, json.dumps({"endpoint": "https://p.example/x",
                                            "keys": {"p256dh": b64url_encode(b"\x04" * 33), "auth": "a"}}),
     "uncompressed P-256 public key"),
    (BROWSER_PUSH_NOTIFICATION, json.dumps({"endpoint": "https://p.example/x",
                                            "keys": {"p256dh": b64url_encode(b"\x04" * 65), "auth": "AAAA"}}),
     "keys.auth must be 16 bytes"),
    (BROWSER_PUSH_NOTIFICATION, subscription("https://p.example/" + "x" * 5000), "too long"),
])
async def test_register_refuses_bad_input(rig: Rig, channel: object, destination: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        await rig.service.register(channel, destination)
    assert await rig.repository.list(BROWSER_PUSH_NOTIFICATION) == []


async def test_private_endpoints_when_allowed(rig: Rig) -> None:
    service = NotificationService(config=rig.config, repository=rig.repository, discord=rig.discord,
                                  browser_push=rig.push, scheduler=rig.scheduler, clock=rig.clock,
                                  is_live=lambda: True, allow_private_endpoints=True)
    assert await service.register(BROWSER_PUSH_NOTIFICATION, subscription("http://127.0.0.1:9/push"))


async def test_registrations_are_bounded(rig: Rig) -> None:
    service = NotificationService(config=rig.config, repository=rig.repository, discord=rig.discord,
                                  browser_push=rig.push, scheduler=rig.scheduler, clock=rig.clock,
                                  is_live=lambda: True, max_subscriptions=2)
    first, second = subscription("https://push.example/1"), subscription("https://push.example/2")
    assert await service.register(BROWSER_PUSH_NOTIFICATION, first)
    assert await service.register(BROWSER_PUSH_NOTIFICATION, second)
    with pytest.raises(ValidationError, match=r"too many registered browsers \(at most 2\)"):
        await service.register(BROWSER_PUSH_NOTIFICATION, subscription("https://push.example/3"))
    assert await service.register(BROWSER_PUSH_NOTIFICATION, first) is False  # a known one is fine
    assert len(await rig.repository.list(BROWSER_PUSH_NOTIFICATION)) == 2
