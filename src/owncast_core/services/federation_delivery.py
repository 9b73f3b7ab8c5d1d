"""Outbound ActivityPub delivery: the durable queue's sender (reference §6.2).

Every activity the server sends (posts and profile updates to the followers, ``Accept`` /
``Reject`` of a follow, a direct message to one actor) is stored first, one delivery per
(activity, inbox), in the ``DeliveryQueue``; a worker task sends what is due, so a restart,
a slow or a dead receiving server never loses what a streamer posted and never blocks the
video or chat path. The rules (schedule, verdicts, breaker) are in ``domain/delivery.py``:

- Due deliveries go in batches of ``batch`` (50) with ``pause`` (100 ms) between batches, at
  most ``concurrency`` (8) requests at a time; each inbox receives its activities in order.
- Each attempt is signed afresh (a new ``Date``). A 2xx delivers. No answer, 408, 429 and 5xx
  are retried on ``retry_delays`` (``Retry-After`` pushes the next try later, within reason);
  after the last try the delivery is given up with one warning that names the server. Any
  other answer is final (one warning); a 410 Gone from a follower's own inbox removes that
  follower (``on_gone``), as a deleted account.
- ``threshold`` consecutive failures to one domain open its circuit breaker: its deliveries
  stay queued, untried, for a pause (logged once), then one probe decides.
- Only ``https://`` inboxes are contacted unless ``allow_insecure`` (the runner's
  ``--outbound-allow-private``); loopback/private addresses are refused by the HTTP adapter.
- A delivery is removed only once it is answered or given up, so one in flight at shutdown is
  sent again after the restart (receivers de-duplicate by activity id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from owncast_core.domain.delivery import (
    RETRY_DELAYS,
    CircuitBreakers,
    QueuedDelivery,
    Verdict,
    delivery_domain,
    judge,
    next_attempt,
    retry_after_seconds,
)
from owncast_core.errors import DeliveryFailed, DeliveryRefused, FederationDisabled, NotFoundError
from owncast_core.ports.activitypub import DeliveryQueue, FederationHttp
from owncast_core.ports.clock import Clock

DELIVERY_BATCH: Final = 50  # Owncast: batches of 50 inboxes with a 100 ms pause
DELIVERY_PAUSE_SECONDS: Final = 0.1
DELIVERY_CONCURRENCY: Final = 8
MAX_IDLE_WAIT: Final = 60.0  # the worker looks at the queue at least this often
MIN_IDLE_WAIT: Final = 0.05
WHAT: Final = {"Create": "post", "Update": "profile update", "Accept": "follow approval",
               "Reject": "follow rejection", "Delete": "deletion"}

Signer = Callable[[str, bytes], dict[str, str]]  # (url, body) -> the headers of a signed POST


class FederationDeliveries:
    """The sender of the outbound delivery queue (see the module docstring)."""

    def __init__(
        self,
        *,
        queue: DeliveryQueue,
        http: FederationHttp,
        clock: Clock,
        sign: Signer,
        active: Callable[[], bool],
        on_gone: Callable[[str], Awaitable[None]],
        allow_insecure: bool = False,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        breakers: CircuitBreakers | None = None,
        timeout: float = 10.0,
        batch: int = DELIVERY_BATCH,
        pause: float = DELIVERY_PAUSE_SECONDS,
        concurrency: int = DELIVERY_CONCURRENCY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        logger: logging.Logger | None = None,
    ) -> None:
        self._queue = queue
        self._http = http
        self._clock = clock
        self._sign = sign
        self._active = active
        self._on_gone = on_gone
        self._allow_insecure = allow_insecure
        self._delays = retry_delays
        self._breakers = breakers or CircuitBreakers()
        self._timeout = timeout
        self._batch = max(1, batch)
        self._pause = pause
        self._concurrency = max(1, concurrency)
        self._sleep = sleep
        self._log = logger or logging.getLogger("owncast.federation")
        self._wake = asyncio.Event()
        self._sending = asyncio.Lock()
        self._worker: asyncio.Task[None] | None = None

    # queueing -----------------------------------------------------------------------------------
    async def add(self, activity_id: str, body: bytes, inboxes: Sequence[str]) -> int:
        """Store one delivery of ``body`` per distinct inbox, due now, and wake the worker;
        returns how many were queued (``StorageError`` if they could not be stored)."""
        added = await self._queue.add(activity_id, body, inboxes, at=self._clock.now())
        if added:
            self._wake.set()
        return added

    async def send_now(self, body: bytes, inbox: str) -> None:
        """One attempt right now, not queued, for a caller that reports the outcome itself (a
        sign-in code by direct message is useless later): the same https-only rule, fresh
        signature, breaker and 410 handling as a queued delivery. Raises ``DeliveryRefused``
        for a target that is not allowed and ``DeliveryFailed`` for no answer, an answer other
        than 2xx, or a domain whose deliveries are paused."""
        domain, now = delivery_domain(inbox), self._clock.now()
        if not self._allow_insecure and urlsplit(inbox).scheme != "https":
            raise DeliveryRefused(f"{inbox} is not an https:// URL")
        if domain in self._breakers.paused(now):
            raise DeliveryFailed(f"{domain} is not answering; deliveries to it are paused for now")
        try:
            reply = await self._http.post(inbox, body=body, headers=self._sign(inbox, body), timeout=self._timeout)
        except DeliveryFailed as exc:
            self._count_failure(domain, str(exc))
            raise
        verdict = judge(reply.status)
        if verdict is Verdict.RETRY:
            self._count_failure(domain, f"HTTP {reply.status}")
        else:
            self._answered(domain)
        if verdict is Verdict.GONE:
            await self._on_gone(inbox)
        if verdict is not Verdict.DELIVERED:
            raise DeliveryFailed(f"{inbox} answered HTTP {reply.status}")

    # the worker ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker (inside the running loop); it first resumes what a previous run left."""
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="federation-delivery")

    async def close(self) -> None:
        """Stop the worker; deliveries in flight stay queued and are sent after the next start."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def _work(self) -> None:
        try:
            waiting = await self._queue.count()
        except Exception:
            self._log.exception("could not read the Fediverse delivery queue")
            waiting = 0
        if waiting:
            self._log.info("resuming %d Fediverse deliveries queued before the restart", waiting)
        while True:
            self._wake.clear()
            try:
                await self.send_due()
                delay = await self._seconds_to_next()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.exception("Fediverse deliveries stalled; trying again in %g s", MAX_IDLE_WAIT)
                delay = MAX_IDLE_WAIT
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _seconds_to_next(self) -> float:
        now = self._clock.now()
        paused = self._breakers.paused(now)
        moments = list(paused.values())
        due = await self._queue.next_due(skip_domains=paused)
        if due is not None:
            moments.append(due)
        if not moments:
            return MAX_IDLE_WAIT
        return min(max((min(moments) - now).total_seconds(), MIN_IDLE_WAIT), MAX_IDLE_WAIT)

    async def send_due(self) -> int:
        """Send every delivery due now (batches, pause, bounded concurrency; domains whose
        breaker is open are skipped) and return how many attempts were made. While federation
        is off (or has no server URL) the queue is dropped instead, with a warning."""
        async with self._sending:
            attempted = 0
            limit = asyncio.Semaphore(self._concurrency)
            while True:
                if not self._active():
                    dropped = await self._queue.clear()
                    if dropped:
                        self._log.warning("Fediverse: federation is off, so %d deliveries not sent yet were "
                                          "dropped", dropped)
                    return attempted
                now = self._clock.now()
                batch = await self._queue.due(now, limit=self._batch, skip_domains=self._breakers.paused(now))
                batch = self._one_probe_per_domain(batch, now)
                if not batch:
                    return attempted
                if attempted:
                    await self._sleep(self._pause)
                results = await asyncio.gather(*(self._attempt(d, limit) for d in batch), return_exceptions=True)
                for delivery, result in zip(batch, results, strict=True):
                    if isinstance(result, asyncio.CancelledError):
                        raise result
                    if isinstance(result, BaseException):  # a bug or the store: backed off like a failure
                        self._log.error("Fediverse: could not deliver to %s: %r", delivery.inbox, result)
                        await self._failed(delivery, f"internal error: {result}", retry_after=None, remote=False)
                attempted += len(batch)

    def _one_probe_per_domain(self, batch: list[QueuedDelivery], now: datetime) -> list[QueuedDelivery]:
        half_open = self._breakers.half_open(now)
        if not half_open:
            return batch
        kept: list[QueuedDelivery] = []
        probed: set[str] = set()
        for delivery in batch:
            if delivery.domain in half_open:
                if delivery.domain in probed:
                    continue
                probed.add(delivery.domain)
            kept.append(delivery)
        return kept

    # one attempt --------------------------------------------------------------------------------
    async def _attempt(self, delivery: QueuedDelivery, limit: asyncio.Semaphore) -> None:
        async with limit:
            if not self._allow_insecure and urlsplit(delivery.inbox).scheme != "https":
                await self._give_up(delivery, "the inbox is not an https:// URL", final=True)
                return
            try:
                headers = self._sign(delivery.inbox, delivery.body)
            except (FederationDisabled, NotFoundError):
                return  # federation was just turned off: the next pass drops the queue
            try:
                reply = await self._http.post(delivery.inbox, body=delivery.body, headers=headers,
                                              timeout=self._timeout)
            except DeliveryRefused as exc:
                await self._give_up(delivery, str(exc), final=True)
                return
            except DeliveryFailed as exc:
                await self._failed(delivery, str(exc), retry_after=None)
                return
        verdict = judge(reply.status)
        if verdict is Verdict.RETRY:
            await self._failed(delivery, f"HTTP {reply.status}",
                               retry_after=retry_after_seconds(reply.headers.get("retry-after"), self._clock.now()))
            return
        self._answered(delivery.domain)
        if verdict is Verdict.DELIVERED:
            await self._queue.remove(delivery.id)
            if delivery.attempts:
                self._log.info("Fediverse: delivered a %s to %s at attempt %d", _what(delivery), delivery.domain,
                               delivery.attempts + 1)
            return
        await self._give_up(delivery, f"HTTP {reply.status}", final=True)
        if verdict is Verdict.GONE:
            await self._on_gone(delivery.inbox)

    def _count_failure(self, domain: str, reason: str) -> None:
        already = self._breakers.tripped(domain)
        pause = self._breakers.failure(domain, self._clock.now())
        if pause is not None and not already:
            self._log.warning("Fediverse: %s is not answering (%s); pausing deliveries to it for %s, they stay "
                              "queued", domain, reason, _duration(pause))

    def _answered(self, domain: str) -> None:
        if self._breakers.success(domain):
            self._log.info("Fediverse: %s answers again; resuming deliveries to it", domain)

    async def _failed(self, delivery: QueuedDelivery, reason: str, *, retry_after: float | None,
                      remote: bool = True) -> None:
        """Count a failed attempt (towards the domain's breaker when the remote side failed) and
        schedule the next one, or give up after the last."""
        now = self._clock.now()
        if remote:
            self._count_failure(delivery.domain, reason)
        failures = delivery.attempts + 1
        at = next_attempt(failures, now, delays=self._delays, retry_after=retry_after)
        if at is None:
            await self._give_up(delivery, reason, final=False)
            return
        await self._queue.retry(delivery.id, at=at, error=reason)
        self._log.info("Fediverse: could not deliver a %s to %s (%s); attempt %d of %d, next in %s",
                       _what(delivery), delivery.inbox, reason, failures, len(self._delays) + 1,
                       _duration((at - now).total_seconds()))

    async def _give_up(self, delivery: QueuedDelivery, reason: str, *, final: bool) -> None:
        await self._queue.remove(delivery.id)
        what, domain = _what(delivery), delivery.domain or delivery.inbox
        if final:
            self._log.warning("Fediverse: could not deliver your %s to %s (%s); not retrying", what,
                              delivery.inbox, reason)
            return
        took = _duration((self._clock.now() - delivery.created_at).total_seconds())
        self._log.warning("Fediverse: gave up delivering your %s to %s after %d attempts over %s (last error: %s); "
                          "followers on %s will not see it", what, domain, delivery.attempts + 1, took, reason,
                          domain)

    # observability ------------------------------------------------------------------------------
    async def status(self, offset: int, limit: int) -> dict[str, Any]:
        """``{total, results: [QueuedDelivery.to_json()], pausedDomains: [{domain, until}]}``."""
        total = await self._queue.count()
        rows = await self._queue.list(offset=max(0, offset), limit=max(0, limit))
        paused = self._breakers.paused(self._clock.now())
        return {"total": total, "results": [d.to_json() for d in rows],
                "pausedDomains": [{"domain": d, "until": until.isoformat()} for d, until in sorted(paused.items())]}


def _what(delivery: QueuedDelivery) -> str:
    kind = delivery.activity_type
    return WHAT.get(kind, kind or "activity")


def _duration(seconds: float) -> str:
    """``45 s``, ``5 min``, ``2 h``, ``8 h 36 min``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
