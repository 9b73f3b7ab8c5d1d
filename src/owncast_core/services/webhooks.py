"""WebhookService: webhook subscriptions and their best-effort, retried, signed delivery.

Delivery never blocks the publisher (chat, video): ``publish`` only puts jobs on a bounded
queue (dropping with a warning when it is full); a few worker tasks POST them through the
``WebhookSender``. A delivery is retried after a refused connection, a timeout, an HTTP 5xx or
429, with the delays of ``retry_delays`` (by default 5 s, 15 s, 40 s: four attempts over about a
minute); retries wait in their own timer tasks, not in a worker. A webhook deleted meanwhile gets
no further attempts. Every answered request updates the webhook's ``lastUsed`` (as Owncast).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from owncast_core.domain import webhooks as wh
from owncast_core.domain.chat import (
    ChatActionSent,
    ChatMessageSent,
    FediverseEngagement,
    MessagesVisibilityChanged,
    SystemMessageSent,
    UserJoinedChat,
    UserNameChanged,
    UserPartedChat,
)
from owncast_core.domain.config import Keys
from owncast_core.domain.config_rules import is_valid_url
from owncast_core.domain.events import StreamOnline, StreamStopped, StreamTitleChanged
from owncast_core.domain.geo import names_local_host
from owncast_core.domain.timefmt import go_time
from owncast_core.domain.webhooks import Webhook
from owncast_core.errors import DeliveryFailed, DeliveryRefused, ValidationError
from owncast_core.ports.clock import Clock, IdGenerator, SecretGenerator
from owncast_core.ports.webhooks import WebhookRepository, WebhookSender
from owncast_core.services.config import ConfigService

DEFAULT_RETRY_DELAYS = (5.0, 15.0, 40.0)
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_WORKERS = 4
DEFAULT_QUEUE_SIZE = 1000

Sleep = Callable[[float], Awaitable[None]]
StatusProvider = Callable[[], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class _Job:
    webhook_id: int
    url: str
    secret: str
    event_type: str
    body: bytes
    delivery_id: str
    attempt: int = 0


class WebhookService:
    """Owns webhook CRUD and delivery. ``start`` loads the subscriptions and starts the workers;
    ``stop`` cancels workers and pending retries (undelivered jobs are dropped).

    ``allow_private_targets`` permits webhook URLs on loopback/private hosts (tests, LAN setups);
    by default they are refused at creation and by the sender at delivery time.
    """

    def __init__(
        self,
        *,
        repository: WebhookRepository,
        sender: WebhookSender,
        config: ConfigService,
        clock: Clock,
        ids: IdGenerator,
        secrets: SecretGenerator,
        status: StatusProvider,
        allow_private_targets: bool = False,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        workers: int = DEFAULT_WORKERS,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        sleep: Sleep = asyncio.sleep,
        logger: logging.Logger | None = None,
    ) -> None:
        self._repository = repository
        self._sender = sender
        self._config = config
        self._clock = clock
        self._ids = ids
        self._secrets = secrets
        self._status = status
        self._allow_private = allow_private_targets
        self._retry_delays = retry_delays
        self._timeout = timeout
        self._worker_count = max(1, workers)
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=queue_size)
        self._sleep = sleep
        self._log = logger or logging.getLogger("owncast.webhooks")
        self._hooks: dict[int, Webhook] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        self._hooks = {hook.id: hook for hook in await self._repository.list()}
        if not self._workers:
            self._workers = [asyncio.create_task(self._work(), name=f"webhook-worker-{i}")
                             for i in range(self._worker_count)]

    async def stop(self) -> None:
        tasks = [*self._workers, *self._timers]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers.clear()
        self._timers.clear()

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Return once nothing is queued, in flight or waiting for a retry (for tests)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # CRUD -----------------------------------------------------------------------------------
    async def create(self, url: object, events: object) -> Webhook:
        """Validate and store a webhook; raises ``ValidationError`` for a bad URL or event."""
        if not isinstance(url, str) or not is_valid_url(url.strip()):
            raise ValidationError("webhook url must be an absolute http(s) URL")
        url = url.strip()
        if not self._allow_private and names_local_host(urlsplit(url).hostname or ""):
            raise ValidationError("webhook url must not point to a loopback or private address")
        bad = wh.invalid_events(events)
        if bad or not events:
            raise ValidationError("one or more invalid event provided")
        assert isinstance(events, list)
        unique = tuple(dict.fromkeys(events))
        hook = await self._repository.create(url=url, events=unique, secret=self._secrets.token(32),
                                             timestamp=self._clock.now())
        self._hooks[hook.id] = hook
        return hook

    async def list(self) -> list[Webhook]:
        hooks = await self._repository.list()
        self._hooks = {hook.id: hook for hook in hooks}
        return hooks

    async def delete(self, webhook_id: int) -> bool:
        """Delete a webhook; queued deliveries and pending retries to it are dropped."""
        self._hooks.pop(webhook_id, None)
        return await self._repository.delete(webhook_id)

    # publishing -----------------------------------------------------------------------------
    def publish(self, event_type: str, event_data: Mapping[str, Any]) -> int:
        """Queue ``event_data`` for every webhook subscribed to ``event_type``; never blocks.

        Returns how many deliveries were queued (jobs that do not fit the queue are dropped and
        logged).
        """
        targets = [hook for hook in self._hooks.values() if hook.wants(event_type)]
        if not targets:
            return 0
        body = wh.encode(wh.envelope(event_type, event_data))
        queued = 0
        for hook in targets:
            job = _Job(hook.id, hook.url, hook.secret, event_type, body, self._ids.new_id())
            if self._enqueue(job):
                queued += 1
        return queued

    def _enqueue(self, job: _Job) -> bool:
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self._log.warning("webhook queue full: dropped %s for %s", job.event_type, job.url)
            return False
        self._idle.clear()
        return True

    async def on_event(self, event: object) -> None:
        """``EventBus`` subscriber: stream events and published chat events become webhooks.

        ``STREAM_STARTED`` is sent when the stream turns online (viewers can play), not at the
        RTMP connect, so its ``status.online`` is true as receivers expect.
        """
        chat = chat_event_data(event)
        if chat is not None:
            self.publish(*chat)
        elif isinstance(event, StreamOnline):
            self.publish(wh.STREAM_STARTED, self._stream_event_data(event.at))
        elif isinstance(event, StreamStopped):
            self.publish(wh.STREAM_STOPPED, self._stream_event_data(event.at))
        elif isinstance(event, StreamTitleChanged):
            self.publish(wh.STREAM_TITLE_UPDATED, self._stream_event_data(event.at))

    def _stream_event_data(self, at: Any) -> dict[str, Any]:
        return wh.stream_event_data(
            event_id=self._ids.new_id(),
            timestamp=go_time(at) or "",
            name=self._config.string(Keys.SERVER_NAME),
            summary=self._config.string(Keys.SERVER_SUMMARY),
            stream_title=self._config.string(Keys.STREAM_TITLE),
            status=self._status(),
        )

    # delivery -------------------------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            self._in_flight += 1
            try:
                await self._attempt(job)
            except Exception:  # a bug here must not kill the worker
                self._log.exception("webhook delivery of %s to %s failed unexpectedly",
                                    job.event_type, job.url)
            finally:
                self._in_flight -= 1
                self._queue.task_done()
                self._check_idle()

    async def _attempt(self, job: _Job) -> None:
        if job.webhook_id not in self._hooks:
            return  # deleted: no (further) attempts
        now = self._clock.now()
        headers = {
            wh.SIGNATURE_HEADER: wh.sign(job.secret, job.body, int(now.timestamp())),
            wh.DELIVERY_HEADER: job.delivery_id,
            wh.EVENT_HEADER: job.event_type,
            "User-Agent": "Owncast-py webhooks",
        }
        try:
            status = await self._sender.post(job.url, job.body, headers, timeout=self._timeout)
        except DeliveryRefused as exc:
            self._log.warning("webhook %s to %s not sent: %s", job.event_type, job.url, exc)
            return
        except DeliveryFailed as exc:
            self._retry(job, str(exc))
            return
        await self._mark_used(job.webhook_id)
        if status >= 500 or status == 429:
            self._retry(job, f"HTTP {status}")

    async def _mark_used(self, webhook_id: int) -> None:
        at = self._clock.now()
        try:
            await self._repository.mark_used(webhook_id, at)
        except Exception as exc:
            self._log.warning("could not record webhook %s as used: %s", webhook_id, exc)
            return
        hook = self._hooks.get(webhook_id)
        if hook is not None:
            self._hooks[webhook_id] = Webhook(hook.id, hook.url, hook.events, hook.timestamp, at, hook.secret)

    def _retry(self, job: _Job, reason: str) -> None:
        if job.attempt >= len(self._retry_delays):
            self._log.error("webhook %s to %s failed after %d attempts: %s",
                            job.event_type, job.url, job.attempt + 1, reason)
            return
        delay = self._retry_delays[job.attempt]
        self._log.warning("webhook %s to %s failed (%s); retrying in %g s",
                          job.event_type, job.url, reason, delay)
        retry = replace(job, attempt=job.attempt + 1)
        task = asyncio.create_task(self._later(delay, retry), name="webhook-retry")
        self._timers.add(task)
        task.add_done_callback(self._timer_done)

    async def _later(self, delay: float, job: _Job) -> None:
        await self._sleep(delay)
        if job.webhook_id in self._hooks:
            self._enqueue(job)

    def _timer_done(self, task: asyncio.Task[None]) -> None:
        self._timers.discard(task)
        self._check_idle()

    def _check_idle(self) -> None:
        if self._queue.empty() and self._in_flight == 0 and not self._timers:
            self._idle.set()

    @property
    def pending(self) -> int:
        """Jobs queued or waiting for a retry (diagnostics)."""
        return self._queue.qsize() + len(self._timers)


def chat_event_data(event: object) -> tuple[str, dict[str, Any]] | None:
    """Owncast's webhook ``eventData`` for a published chat event (reference §3.2); ``None``
    for anything else, and for system messages and actions sent privately to one client."""
    if isinstance(event, ChatMessageSent):
        data: dict[str, Any] = {"id": event.id, "body": event.body, "rawBody": event.raw_body,
                                "timestamp": go_time(event.timestamp),
                                "user": event.user.to_json(webhook=True), "visible": event.visible}
        if event.client_id:
            data["clientId"] = event.client_id
        return wh.CHAT, data
    if isinstance(event, (UserNameChanged, UserJoinedChat, UserPartedChat)):
        data = {"type": event.type, "id": event.id, "timestamp": go_time(event.timestamp),
                "clientId": event.client_id or 0, "user": event.user.to_json(webhook=True)}
        if isinstance(event, UserNameChanged):
            data["newName"] = event.new_name
        return event.type, data
    if isinstance(event, MessagesVisibilityChanged):
        return wh.VISIBILITY_UPDATE, {"type": event.type, "id": event.id,
                                      "timestamp": go_time(event.timestamp), "MessageIDs": list(event.ids),
                                      "Visible": event.visible, "body": "", "user": None}
    if isinstance(event, FediverseEngagement):
        data = {"id": event.id, "timestamp": go_time(event.timestamp), "name": event.actor_name,
                "username": event.title, "image": event.image or ""}
        if event.type != wh.FEDIVERSE_ENGAGEMENT_FOLLOW:
            data.update({"body": event.body, "link": event.link})
        return event.type, data
    if isinstance(event, (SystemMessageSent, ChatActionSent)) and event.client_id is None:
        return event.type, {"type": event.type, "id": event.id, "timestamp": go_time(event.timestamp),
                            "body": event.body}
    return None


def webhook_json(hook: Webhook, *, include_secret: bool = True) -> dict[str, Any]:
    """Owncast's ``models.Webhook`` JSON, plus the signing ``secret`` (admin only)."""
    out: dict[str, Any] = {
        "id": hook.id,
        "url": hook.url,
        "events": list(hook.events),
        "timestamp": go_time(hook.timestamp),
        "lastUsed": go_time(hook.last_used),
    }
    if include_secret:
        out["secret"] = hook.secret
    return out
