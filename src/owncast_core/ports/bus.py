"""The event bus port: how services tell each other (and webhooks, chat, notifiers) what happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

EventHandler = Callable[[object], Awaitable[None]]


class EventBus(Protocol):
    """Publish/subscribe of domain events (dataclasses from ``owncast_core.domain.events``).

    ``publish`` delivers the event to every current subscriber in subscription order and returns
    when each has handled it; a subscriber that raises is logged and does not stop delivery to the
    others or reach the publisher. Subscribers must not block: slow work (HTTP) goes to their own
    queue. ``subscribe`` returns a function that removes the subscription.
    """

    async def publish(self, event: object) -> None: ...

    def subscribe(self, handler: EventHandler) -> Callable[[], None]: ...
