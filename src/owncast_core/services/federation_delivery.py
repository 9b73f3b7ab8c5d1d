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
  stay queued, untried, for a pause (logged once), then one probe decides. The breakers'
  state is written through the ``DomainHealthRepository`` on every change and read back
  before the first pass, so after a restart a paused domain stays paused until its time.
- A domain that has answered nothing (no 2xx, no 4xx) for 7 days since the first failure of
  the run is marked *unavailable*, as Mastodon does: one warning says deliveries to it stop,
  its queued deliveries are given up (one line with the count), and new deliveries to it are
  not queued (one info line per activity with the count of inboxes left out). It becomes
  available again (logged) when a signed activity from it reaches our inbox
  (``heard_from``), when the weekly check answers (once a week one real delivery to it is
  let through: ``CircuitBreakers.admit_probe``), or when the admin clears it
  (``retry_domain``, which also clears a paused breaker and wakes the worker).
- While federation is off (or has no server URL) nothing is sent and nothing is dropped: the
  queue is paused, logged once with its size; deliveries keep their attempts. When it is on
  again, the ones queued longer ago than the whole retry schedule (the sum of
  ``retry_delays``, 8 h 36 min) are given up with one summary line and the rest are sent.
- Only ``https://`` inboxes are contacted unless ``allow_insecure`` (the runner's
  ``--outbound-allow-private``); loopback/private addresses are refused by the HTTP adapter.
- A delivery is removed only once it is answered or given up, so one in flight at shutdown is
  sent again after the restart (receivers de-duplicate by activity id).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from owncast_core.domain.delivery import (
    RETRY_DELAYS,
    CircuitBreakers,
    QueuedDelivery,
    Verdict,
    activity_type,
    delivery_domain,
    judge,
    next_attempt,
    retry_after_seconds,
)
from owncast_core.errors import (
    DeliveryFailed,
    DeliveryRefused,
    FederationDisabled,
    NotFoundError,
    StorageError,
    ValidationError,
)
from owncast_core.ports.activitypub import DeliveryQueue, DomainHealthRepository, FederationHttp
from owncast_core.ports.clock import Clock

DELIVERY_BATCH: Final = 50  # Owncast: batches of 50 inboxes with a 100 ms pause
DELIVERY_PAUSE_SECONDS: Final = 0.1
DELIVERY_CONCURRENCY: Final = 8
MAX_IDLE_WAIT: Final = 60.0  # the worker looks at the queue at least this often
MIN_IDLE_WAIT: Final = 0.05
WHAT: Final = {"Create": "post", "Update": "profile update", "Accept": "follow approval",
               "Reject": "follow rejection", "Delete": "deletion"}
RESUMES: Final = ("they resume when it sends us an activity, when the weekly check gets an answer, or with "
                  "'Try again' on the admin Fediverse page")

Signer = Callable[[str, bytes], dict[str, str]]  # (url, body) -> the headers of a signed POST


class FederationDeliveries:
    """The sender of the outbound delivery queue (see the module docstring)."""

    def __init__(
        self,
        *,
        queue: DeliveryQueue,
        health: DomainHealthRepository,
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
        """``breakers`` sets the breaker's thresholds (its state is replaced by what ``health``
        holds before the first use)."""
        self._queue = queue
        self._health = health
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
        self._restoring = asyncio.Lock()
        self._restored = False
        self._off = False  # a pass found federation off and paused the queue
        self._worker: asyncio.Task[None] | None = None

    # queueing -----------------------------------------------------------------------------------
    async def add(self, activity_id: str, body: bytes, inboxes: Sequence[str]) -> int:
        """Store one delivery of ``body`` per distinct inbox, due now, and wake the worker;
        returns how many were queued (``StorageError`` if they could not be stored). Inboxes on
        an unavailable domain are left out (one info line), except one when its weekly check is
        due."""
        await self._restore()
        now = self._clock.now()
        kept: list[str] = []
        left_out: dict[str, int] = {}
        probed: list[str] = []
        for inbox in dict.fromkeys(inboxes):
            domain = delivery_domain(inbox)
            if not self._breakers.is_unavailable(domain):
                kept.append(inbox)
            elif domain not in probed and self._breakers.admit_probe(domain, now):
                probed.append(domain)
                kept.append(inbox)
            else:
                left_out[domain] = left_out.get(domain, 0) + 1
        if left_out:
            self._log.info("Fediverse: not queueing your %s for %d inboxes on servers marked unavailable (%s)",
                           _what_body(body), sum(left_out.values()), ", ".join(sorted(left_out)))
        added = await self._queue.add(activity_id, body, kept, at=now) if kept else 0
        for domain in probed:
            self._log.info("Fediverse: %s is unavailable; letting this %s through to check it (next check in %s)",
                           domain, _what_body(body), _duration(self._breakers.probe_every))
            await self._store(domain)
        if added:
            self._wake.set()
        return added

    async def send_now(self, body: bytes, inbox: str) -> None:
        """One attempt right now, not queued, for a caller that reports the outcome itself (a
        sign-in code by direct message is useless later): the same https-only rule, fresh
        signature, breaker and 410 handling as a queued delivery. Raises ``DeliveryRefused``
        for a target that is not allowed and ``DeliveryFailed`` for no answer, an answer other
        than 2xx, or a domain whose deliveries are paused. A domain marked unavailable is
        tried all the same (a person asked for it; an answer makes it available again)."""
        await self._restore()
        domain, now = delivery_domain(inbox), self._clock.now()
        if not self._allow_insecure and urlsplit(inbox).scheme != "https":
            raise DeliveryRefused(f"{inbox} is not an https:// URL")
        if domain in self._breakers.paused(now):
            raise DeliveryFailed(f"{domain} is not answering; deliveries to it are paused for now")
        try:
            reply = await self._http.post(inbox, body=body, headers=self._sign(inbox, body), timeout=self._timeout)
        except DeliveryFailed as exc:
            await self._count_failure(domain, str(exc))
            raise
        verdict = judge(reply.status)
        if verdict is Verdict.RETRY:
            await self._count_failure(domain, f"HTTP {reply.status}")
        else:
            await self._answered(domain)
        if verdict is Verdict.GONE:
            await self._on_gone(inbox)
        if verdict is not Verdict.DELIVERED:
            raise DeliveryFailed(f"{inbox} answered HTTP {reply.status}")

    # domains ------------------------------------------------------------------------------------
    async def heard_from(self, domains: Iterable[str]) -> None:
        """A signed activity from ``domains`` reached our inbox: those marked unavailable are
        available again (logged) and the worker is woken. Best effort: a storage failure is
        logged, never raised."""
        try:
            await self._restore()
            for domain in dict.fromkeys(d for d in domains if d):
                if not self._breakers.is_unavailable(domain):
                    continue
                self._breakers.forget(domain)
                await self._store(domain)
                self._log.info("Fediverse: %s sent us an activity; it is available again and deliveries to it "
                               "resume", domain)
                self._wake.set()
        except StorageError:
            self._log.exception("Fediverse: could not read what is known about failing servers")

    async def retry_domain(self, domain: object) -> str:
        """Forget the breaker and unavailable state of ``domain`` (the admin's "Try again") and
        wake the worker; returns the domain as known. ``ValidationError`` without a domain,
        ``NotFoundError`` for a domain that is neither failing, paused nor unavailable."""
        if not isinstance(domain, str) or not domain.strip():
            raise ValidationError("expected {domain: string}: the server to try again")
        name = domain.strip().lower()
        await self._restore()
        if self._breakers.forget(name) is None:
            raise NotFoundError(f"{name} is neither paused nor unavailable")
        await self._store(name)
        self._log.info("Fediverse: trying %s again (asked from the admin page); deliveries to it resume", name)
        self._wake.set()
        return name

    def wake(self) -> None:
        """Have the worker look at the queue now (federation turned on, a domain cleared)."""
        self._wake.set()

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
            await self._restore()
        except Exception:
            self._log.exception("could not read the Fediverse delivery queue")
            waiting = 0
        if waiting:
            self._log.info("resuming %d Fediverse deliveries queued before the restart", waiting)
        now = self._clock.now()
        paused, unavailable = self._breakers.paused(now), self._breakers.unavailable()
        if paused or unavailable:
            self._log.info("Fediverse: from before the restart, %d servers paused (not answering) and %d marked "
                           "unavailable", len(paused), len(unavailable))
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
        if not self._active():
            return MAX_IDLE_WAIT  # paused; turning federation on wakes the worker
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
        is off (or has no server URL) nothing is sent and the queue is kept (see the module
        docstring)."""
        async with self._sending:
            await self._restore()
            attempted = 0
            limit = asyncio.Semaphore(self._concurrency)
            while True:
                if not self._active():
                    await self._pause_while_off()
                    return attempted
                if self._off:
                    await self._resume_after_off()
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

    async def _pause_while_off(self) -> None:
        if self._off:
            return
        self._off = True
        waiting = await self._queue.count()
        if waiting:
            self._log.warning("Fediverse: federation is off; %d deliveries not sent yet stay queued, paused until it "
                              "is turned on again", waiting)

    async def _resume_after_off(self) -> None:
        window = sum(self._delays)
        dropped = await self._queue.remove_created_before(self._clock.now() - timedelta(seconds=window))
        self._off = False
        if dropped:
            self._log.warning("Fediverse: gave up %d deliveries queued before federation was turned off, older than "
                              "%s (the whole retry schedule)", dropped, _duration(window))
        waiting = await self._queue.count()
        if waiting:
            self._log.info("Fediverse: federation is on again; sending the %d deliveries waiting", waiting)

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
                return  # federation was just turned off: kept, untried; the next pass pauses the queue
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
        await self._answered(delivery.domain)
        if verdict is Verdict.DELIVERED:
            await self._queue.remove(delivery.id)
            if delivery.attempts:
                self._log.info("Fediverse: delivered a %s to %s at attempt %d", _what(delivery), delivery.domain,
                               delivery.attempts + 1)
            return
        await self._give_up(delivery, f"HTTP {reply.status}", final=True)
        if verdict is Verdict.GONE:
            await self._on_gone(delivery.inbox)

    async def _count_failure(self, domain: str, reason: str) -> None:
        """Count a failure towards ``domain``'s breaker (stored); it may open the breaker
        (logged once) or mark the domain unavailable (logged, its deliveries given up)."""
        was_unavailable = self._breakers.is_unavailable(domain)
        already = self._breakers.tripped(domain)
        pause = self._breakers.failure(domain, self._clock.now())
        await self._store(domain)
        if was_unavailable:
            return
        if pause is not None and not already:
            self._log.warning("Fediverse: %s is not answering (%s); pausing deliveries to it for %s, they stay "
                              "queued", domain, reason, _duration(pause))
        if self._breakers.is_unavailable(domain):
            await self._mark_unavailable(domain, reason)

    async def _mark_unavailable(self, domain: str, reason: str) -> None:
        record = self._breakers.record(domain)
        since = record.first_failure_at if record is not None else None
        silent = _duration((self._clock.now() - since).total_seconds()) if since is not None else "a long time"
        self._log.warning("Fediverse: %s has not answered any delivery for %s (last error: %s); marking it "
                          "unavailable: deliveries to it stop (%s)", domain, silent, reason, RESUMES)
        dropped = await self._queue.remove_domain(domain)
        if dropped:
            self._log.warning("Fediverse: gave up %d deliveries queued for %s, now unavailable", dropped, domain)

    async def _answered(self, domain: str) -> None:
        if not self._breakers.known(domain):
            return  # the usual case: nothing to forget, nothing to write
        was_unavailable = self._breakers.is_unavailable(domain)
        closed = self._breakers.success(domain)
        await self._store(domain)
        if was_unavailable:
            self._log.info("Fediverse: %s answers again; it is available again and deliveries to it resume", domain)
        elif closed:
            self._log.info("Fediverse: %s answers again; resuming deliveries to it", domain)

    async def _failed(self, delivery: QueuedDelivery, reason: str, *, retry_after: float | None,
                      remote: bool = True) -> None:
        """Count a failed attempt (towards the domain's breaker when the remote side failed) and
        schedule the next one, or give up after the last (or when the domain is unavailable)."""
        now = self._clock.now()
        if remote:
            was_unavailable = self._breakers.is_unavailable(delivery.domain)
            await self._count_failure(delivery.domain, reason)
            if self._breakers.is_unavailable(delivery.domain):
                if await self._queue.remove(delivery.id) and was_unavailable:  # the weekly check
                    self._log.info("Fediverse: %s is still not answering (%s); it stays unavailable, next check in "
                                   "%s", delivery.domain, reason, _duration(self._breakers.probe_every))
                return
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

    # the stored domain state --------------------------------------------------------------------
    async def _restore(self) -> None:
        """Load the breakers' state once, before its first use."""
        if self._restored:
            return
        async with self._restoring:
            if not self._restored:
                self._breakers.restore(await self._health.list())
                self._restored = True

    async def _store(self, domain: str) -> None:
        """Write ``domain``'s state as it is now (best effort: the state in memory stays right)."""
        record = self._breakers.record(domain)
        try:
            if record is None:
                await self._health.remove(domain)
            else:
                await self._health.save(record)
        except StorageError:
            self._log.exception("Fediverse: could not store the state of %s", domain)

    # observability ------------------------------------------------------------------------------
    async def status(self, offset: int, limit: int) -> dict[str, Any]:
        """``{total, results: [QueuedDelivery.to_json()], pausedDomains: [{domain, until}],
        unavailableDomains: [{domain, since}]}``."""
        await self._restore()
        total = await self._queue.count()
        rows = await self._queue.list(offset=max(0, offset), limit=max(0, limit))
        paused = self._breakers.paused(self._clock.now())
        unavailable = self._breakers.unavailable()
        return {"total": total, "results": [d.to_json() for d in rows],
                "pausedDomains": [{"domain": d, "until": until.isoformat()} for d, until in sorted(paused.items())],
                "unavailableDomains": [{"domain": d, "since": since.isoformat()}
                                       for d, since in sorted(unavailable.items())]}


def _what(delivery: QueuedDelivery) -> str:
    kind = delivery.activity_type
    return WHAT.get(kind, kind or "activity")


def _what_body(body: bytes) -> str:
    kind = activity_type(body)
    return WHAT.get(kind, kind or "activity")


def _duration(seconds: float) -> str:
    """``45 s``, ``5 min``, ``2 h``, ``8 h 36 min``, ``7 days``, ``2 days 3 h``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    if hours >= 48:
        days, hours = divmod(hours, 24)
        return f"{days} days {hours} h" if hours else f"{days} days"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
