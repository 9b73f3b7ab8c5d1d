"""The in-process ``EventBus`` (the default; a broker adapter can replace it for several nodes)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from owncast_core.ports.bus import EventHandler


class InProcessEventBus:
    """Delivers each event to every subscriber, in order, in the publisher's task.

    A failing subscriber is logged and skipped (see the ``EventBus`` contract).
    """

    def __init__(self, *, logger: logging.Logger | None = None) -> None:
        self._handlers: list[EventHandler] = []
        self._log = logger or logging.getLogger("owncast.bus")

    async def publish(self, event: object) -> None:
        for handler in tuple(self._handlers):
            try:
                await handler(event)
            except Exception:
                self._log.exception("event handler failed for %s", type(event).__name__)

    def subscribe(self, handler: EventHandler) -> Callable[[], None]:
        self._handlers.append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return unsubscribe
