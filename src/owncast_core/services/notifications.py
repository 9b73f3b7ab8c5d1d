"""NotificationService: go-live notifications to Discord and to registered browsers (reference §7).

One timer is started when a stream starts (``StreamStarted``) and cancelled when it stops
(``StreamStopped``). When it fires, ``GO_LIVE_DELAY_SECONDS`` (2 min) later, and the stream is
still live and the previous round went out more than ``GO_LIVE_DEBOUNCE_SECONDS`` (10 min) ago
(the time is persisted, so a restart does not repeat it), every enabled channel is sent to
concurrently. Sending is best-effort: a failing channel (or browser) is logged and never stops
the others, and nothing here ever blocks the video or chat path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from owncast_core.domain.config import Keys
from owncast_core.domain.events import StreamStarted, StreamStopped
from owncast_core.domain.notifications import (
    BROWSER_PUSH_NOTIFICATION,
    GO_LIVE_DEBOUNCE_SECONDS,
    GO_LIVE_DELAY_SECONDS,
    PushMessage,
    PushSubscription,
    VapidKeys,
    discord_message,
    push_payload,
)
from owncast_core.errors import DeliveryFailed, DeliveryRefused, OwncastError, SubscriptionGone, ValidationError
from owncast_core.ports.clock import Clock
from owncast_core.ports.notifications import BrowserPushNotifier, DiscordNotifier, NotificationsRepository
from owncast_core.ports.timers import Scheduler, TimerHandle
from owncast_core.services.config import ConfigService

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_PUSH_CONCURRENCY = 8
# Registration is open to any chat user (anonymous ones too): without a bound, anyone could
# grow the table, and every go-live round, without end.
DEFAULT_MAX_SUBSCRIPTIONS = 10_000


class NotificationService:
    """Owns push registrations, the VAPID keys and the go-live timer.

    ``is_live`` tells whether a broadcast is still running when the timer fires.
    ``allow_private_endpoints`` accepts push endpoints on http or loopback/private hosts (tests,
    LAN setups); by default registration refuses them, and the senders refuse such targets too.
    ``fediverse`` posts the go-live Note (``FederationService.send_live``; it decides whether
    federation is on): Owncast sends it in the same round, under the same 2/10-minute rule.
    At most ``max_subscriptions`` browsers are kept; registering one more is refused.
    """

    def __init__(
        self,
        *,
        config: ConfigService,
        repository: NotificationsRepository,
        discord: DiscordNotifier,
        browser_push: BrowserPushNotifier,
        scheduler: Scheduler,
        clock: Clock,
        is_live: Callable[[], bool],
        fediverse: Callable[[], Awaitable[None]] | None = None,
        allow_private_endpoints: bool = False,
        delay: float = GO_LIVE_DELAY_SECONDS,
        debounce: float = GO_LIVE_DEBOUNCE_SECONDS,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        push_concurrency: int = DEFAULT_PUSH_CONCURRENCY,
        max_subscriptions: int = DEFAULT_MAX_SUBSCRIPTIONS,
        logger: logging.Logger | None = None,
    ) -> None:
        self._config = config
        self._repository = repository
        self._discord = discord
        self._push = browser_push
        self._scheduler = scheduler
        self._clock = clock
        self._is_live = is_live
        self._fediverse = fediverse
        self._allow_private = allow_private_endpoints
        self._delay = delay
        self._debounce = debounce
        self._timeout = timeout
        self._push_concurrency = max(1, push_concurrency)
        self._max_subscriptions = max_subscriptions
        self._log = logger or logging.getLogger("owncast.notifications")
        self._timer: TimerHandle | None = None

    # lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Generate and store the VAPID key pair if there is none (first run), as Owncast does."""
        if self._config.string(Keys.VAPID_PUBLIC_KEY) and self._config.string(Keys.VAPID_PRIVATE_KEY):
            return
        keys = self._push.generate_keys()
        await self._config.set_many({Keys.VAPID_PUBLIC_KEY: keys.public_key,
                                     Keys.VAPID_PRIVATE_KEY: keys.private_key})
        self._log.info("created the key pair for browser notifications")

    def close(self) -> None:
        """Cancel a pending go-live timer (a round already sending is the scheduler's to cancel)."""
        self._disarm()

    @property
    def armed(self) -> bool:
        """A go-live timer is pending (diagnostics, tests)."""
        return self._timer is not None

    # registration -----------------------------------------------------------------------------
    async def register(self, channel: object, destination: object) -> bool:
        """Register a viewer for go-live notifications; ``True`` if new, ``False`` if already known.

        Raises ``ValidationError`` for a channel other than ``BROWSER_PUSH_NOTIFICATION``
        (``invalid notification channel: <channel>``, as Owncast), for a destination that is
        not a usable ``PushSubscription`` JSON string (the message says what is wrong), and for a
        new one when ``max_subscriptions`` are stored already.
        """
        if channel != BROWSER_PUSH_NOTIFICATION:
            raise ValidationError(f"invalid notification channel: {channel if isinstance(channel, str) else ''}")
        subscription = PushSubscription.parse(destination, allow_private=self._allow_private)
        text = subscription.to_text()
        stored = await self._repository.count(channel)
        at_cap = stored >= self._max_subscriptions  # then only a browser already stored may register again
        if at_cap and all(d.destination != text for d in await self._repository.list(channel)):
            self._log.warning("refused a browser push registration: %d browsers are registered already", stored)
            raise ValidationError(f"too many registered browsers (at most {self._max_subscriptions})")
        return await self._repository.add(channel, text, self._clock.now())

    async def unregister(self, channel: object, destination: object) -> bool:
        """Forget a viewer's browser (its "turn notifications off"); ``True`` if it was stored.

        ``destination`` is the ``PushSubscription`` JSON the browser registered with. Raises
        ``ValidationError`` as ``register`` does for an unknown channel or a destination that is
        not a subscription. (A subscription the browser dropped without telling us goes at the
        next go-live anyway: its push service answers 404/410.)
        """
        if channel != BROWSER_PUSH_NOTIFICATION:
            raise ValidationError(f"invalid notification channel: {channel if isinstance(channel, str) else ''}")
        # Parsed without the public-address rule: whatever was stored can be removed.
        text = PushSubscription.parse(destination, allow_private=True).to_text()
        removed = await self._repository.remove(channel, text)
        if removed:
            self._log.info("a browser turned go-live notifications off")
        return removed

    # the go-live timer ------------------------------------------------------------------------
    async def on_event(self, event: object) -> None:
        """``EventBus`` subscriber: start the timer on ``StreamStarted``, cancel it on ``StreamStopped``."""
        if isinstance(event, StreamStarted):
            self._disarm()
            self._timer = self._scheduler.call_later(self._delay, self._timer_fired)
        elif isinstance(event, StreamStopped):
            self._disarm()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _timer_fired(self) -> None:
        self._timer = None
        await self.notify_go_live()

    async def notify_go_live(self) -> bool:
        """Send one round of go-live notifications if the stream is live and the last round is
        older than the debounce window; returns whether a round was sent."""
        if not self._is_live():
            return False
        now = self._clock.now()
        last = _parse_time(self._config.get(Keys.LAST_NOTIFIED_AT))
        if last is not None and (now - last).total_seconds() < self._debounce:
            minutes = max(0, int((now - last).total_seconds() // 60))
            self._log.info("not sending go-live notifications: the last ones went out %d minutes ago", minutes)
            return False
        try:
            await self._config.set(Keys.LAST_NOTIFIED_AT, now.isoformat())
        except OwncastError as exc:  # sending matters more than remembering it
            self._log.warning("could not save the go-live notification time: %s", exc)
        await self.send_all()
        return True

    async def send_all(self) -> None:
        """Send the go-live notification to every enabled channel at once; each channel's failure
        is logged on its own and never stops the others."""
        channels: list[tuple[str, Any]] = []
        discord = _mapping(self._config.get(Keys.DISCORD_CONFIG))
        if discord.get("enabled") and discord.get("webhook"):
            channels.append(("Discord", self._send_discord(discord)))
        push = _mapping(self._config.get(Keys.BROWSER_PUSH_CONFIG))
        keys = self._keys()
        if push.get("enabled") and keys is not None:
            channels.append(("browsers", self._send_browser_push(push, keys)))
        if self._fediverse is not None:
            channels.append(("the Fediverse", self._fediverse()))
        if not channels:
            self._log.debug("no go-live notification channel is enabled")
            return
        results = await asyncio.gather(*(coro for _, coro in channels), return_exceptions=True)
        for (name, _), result in zip(channels, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, OwncastError):
                self._log.warning("could not send the go-live notification to %s: %s", name, result)
            elif isinstance(result, BaseException):
                self._log.error("could not send the go-live notification to %s", name, exc_info=result)

    async def _send_discord(self, settings: dict[str, Any]) -> None:
        c = self._config
        message = discord_message(
            server_name=c.string(Keys.SERVER_NAME),
            server_url=c.string(Keys.SERVER_URL),
            go_live_message=str(settings.get("goLiveMessage") or ""),
            stream_title=c.string(Keys.STREAM_TITLE),
        )
        await self._discord.send(str(settings["webhook"]), message, timeout=self._timeout)
        self._log.info("sent the go-live notification to Discord")

    async def _send_browser_push(self, settings: dict[str, Any], keys: VapidKeys) -> None:
        destinations = await self._repository.list(BROWSER_PUSH_NOTIFICATION)
        if not destinations:
            self._log.info("no browsers are registered for go-live notifications")
            return
        message = PushMessage(payload=push_payload(self._config.string(Keys.SERVER_NAME),
                                                   str(settings.get("goLiveMessage") or "")))
        limit = asyncio.Semaphore(self._push_concurrency)
        outcomes: dict[str, int] = {"sent": 0, "gone": 0, "failed": 0}
        reasons: list[str] = []

        async def one(destination: str) -> None:
            async with limit:
                outcome = await self._push_one(destination, message, keys, reasons)
            outcomes[outcome] += 1

        await asyncio.gather(*(one(d.destination) for d in destinations))
        total = len(destinations)
        text = f"sent the go-live notification to {outcomes['sent']} of {total} browsers"
        if outcomes["gone"]:
            text += f" ({outcomes['gone']} expired subscriptions removed)"
        if outcomes["failed"]:
            self._log.warning("%s; %d failed, e.g. %s", text, outcomes["failed"], reasons[0])
        else:
            self._log.info("%s", text)

    async def _push_one(self, destination: str, message: PushMessage, keys: VapidKeys, reasons: list[str]) -> str:
        try:
            subscription = PushSubscription.parse(destination, allow_private=True)  # checked at registration
            await self._push.send(subscription, message, keys=keys, timeout=self._timeout)
        except SubscriptionGone:
            try:
                await self._repository.remove(BROWSER_PUSH_NOTIFICATION, destination)
            except OwncastError as exc:
                self._log.warning("could not remove an expired push subscription: %s", exc)
            return "gone"
        except (DeliveryFailed, DeliveryRefused, ValidationError) as exc:
            reasons.append(str(exc))
            return "failed"
        return "sent"

    def _keys(self) -> VapidKeys | None:
        public, private = self._config.string(Keys.VAPID_PUBLIC_KEY), self._config.string(Keys.VAPID_PRIVATE_KEY)
        return VapidKeys(public_key=public, private_key=private) if public and private else None


def _mapping(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
