"""Webhook delivery end to end: WebhookService + HttpxWebhookSender against real loopback receivers.

Retries use short injected delays so the run stays fast; the default schedule is asserted in the
unit tests.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from owncast_adapters.webhooks.httpx_sender import HttpxWebhookSender
from owncast_core.domain import webhooks as wh
from owncast_core.domain.config import Keys
from owncast_core.domain.events import StreamOnline, StreamStopped
from owncast_core.errors import DeliveryFailed, DeliveryRefused
from owncast_core.services.config import ConfigService
from owncast_core.services.webhooks import WebhookService
from owncast_core.testing.fakes import (
    FakeClock,
    InMemoryConfigRepository,
    InMemoryWebhookRepository,
    PlainPasswordHasher,
    SequentialIds,
)

from ..webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration
STATUS = {"online": True, "viewerCount": 1, "overallMaxViewerCount": 3, "sessionMaxViewerCount": 2,
          "lastConnectTime": None, "lastDisconnectTime": None, "versionNumber": "0.2.3", "streamTitle": ""}


class RealClock(FakeClock):
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
async def service() -> AsyncIterator[WebhookService]:
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    await config.set(Keys.SERVER_NAME, "Loopback TV")
    sender = HttpxWebhookSender(allow_private=True)
    svc = WebhookService(repository=InMemoryWebhookRepository(), sender=sender, config=config, clock=RealClock(),
                         ids=SequentialIds("ev"), secrets=SequentialIds(), status=lambda: STATUS,
                         allow_private_targets=True, retry_delays=(0.05, 0.1, 0.2), timeout=1.0)
    await svc.start()
    yield svc
    await svc.stop()
    await sender.aclose()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    server = await WebhookReceiver().start()
    yield server
    await server.stop()


async def test_payload_shape_and_signature(service: WebhookService, receiver: WebhookReceiver) -> None:
    hook = await service.create(receiver.url, ["STREAM_STARTED", "STREAM_STOPPED", "CHAT"])
    at = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    await service.on_event(StreamOnline(at=at))
    service.publish("CHAT", {"id": "m1", "body": "<p>hi</p>", "rawBody": "hi", "visible": True})
    await service.on_event(StreamStopped(at=at, reason="bye"))
    got = await receiver.wait_for(3)
    bodies = sorted((json.loads(r.body) for r in got), key=lambda b: b["type"])
    assert [b["type"] for b in bodies] == ["CHAT", "STREAM_STARTED", "STREAM_STOPPED"]
    assert bodies[1]["eventData"]["name"] == "Loopback TV" and bodies[1]["eventData"]["status"] == STATUS
    assert bodies[1]["eventData"]["timestamp"] == "2026-01-01T12:00:00Z"
    now = int(time.time())
    for request in got:
        assert request.headers["content-type"] == "application/json"
        assert wh.verify(hook.secret, request.body, request.headers["x-owncast-signature"], now=now)
        assert request.headers["x-owncast-event"] in ("CHAT", "STREAM_STARTED", "STREAM_STOPPED")
    await service.wait_idle(5)
    assert (await service.list())[0].last_used is not None


async def test_retries_after_500(service: WebhookService, receiver: WebhookReceiver) -> None:
    receiver.answers = [500, 502]
    await service.create(receiver.url, ["CHAT"])
    service.publish("CHAT", {"id": "m1"})
    got = await receiver.wait_for(3)
    assert len({r.body for r in got}) == 1 and len({r.headers["x-owncast-delivery"] for r in got}) == 1
    await service.wait_idle(5)
    assert len(receiver.requests) == 3


async def test_retries_after_refused_connection(service: WebhookService) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    await service.create(f"http://127.0.0.1:{port}/hook", ["CHAT"])
    service.publish("CHAT", {"id": "m1"})
    await asyncio.sleep(0.02)  # the first attempt is refused: nothing listens yet
    late = await WebhookReceiver(port=port).start()
    try:
        got = await late.wait_for(1, timeout=5)
        assert json.loads(got[0].body)["eventData"] == {"id": "m1"}
    finally:
        await late.stop()


async def test_no_retry_storm_after_deletion(service: WebhookService, receiver: WebhookReceiver) -> None:
    receiver.default = 500
    hook = await service.create(receiver.url, ["CHAT"])
    service.publish("CHAT", {"id": "m1"})
    await receiver.wait_for(1)
    await service.delete(hook.id)
    await service.wait_idle(5)
    await asyncio.sleep(0.5)  # longer than every remaining backoff delay
    assert len(receiver.requests) <= 2


async def test_hanging_receiver_times_out_and_does_not_block_publishers(service: WebhookService) -> None:
    hanging = await WebhookReceiver(default="hang").start()
    try:
        await service.create(hanging.url, ["CHAT"])
        loop = asyncio.get_running_loop()
        started = loop.time()
        for n in range(200):
            service.publish("CHAT", {"n": n})
        assert loop.time() - started < 0.5  # one blocked delivery alone would wait out the 1 s timeout
        lag = await _event_loop_lag(1.0)
        assert lag < 0.5, f"event loop stalled for {lag:.3f} s while webhooks hang"
        await hanging.wait_for(1)
    finally:
        await hanging.stop()


async def _event_loop_lag(duration: float) -> float:
    loop = asyncio.get_running_loop()
    worst, end = 0.0, loop.time() + duration
    while loop.time() < end:
        before = loop.time()
        await asyncio.sleep(0.01)
        worst = max(worst, loop.time() - before - 0.01)
    return worst


async def test_sender_refuses_private_targets_unless_allowed() -> None:
    async def to_loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    async def to_public(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    strict = HttpxWebhookSender(resolver=to_loopback)
    try:
        with pytest.raises(DeliveryRefused):
            await strict.post("http://sneaky.example/hook", b"{}", {}, timeout=1)
        with pytest.raises(DeliveryRefused):
            await strict.post("http://127.0.0.1:9/hook", b"{}", {}, timeout=1)
        with pytest.raises(DeliveryRefused):
            await strict.post("file:///etc/passwd", b"{}", {}, timeout=1)
    finally:
        await strict.aclose()
    # a name resolving to public addresses passes the check (no network: a mock transport answers)
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    public = HttpxWebhookSender(resolver=to_public, client=httpx.AsyncClient(transport=httpx.MockTransport(answer)))
    try:
        assert await public.post("https://public.example/hook", b"{}", {}, timeout=1) == 204
        assert seen == ["https://public.example/hook"]
    finally:
        await public.aclose()


async def test_sender_times_out_on_a_hanging_receiver() -> None:
    hanging = await WebhookReceiver(default="hang").start()
    sender = HttpxWebhookSender(allow_private=True)
    try:
        started = time.monotonic()
        with pytest.raises(DeliveryFailed):
            await sender.post(hanging.url, b"{}", {}, timeout=0.3)
        assert time.monotonic() - started < 2
    finally:
        await sender.aclose()
        await hanging.stop()
