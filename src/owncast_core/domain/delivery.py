"""Outbound ActivityPub delivery rules: a queued delivery, how an answer is judged, the retry
schedule and the per-domain circuit breaker (reference §6.2; Owncast's develop branch adds
HTTPS-only targets and a per-domain circuit breaker). Pure: every time is an argument.

The schedule: a delivery is tried at once, then again 1 min, 5 min, 30 min, 2 h and 6 h after
each failure (``RETRY_DELAYS``): six attempts over about 8 h 36 min, long enough to ride out a
receiving server's restart, upgrade or a night's outage, short enough that a go-live post is
not delivered a day late. A ``Retry-After`` (429/503) pushes the next attempt later, never
earlier, and is honoured up to ``MAX_RETRY_AFTER``.

``CircuitBreakers`` pauses a failing domain and marks one that has not answered for a week
unavailable; its state is plain records (``DomainHealth``) that the sender stores, so it
survives a restart.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final
from urllib.parse import urlsplit

from owncast_core.domain import jsontext

RETRY_DELAYS: Final = (60.0, 300.0, 1800.0, 7200.0, 21600.0)
MAX_RETRY_AFTER: Final = 21600.0
BREAKER_THRESHOLD: Final = 5  # consecutive failures to one domain before pausing it
BREAKER_PAUSE: Final = 600.0  # the first pause; doubled (up to BREAKER_MAX_PAUSE) while it keeps failing
BREAKER_MAX_PAUSE: Final = 3600.0
UNAVAILABLE_AFTER: Final = 7 * 86400.0  # no answer at all for this long: the domain is marked unavailable
PROBE_EVERY: Final = 7 * 86400.0  # then one delivery goes through this often to check it


@dataclass(frozen=True, slots=True)
class QueuedDelivery:
    """One activity waiting to reach one inbox: ``attempts`` failed attempts so far, the next
    one due at ``next_attempt_at``, ``last_error`` the reason of the last failure."""

    id: int
    activity_id: str
    inbox: str
    body: bytes
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    last_error: str = ""

    @property
    def domain(self) -> str:
        return delivery_domain(self.inbox)

    @property
    def activity_type(self) -> str:
        """The activity's ``type`` (``Create``, ``Update``, ``Accept``...), ``""`` if unreadable."""
        return activity_type(self.body)

    def to_json(self) -> dict[str, object]:
        """The admin API's view (``/api/admin/federation/deliveries``)."""
        return {"id": self.id, "activityId": self.activity_id, "type": self.activity_type, "inbox": self.inbox,
                "domain": self.domain, "attempts": self.attempts, "lastError": self.last_error,
                "createdAt": self.created_at.isoformat(), "nextAttemptAt": self.next_attempt_at.isoformat()}


def activity_type(body: bytes) -> str:
    """The ``type`` of a serialised activity (``Create``, ``Update``...), ``""`` if unreadable."""
    try:
        value = jsontext.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    kind = value.get("type") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) else ""


def delivery_domain(url: str) -> str:
    """What the circuit breaker counts by: the URL's host (with its port when it has one), lower-case."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    return f"{host}:{port}" if port else host


class Verdict(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # no answer, 408, 429, 5xx: try again later
    FINAL = "final"  # any other answer (4xx, 3xx: redirects are not followed): trying again changes nothing
    GONE = "gone"  # 410: the account is deleted


def judge(status: int) -> Verdict:
    """What an answer to a delivery means."""
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if status == 410:
        return Verdict.GONE
    if status in (408, 429) or 500 <= status < 600:
        return Verdict.RETRY
    return Verdict.FINAL


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` (delta-seconds or an HTTP date) as seconds from ``now``, clamped to
    ``[0, MAX_RETRY_AFTER]``; ``None`` when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = (moment - now).total_seconds()
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def next_attempt(failures: int, now: datetime, *, delays: tuple[float, ...] = RETRY_DELAYS,
                 retry_after: float | None = None) -> datetime | None:
    """When to try again after ``failures`` failed attempts (``failures >= 1``), or ``None``
    when that was the last one."""
    if failures < 1 or failures > len(delays):
        return None
    delay = delays[failures - 1]
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return now + timedelta(seconds=delay)


@dataclass(frozen=True, slots=True)
class DomainHealth:
    """What the delivery sender remembers about one domain (``delivery_domain``) between
    answers, kept across restarts: ``failures`` in a row, the breaker's current ``pause``
    (seconds) and ``open_until`` (``None`` while it has never opened), when this run of failures
    began (``first_failure_at``), and, once the domain is marked unavailable, since when
    (``unavailable_since``) and when one delivery may go through to check it (``next_probe_at``).
    A domain that answers has no record at all."""

    domain: str
    failures: int = 0
    pause: float = 0.0
    open_until: datetime | None = None
    first_failure_at: datetime | None = None
    unavailable_since: datetime | None = None
    next_probe_at: datetime | None = None

    @property
    def unavailable(self) -> bool:
        return self.unavailable_since is not None


@dataclass(slots=True)
class CircuitBreakers:
    """One breaker per domain. ``threshold`` consecutive failures (no answer, 408/429/5xx) open
    it: nothing is sent to that domain for ``pause`` seconds (its deliveries stay queued and
    their attempts are not spent). After the pause it is half-open: one delivery goes through;
    a success closes it, a failure opens it again for twice as long (up to ``max_pause``).

    A domain whose breaker has opened and that has answered nothing for ``unavailable_after``
    seconds (7 days, as Mastodon) since the first failure of the run is marked *unavailable*
    by the failure that finds it so: the sender stops queueing for it and lets one delivery
    through every ``probe_every`` seconds (``admit_probe``). Any answer, ``forget`` (the admin,
    an activity received from it) makes it a fresh domain again.

    The state is plain data (``DomainHealth``): ``restore`` loads records, ``record(domain)``
    is the one to store after a change (``None``: delete it)."""

    threshold: int = BREAKER_THRESHOLD
    pause: float = BREAKER_PAUSE
    max_pause: float = BREAKER_MAX_PAUSE
    unavailable_after: float = UNAVAILABLE_AFTER
    probe_every: float = PROBE_EVERY
    _domains: dict[str, DomainHealth] = field(default_factory=dict)

    # state in and out ---------------------------------------------------------------------------
    def restore(self, records: Iterable[DomainHealth]) -> None:
        """Replace the state by ``records`` (as stored by an earlier run)."""
        self._domains = {r.domain: r for r in records if r.domain}

    def record(self, domain: str) -> DomainHealth | None:
        """The state of ``domain`` to store, ``None`` when there is none (delete it)."""
        return self._domains.get(domain)

    def known(self, domain: str) -> bool:
        return domain in self._domains

    def forget(self, domain: str) -> DomainHealth | None:
        """Drop everything known about ``domain`` (it is a fresh domain); returns what was known."""
        return self._domains.pop(domain, None)

    # the breaker --------------------------------------------------------------------------------
    def paused(self, now: datetime) -> dict[str, datetime]:
        """Domains nothing may be sent to now, with when they may be tried again."""
        return {name: d.open_until for name, d in self._domains.items()
                if d.open_until is not None and d.open_until > now}

    def half_open(self, now: datetime) -> set[str]:
        """Domains whose pause is over and that wait for one probe delivery."""
        return {name for name, d in self._domains.items() if d.open_until is not None and d.open_until <= now}

    def success(self, domain: str) -> bool:
        """Record an answer from ``domain`` (it is forgotten); ``True`` when this closes an opened
        breaker."""
        state = self._domains.pop(domain, None)
        return state is not None and state.open_until is not None

    def failure(self, domain: str, now: datetime) -> float | None:
        """Record a failure; the pause in seconds when this failure opens the breaker (the first
        time, or again after a failed probe), else ``None``. It may also mark the domain
        unavailable (see the class docstring; ``is_unavailable`` tells)."""
        old = self._domains.get(domain) or DomainHealth(domain)
        state = replace(old, failures=old.failures + 1, first_failure_at=old.first_failure_at or now)
        opened: float | None = None
        if state.open_until is not None and state.open_until > now:
            pass  # sent before it opened: it is open already
        elif state.open_until is not None:  # a failed probe
            opened = min(state.pause * 2, self.max_pause)
        elif state.failures >= self.threshold:
            opened = self.pause
        if opened is not None:
            state = replace(state, pause=opened, open_until=now + timedelta(seconds=opened))
        assert state.first_failure_at is not None
        if (state.unavailable_since is None and state.open_until is not None
                and (now - state.first_failure_at).total_seconds() >= self.unavailable_after):
            state = replace(state, unavailable_since=now, next_probe_at=now + timedelta(seconds=self.probe_every))
        self._domains[domain] = state
        return opened

    def tripped(self, domain: str) -> bool:
        """The breaker of ``domain`` has opened at least once and not closed since."""
        state = self._domains.get(domain)
        return state is not None and state.open_until is not None

    # unavailable domains ------------------------------------------------------------------------
    def is_unavailable(self, domain: str) -> bool:
        state = self._domains.get(domain)
        return state is not None and state.unavailable

    def unavailable(self) -> dict[str, datetime]:
        """The unavailable domains, with since when."""
        return {name: d.unavailable_since for name, d in self._domains.items() if d.unavailable_since is not None}

    def admit_probe(self, domain: str, now: datetime) -> bool:
        """``True`` when one delivery to the unavailable ``domain`` may be queued now to check it
        (the next check is then ``probe_every`` later); ``False`` when it may not yet, or when
        the domain is not unavailable."""
        state = self._domains.get(domain)
        if state is None or state.unavailable_since is None:
            return False
        if state.next_probe_at is not None and state.next_probe_at > now:
            return False
        self._domains[domain] = replace(state, next_probe_at=now + timedelta(seconds=self.probe_every))
        return True
