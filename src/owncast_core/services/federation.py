"""FederationService: the server as one ActivityPub actor (reference §6.1-6.2).

Federation is off by default (Owncast's default). While it is off every federation document
raises ``FederationDisabled`` (the routes answer 405); with it on but no server URL there is no
IRI to build and everything is ``NotFoundError`` (404).

The RSA key pair the actor signs with is made at the first start and stored in the config
(``Keys.FEDERATION_PRIVATE_KEY`` / ``FEDERATION_PUBLIC_KEY``, Owncast's ``private_key`` /
``public_key``), whether federation is on or not, as Owncast does.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from owncast_core import __version__
from owncast_core.domain import activitypub as ap
from owncast_core.domain.activitypub import Follower, LocalActor
from owncast_core.domain.config import DEFAULTS, Keys
from owncast_core.errors import FederationDisabled, NotFoundError, ValidationError
from owncast_core.ports.activitypub import FederationCrypto, FollowersRepository
from owncast_core.ports.clock import Clock
from owncast_core.services.config import ConfigService

MAX_PAGE: Final = 100_000


class FederationService:
    """Builds the federation documents and keeps the followers."""

    def __init__(
        self,
        *,
        config: ConfigService,
        followers: FollowersRepository,
        crypto: FederationCrypto,
        clock: Clock,
        version: str = __version__,
        logger: logging.Logger | None = None,
    ) -> None:
        self._config = config
        self._followers = followers
        self._crypto = crypto
        self._clock = clock
        self._version = version
        self._log = logger or logging.getLogger("owncast.federation")

    # lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Make and store the actor's key pair if there is none (first start)."""
        if self._config.string(Keys.FEDERATION_PRIVATE_KEY) and self._config.string(Keys.FEDERATION_PUBLIC_KEY):
            return
        keys = await self._crypto.generate_keys()
        await self._config.set_many({Keys.FEDERATION_PRIVATE_KEY: keys.private_pem,
                                     Keys.FEDERATION_PUBLIC_KEY: keys.public_pem})
        self._log.info("created the key pair of the Fediverse account")

    # state ------------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._config.flag(Keys.FEDERATION_ENABLED)

    def username(self) -> str:
        return self._config.string(Keys.FEDERATION_USERNAME) or str(DEFAULTS[Keys.FEDERATION_USERNAME])

    def actor(self) -> LocalActor:
        """The local actor; ``FederationDisabled`` while off, ``NotFoundError`` without a server URL."""
        if not self.enabled:
            raise FederationDisabled("federation is disabled")
        server_url = self._config.string(Keys.SERVER_URL).rstrip("/")
        if not server_url:
            raise NotFoundError("federation needs the server URL to be set")
        return LocalActor(server_url=server_url, username=self.username())

    def _actor_named(self, username: str) -> LocalActor:
        actor = self.actor()
        if username != actor.username:
            raise NotFoundError(f"no such account: {username}")
        return actor

    async def follower_count(self) -> int:
        """Approved followers (``/api/config`` ``federation.followerCount``)."""
        return await self._followers.count("approved")

    # discovery --------------------------------------------------------------------------------
    def webfinger(self, resource: str | None) -> dict[str, Any]:
        actor = self.actor()
        try:
            user, host = ap.parse_acct(resource or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        if host.lower() != actor.host.lower():
            raise NotFoundError(f"{host} is not this server")
        if user != actor.username:
            raise NotFoundError(f"no such account: {user}")
        return ap.webfinger(actor)

    def host_meta(self) -> str:
        return ap.host_meta(self.actor().server_url)

    def nodeinfo_links(self) -> dict[str, Any]:
        return ap.nodeinfo_links(self.actor().server_url)

    async def nodeinfo(self) -> dict[str, Any]:
        self.actor()
        return ap.nodeinfo(version=self._version, local_posts=await self.local_posts(),
                           chat_enabled=not self._config.flag(Keys.CHAT_DISABLED))

    async def x_nodeinfo2(self) -> dict[str, Any]:
        actor = self.actor()
        return ap.x_nodeinfo2(server_url=actor.server_url, name=self._config.string(Keys.SERVER_NAME),
                              version=self._version, local_posts=await self.local_posts())

    async def instance(self) -> dict[str, Any]:
        actor = self.actor()
        return ap.instance(server_url=actor.server_url, name=self._config.string(Keys.SERVER_NAME),
                           summary=self._config.string(Keys.SERVER_SUMMARY), version=self._version,
                           local_posts=await self.local_posts())

    async def local_posts(self) -> int:
        return 0

    # the actor and its collections ------------------------------------------------------------
    def actor_document(self, username: str) -> dict[str, Any]:
        actor = self._actor_named(username)
        c = self._config
        tags = c.get(Keys.TAGS)
        handles = c.get(Keys.SOCIAL_HANDLES)
        links = [(str(h.get("platform", "")), str(h.get("url", ""))) for h in handles
                 if isinstance(h, dict) and h.get("url")] if isinstance(handles, list) else []
        return ap.actor_document(
            actor,
            name=c.string(Keys.SERVER_NAME),
            summary=c.string(Keys.SERVER_SUMMARY),
            public_key_pem=c.string(Keys.FEDERATION_PUBLIC_KEY),
            tags=[str(t) for t in tags] if isinstance(tags, list) else [],
            social_links=links,
            private=c.flag(Keys.FEDERATION_PRIVATE),
        )

    async def followers_collection(self, username: str, page: str | None) -> dict[str, Any]:
        """The followers collection (actor IRIs of approved followers, newest first)."""
        actor = self._actor_named(username)
        total = await self._followers.count("approved")
        number = _page_number(page)
        if number is None:
            return ap.ordered_collection(actor.followers, total)
        rows = await self._followers.list("approved", offset=(number - 1) * ap.COLLECTION_PAGE_SIZE,
                                          limit=ap.COLLECTION_PAGE_SIZE)
        return ap.ordered_collection_page(actor.followers, number, total, [f.actor_iri for f in rows])

    async def outbox_collection(self, username: str, page: str | None) -> dict[str, Any]:
        actor = self._actor_named(username)
        number = _page_number(page)
        if number is None:
            return ap.ordered_collection(actor.outbox, 0)
        return ap.ordered_collection_page(actor.outbox, number, 0, [])

    # admin and public lists -------------------------------------------------------------------
    async def followers_page(self, offset: int, limit: int) -> dict[str, Any]:
        """``{total, results}`` of approved followers (``/api/followers``, ``/api/admin/followers``)."""
        total = await self._followers.count("approved")
        rows = await self._followers.list("approved", offset=max(0, offset), limit=max(0, limit))
        return {"total": total, "results": [f.to_json() for f in rows]}

    async def followers_in(self, state: ap.FollowerState) -> list[Follower]:
        return await self._followers.list(state)


def _page_number(page: str | None) -> int | None:
    if page is None:
        return None
    try:
        number = int(page)
    except ValueError as exc:
        raise ValidationError("page must be a number") from exc
    if not 1 <= number <= MAX_PAGE:
        raise ValidationError("page must be a number from 1")
    return number
