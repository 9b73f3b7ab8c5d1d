"""DirectoryService: list this server in the Owncast directory while it is live (Owncast ``yp/yp.go``).

When the stream turns online (``StreamOnline``) and then every ``DIRECTORY_PING_SECONDS``
(4 min) until it stops (``StreamStopped``), if the directory is enabled (``directoryenabled``)
and the server URL is a valid URL, ``{"key", "url"}`` is POSTed to ``<directory>/api/ping``. A
key the directory returns is saved (``Keys.DIRECTORY_KEY``; ``/api/admin/yp/reset`` clears it)
and sent with the next pings. The directory then reads ``/api/yp``. Best-effort: failures are
logged (once per kind of trouble, and once when it works again), never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from owncast_core.domain.config import Keys
from owncast_core.domain.config_rules import is_valid_url
from owncast_core.domain.events import StreamOnline, StreamStopped
from owncast_core.domain.notifications import DEFAULT_DIRECTORY_URL, DIRECTORY_PING_SECONDS, DirectoryPing
from owncast_core.errors import DeliveryFailed, DeliveryRefused, OwncastError
from owncast_core.ports.notifications import DirectoryClient
from owncast_core.ports.timers import Scheduler, TimerHandle
from owncast_core.services.config import ConfigService

DEFAULT_TIMEOUT_SECONDS = 10.0


class DirectoryService:
    """Pings the directory while live. ``is_online`` says whether viewers can play the stream."""

    def __init__(
        self,
        *,
        config: ConfigService,
        client: DirectoryClient,
        scheduler: Scheduler,
        is_online: Callable[[], bool],
        directory_url: str = DEFAULT_DIRECTORY_URL,
        interval: float = DIRECTORY_PING_SECONDS,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        logger: logging.Logger | None = None,
    ) -> None:
        self._config = config
        self._client = client
        self._scheduler = scheduler
        self._is_online = is_online
        self._directory_url = directory_url.rstrip("/")
        self._interval = interval
        self._timeout = timeout
        self._log = logger or logging.getLogger("owncast.directory")
        self._timer: TimerHandle | None = None
        self._generation = 0
        self._trouble: str | None = None
        self._listed = False

    async def on_event(self, event: object) -> None:
        """``EventBus`` subscriber: ping at once on ``StreamOnline``, stop on ``StreamStopped``."""
        if isinstance(event, StreamOnline):
            self._listed = False
            self._arm(0.0)
        elif isinstance(event, StreamStopped):
            self.close()

    def close(self) -> None:
        """Stop pinging (a ping in flight is the scheduler's to cancel)."""
        self._generation += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @property
    def armed(self) -> bool:
        """A ping is scheduled (diagnostics, tests)."""
        return self._timer is not None

    def _arm(self, delay: float) -> None:
        self.close()
        generation = self._generation

        async def tick() -> None:
            self._timer = None
            try:
                await self.ping()
            finally:
                if generation == self._generation and self._is_online():
                    self._arm(self._interval)

        self._timer = self._scheduler.call_later(delay, tick)

    async def ping(self) -> bool:
        """One ping if the directory is enabled and the stream online; ``True`` if it was accepted."""
        c = self._config
        if not c.flag(Keys.DIRECTORY_ENABLED) or not self._is_online():
            return False
        server_url = c.string(Keys.SERVER_URL)
        if not server_url or not is_valid_url(server_url):
            self._report("the directory needs this server's public URL: set Server URL in the admin "
                         f"(now {server_url!r}); not listed")
            return False
        key = c.string(Keys.DIRECTORY_KEY)
        try:
            reply = await self._client.ping(self._directory_url, DirectoryPing(key=key, url=server_url),
                                            timeout=self._timeout)
        except (DeliveryFailed, DeliveryRefused) as exc:
            self._report(f"directory ping failed: {exc}")
            return False
        if not reply.success:
            self._report(f"directory ping failed: the directory said: {reply.error or 'no reason given'}")
            return False
        if reply.key and reply.key != key:
            try:
                await c.set(Keys.DIRECTORY_KEY, reply.key)
            except OwncastError as exc:
                self._log.warning("could not save the directory registration key: %s", exc)
        if self._trouble is not None:
            self._log.info("directory ping works again")
        elif not self._listed:
            self._log.info("listed in the Owncast directory (%s) as %s", self._directory_url, server_url)
        self._trouble = None
        self._listed = True
        return True

    def _report(self, trouble: str) -> None:
        if trouble != self._trouble:
            self._log.warning("%s", trouble)
        self._trouble = trouble
