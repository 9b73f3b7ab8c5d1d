"""LoginThrottle: refuses an address after too many failed admin logins."""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Final

from owncast_core.ports.clock import Clock

MAX_FAILURES: Final = 10
WINDOW_SECONDS: Final = 600.0
LOCKOUT_SECONDS: Final = 600.0
MAX_ADDRESSES: Final = 10_000


@dataclass(slots=True)
class _Address:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class LoginThrottle:
    """Counts failed admin logins per client address (monotonic clock, in memory).

    After ``max_failures`` failures from one address within ``window`` seconds, ``locked`` is
    true for that address for ``lockout`` seconds (whatever credentials it sends meanwhile);
    the lock is logged once, as a warning naming the address. A successful login forgets the
    address's failures. At most ``max_addresses`` addresses are tracked: beyond that the one
    seen least recently is forgotten, so memory stays bounded under a spray of addresses.
    """

    def __init__(self, *, clock: Clock, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS,
                 lockout: float = LOCKOUT_SECONDS, max_addresses: int = MAX_ADDRESSES) -> None:
        self._clock = clock
        self._max_failures = max_failures
        self._window = window
        self._lockout = lockout
        self._max_addresses = max_addresses
        self._addresses: OrderedDict[str, _Address] = OrderedDict()
        self._log = logging.getLogger("owncast.auth")

    def locked(self, address: str) -> bool:
        """True while ``address`` is refused."""
        state = self._addresses.get(address)
        return state is not None and self._clock.monotonic() < state.locked_until

    def retry_after(self, address: str) -> float:
        """Seconds until ``address`` is let in again (0 when it is not locked)."""
        state = self._addresses.get(address)
        return max(0.0, state.locked_until - self._clock.monotonic()) if state is not None else 0.0

    def failed(self, address: str) -> None:
        """One more failed login from ``address``."""
        now = self._clock.monotonic()
        state = self._addresses.pop(address, None) or _Address()
        self._addresses[address] = state  # most recently seen last
        while len(self._addresses) > self._max_addresses:
            self._addresses.popitem(last=False)
        if now < state.locked_until:
            return
        while state.failures and now - state.failures[0] >= self._window:
            state.failures.popleft()
        state.failures.append(now)
        if len(state.failures) >= self._max_failures:
            state.failures.clear()
            state.locked_until = now + self._lockout
            self._log.warning("%d failed admin logins from %s within %d minutes: refusing it for %d minutes",
                              self._max_failures, address, round(self._window / 60), round(self._lockout / 60))

    def succeeded(self, address: str) -> None:
        """A successful login from ``address``: its past failures no longer count."""
        state = self._addresses.get(address)
        if state is not None and not self.locked(address):
            del self._addresses[address]

    def tracked(self) -> int:
        """How many addresses are remembered (bounded by ``max_addresses``)."""
        return len(self._addresses)
