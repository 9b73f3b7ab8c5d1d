"""WebhookService on fakes: CRUD rules, payloads, signatures, retries, deletion, back-pressure."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from owncast_core.domain import webhooks as wh
from owncast_core.domain.chat import (
    ChatActionSent,
    ChatMessageSent,
    ChatUser,
    MessagesVisibilityChanged,
    SystemMessageSent,
    UserJoinedChat,
    UserNameChanged,
    UserPartedChat,
)
from owncast_core.domain.events import StreamOnline, StreamStopped, StreamTitleChanged
from owncast_core.errors import DeliveryFailed, DeliveryRefused, ValidationError
from owncast_core.services.config import ConfigService
from owncast_core.services.webhooks import WebhookService, webhook_json
from owncast_core.testing.fakes import (
    FakeClock,
    InMemoryConfigRepository,
    InMemoryWebhookRepository,
    PlainPasswordHasher,
    RecordingWebhookSender,
    SequentialIds,
)

STATUS = {"online": True, "viewerCount": 5, "overallMaxViewerCount": 420, "sessionMaxViewerCount": 69,
          "lastConnectTime": None, "lastDisconnectTime": None, "versionNumber": "0.2.3", "streamTitle": "my stream"}


class ManualSleep:
    """An injectable ``sleep`` that waits until the test releases it (records requested delays)."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._gate = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await self._gate.wait()

    def release(self) -> None:
        self._gate.set()


async def make_service(sender: RecordingWebhookSender, *, sleep: Any = None, allow_private: bool = True,
                       queue_size: int = 100, clock: FakeClock | None = None) -> WebhookService:
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    await config.set_many({"server_name": "my server", "server_summary": "my server where I stream",
                           "stream_title": "my stream"})
    service = WebhookService(repository=InMemoryWebhookRepository(), sender=sender, config=config,
                             clock=clock or FakeClock(), ids=SequentialIds("ev"), secrets=SequentialIds(),
                             status=lambda: STATUS, allow_private_targets=allow_private,
                             retry_delays=(5.0, 15.0, 40.0), queue_size=queue_size,
                             sleep=sleep or (lambda d: asyncio.sleep(0)))
    await service.start()
    return service


async def test_create_validates_url_and_events() -> None:
    service = await make_service(RecordingWebhookSender(), allow_private=False)
    for url, events in [("not a url", ["CHAT"]), ("ftp://x.example/h", ["CHAT"]), ("https://x.example/h", ["NOPE"]),
                        ("https://x.example/h", []), ("https://x.example/h", "CHAT"), (5, ["CHAT"]),
                        ("http://127.0.0.1:9/h", ["CHAT"]), ("http://localhost/h", ["CHAT"]),
                        ("http://[::1]/h", ["CHAT"]), ("http://10.0.0.8/h", ["CHAT"])]:
        with pytest.raises(ValidationError):
            await service.create(url, events)
    hook = await service.create("https://x.example/h", ["CHAT", "CHAT", "STREAM_STARTED"])
    assert hook.events == ("CHAT", "STREAM_STARTED") and len(hook.secret) >= 32
    doc = webhook_json(hook)
    assert set(doc) == {"id", "url", "events", "timestamp", "lastUsed", "secret"} and doc["lastUsed"] is None
    await service.stop()


async def test_stream_events_have_owncast_payloads_and_valid_signatures() -> None:
    sender = RecordingWebhookSender()
    clock = FakeClock()
    service = await make_service(sender, clock=clock)
    hook = await service.create("http://127.0.0.1:1/hook", ["STREAM_STARTED", "STREAM_STOPPED", "STREAM_TITLE_UPDATED"])
    at = datetime(1970, 1, 1, 0, 1, 12, tzinfo=UTC)
    await service.on_event(StreamOnline(at=at))
    await service.on_event(StreamTitleChanged(title="my stream", at=at))
    await service.on_event(StreamStopped(at=at, reason="done"))
    await service.wait_idle(2)
    bodies = [json.loads(body) for _, body, _ in sender.requests]
    assert [b["type"] for b in bodies] == ["STREAM_STARTED", "STREAM_TITLE_UPDATED", "STREAM_STOPPED"]
    assert bodies[0]["eventData"] == {"id": "ev1", "name": "my server", "summary": "my server where I stream",
                                      "streamTitle": "my stream", "timestamp": "1970-01-01T00:01:12Z",
                                      "status": STATUS}
    now = int(clock.now().timestamp())
    for _, body, headers in sender.requests:
        assert wh.verify(hook.secret, body, headers["x-owncast-signature"], now=now)
        assert not wh.verify("wrong", body, headers["x-owncast-signature"], now=now)
        assert not wh.verify(hook.secret, body + b" ", headers["x-owncast-signature"], now=now)
        assert not wh.verify(hook.secret, body, headers["x-owncast-signature"], now=now + 301)
    assert (await service.list())[0].last_used == clock.now()
    await service.stop()


async def test_only_subscribed_events_are_sent() -> None:
    sender = RecordingWebhookSender()
    service = await make_service(sender)
    await service.create("http://127.0.0.1:1/a", ["CHAT"])
    await service.create("http://127.0.0.1:1/b", ["USER_JOINED"])
    assert service.publish("CHAT", {"id": "m1"}) == 1
    assert service.publish("PING", {}) == 0
    await service.wait_idle(2)
    assert [url for url, _, _ in sender.requests] == ["http://127.0.0.1:1/a"]
    await service.stop()


@pytest.mark.parametrize("failure", [500, 503, 429, DeliveryFailed("connection refused")])
async def test_failed_delivery_is_retried_with_backoff_then_succeeds(failure: object) -> None:
    sender = RecordingWebhookSender(answers=[failure, failure, 200])
    delays: list[float] = []

    async def sleep(d: float) -> None:
        delays.append(d)

    service = await make_service(sender, sleep=sleep)
    await service.create("http://127.0.0.1:1/h", ["CHAT"])
    service.publish("CHAT", {"id": "m1"})
    await service.wait_idle(2)
    assert len(sender.requests) == 3 and delays == [5.0, 15.0]
    assert len({headers["x-owncast-delivery"] for _, _, headers in sender.requests}) == 1
    assert len({body for _, body, _ in sender.requests}) == 1
    await service.stop()


async def test_gives_up_after_four_attempts_and_client_errors_are_not_retried() -> None:
    sender = RecordingWebhookSender(answers=[500] * 10)
    service = await make_service(sender)
    await service.create("http://127.0.0.1:1/h", ["CHAT"])
    service.publish("CHAT", {"id": "m1"})
    await service.wait_idle(2)
    assert len(sender.requests) == 4
    sender.answers = [404, 200]
    service.publish("CHAT", {"id": "m2"})
    await service.wait_idle(2)
    assert len(sender.requests) == 5


async def test_refused_target_is_not_retried() -> None:
    sender = RecordingWebhookSender(answers=[DeliveryRefused("private address")])
    service = await make_service(sender)
    await service.create("http://127.0.0.1:1/h", ["CHAT"])
    service.publish("CHAT", {})
    await service.wait_idle(2)
    assert len(sender.requests) == 1
    await service.stop()


async def test_deleting_a_webhook_stops_pending_retries() -> None:
    sender = RecordingWebhookSender(answers=[500] * 10)
    sleep = ManualSleep()
    service = await make_service(sender, sleep=sleep)
    hook = await service.create("http://127.0.0.1:1/h", ["CHAT"])
    service.publish("CHAT", {})
    for _ in range(50):
        if sleep.delays:
            break
        await asyncio.sleep(0.01)
    assert len(sender.requests) == 1 and sleep.delays == [5.0]
    assert await service.delete(hook.id)
    sleep.release()
    await service.wait_idle(2)
    assert len(sender.requests) == 1
    assert service.publish("CHAT", {}) == 0
    await service.stop()


async def test_publish_never_blocks_and_drops_when_the_queue_is_full() -> None:
    gate = asyncio.Event()

    class HangingSender(RecordingWebhookSender):
        async def post(self, url: str, body: bytes, headers: Any, *, timeout: float) -> int:
            await gate.wait()
            return await super().post(url, body, headers, timeout=timeout)

    sender = HangingSender()
    service = await make_service(sender, queue_size=3)
    await service.create("http://127.0.0.1:1/h", ["CHAT"])
    loop = asyncio.get_running_loop()
    started = loop.time()
    queued = sum(service.publish("CHAT", {"n": n}) for n in range(50))
    assert loop.time() - started < 1.0  # the hanging sender would block forever
    assert queued < 50  # the rest was dropped, not waited for
    gate.set()
    await service.wait_idle(2)
    assert len(sender.requests) <= queued
    await service.stop()


def test_sign_matches_owncast_format() -> None:
    value = wh.sign("secret", b'{"a":1}', 1700000000)
    assert value.startswith("t=1700000000.s=") and len(value.split(".s=")[1]) == 64
    assert wh.verify("secret", b'{"a":1}', value, now=1700000100)
    assert not wh.verify("secret", b'{"a":1}', "garbage", now=1700000100)


async def test_chat_events_become_owncast_webhook_payloads() -> None:
    ts = datetime(1970, 1, 1, 0, 1, 12, tzinfo=UTC)
    user = ChatUser(id="user id", display_name="display name", display_color=4,
                    created_at=datetime(1970, 1, 1, 0, 0, 3, tzinfo=UTC), previous_names=("somebody",))
    sender = RecordingWebhookSender()
    service = await make_service(sender)
    await service.create("http://127.0.0.1:1/h", sorted(wh.EVENT_TYPES))
    await service.on_event(ChatMessageSent(id="id", timestamp=ts, user=user, body="body", raw_body="raw body",
                                           client_id=51))
    await service.on_event(UserNameChanged(id="id", timestamp=ts, user=user, old_name="x", new_name="new name",
                                           client_id=51))
    await service.on_event(UserJoinedChat(id="id", timestamp=ts, user=user, client_id=51))
    await service.on_event(UserPartedChat(id="id", timestamp=ts, user=user, client_id=51))
    await service.on_event(MessagesVisibilityChanged(id="id", timestamp=ts, ids=("message1", "message2"),
                                                     visible=False))
    await service.on_event(SystemMessageSent(id="s", timestamp=ts, body="<p>hi</p>", server_name="srv"))
    await service.on_event(SystemMessageSent(id="p", timestamp=ts, body="private", server_name="srv", client_id=3))
    await service.on_event(ChatActionSent(id="a", timestamp=ts, body="<p>act</p>", server_name="srv"))
    await service.wait_idle(2)
    got = [json.loads(body) for _, body, _ in sender.requests]
    user_json = {"authenticated": False, "createdAt": "1970-01-01T00:00:03Z", "displayColor": 4,
                 "displayName": "display name", "id": "user id", "isBot": False, "previousNames": ["somebody"]}
    stamp = "1970-01-01T00:01:12Z"
    assert got == [
        {"type": "CHAT", "eventData": {"body": "body", "clientId": 51, "id": "id", "rawBody": "raw body",
                                       "timestamp": stamp, "user": user_json, "visible": True}},
        {"type": "NAME_CHANGE", "eventData": {"clientId": 51, "id": "id", "newName": "new name", "timestamp": stamp,
                                              "type": "NAME_CHANGE", "user": user_json}},
        {"type": "USER_JOINED", "eventData": {"clientId": 51, "id": "id", "type": "USER_JOINED", "timestamp": stamp,
                                              "user": user_json}},
        {"type": "USER_PARTED", "eventData": {"clientId": 51, "id": "id", "type": "USER_PARTED", "timestamp": stamp,
                                              "user": user_json}},
        {"type": "VISIBILITY-UPDATE", "eventData": {"MessageIDs": ["message1", "message2"], "Visible": False,
                                                    "body": "", "id": "id", "timestamp": stamp,
                                                    "type": "VISIBILITY-UPDATE", "user": None}},
        {"type": "SYSTEM", "eventData": {"type": "SYSTEM", "id": "s", "timestamp": stamp, "body": "<p>hi</p>"}},
        {"type": "CHAT_ACTION", "eventData": {"type": "CHAT_ACTION", "id": "a", "timestamp": stamp,
                                              "body": "<p>act</p>"}},
    ]
    await service.stop()
