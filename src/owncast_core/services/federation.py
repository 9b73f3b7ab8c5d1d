"""FederationService: the server as one ActivityPub actor (reference §6.1-6.2).

Federation is off by default (Owncast's default). While it is off every federation document
raises ``FederationDisabled`` (the routes answer 405); with it on but no server URL there is no
IRI to build and everything is ``NotFoundError`` (404).

The RSA key pair the actor signs with is made at the first start and stored in the config
(``Keys.FEDERATION_PRIVATE_KEY`` / ``FEDERATION_PUBLIC_KEY``, Owncast's ``private_key`` /
``public_key``), whether federation is on or not, as Owncast does.

Everything the server sends goes through the durable delivery queue (``deliver_to``; see
``services/federation_delivery.py``): retried with backoff, paused per failing domain, resumed
after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Protocol

from owncast_core import __version__
from owncast_core.domain import activitypub as ap
from owncast_core.domain import http_signatures as sig
from owncast_core.domain import jsontext
from owncast_core.domain.activitypub import FederatedAction, Follower, LocalActor, OutboxItem, RemoteActor
from owncast_core.domain.config import DEFAULTS, Keys
from owncast_core.domain.delivery import RETRY_DELAYS, CircuitBreakers, delivery_domain
from owncast_core.domain.events import ConfigChanged
from owncast_core.errors import (
    DeliveryFailed,
    DeliveryRefused,
    FederationDisabled,
    NotFoundError,
    Overloaded,
    OwncastError,
    PermissionDenied,
    SignatureRejected,
    ValidationError,
)
from owncast_core.ports.activitypub import (
    ActivityPubRepository,
    DeliveryQueue,
    DomainHealthRepository,
    FederationCrypto,
    FederationHttp,
    FollowersRepository,
)
from owncast_core.ports.clock import Clock, IdGenerator
from owncast_core.ports.page import PageRenderer
from owncast_core.services.config import ConfigService
from owncast_core.services.federation_delivery import DELIVERY_PAUSE_SECONDS, FederationDeliveries
from owncast_core.services.webfinger import WebFingerLookup

MAX_PAGE: Final = 100_000
MAX_CLOCK_SKEW_SECONDS: Final = 300.0  # a signed request's Date may be this far off
MAX_ACTOR_DOCUMENT: Final = 256 * 1024
ACTOR_CACHE_SECONDS: Final = 600.0
ACTOR_CACHE_SIZE: Final = 512
DEFAULT_QUEUE_SIZE: Final = 200
DEFAULT_TIMEOUT_SECONDS: Final = 10.0
MAX_NOTE_LENGTH: Final = 5000
IMAGE_TYPES: Final = {"preview.gif": "image/gif", "thumbnail.jpg": "image/jpeg"}

PROFILE_KEYS: Final = frozenset({Keys.SERVER_NAME, Keys.SERVER_SUMMARY, Keys.LOGO, Keys.TAGS, Keys.SOCIAL_HANDLES,
                                  Keys.FEDERATION_PRIVATE})
ENGAGEMENT: Final = {"Follow": ap.FOLLOW_ACTION, "Like": ap.LIKE_ACTION, "Announce": ap.REPOST_ACTION}

Snapshot = Callable[[], str | None]


class EngagementChat(Protocol):
    """Where engagement is shown (``ChatService``): one ``FEDIVERSE_ENGAGEMENT_*`` line to every
    chat client, kept in the history and published to webhooks."""

    async def send_fediverse_engagement(self, event_type: str, *, text: str, image: str | None, title: str,
                                        link: str, actor_name: str = "") -> object: ...


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A verified activity waiting for the inbox worker."""

    activity: dict[str, Any]
    sender: RemoteActor


@dataclass(frozen=True, slots=True)
class SignedDocument:
    """An ActivityPub document ready to serve: its exact body and the ``digest``/``signature``
    headers over it."""

    body: bytes
    headers: dict[str, str]


class FederationService:
    """Builds the federation documents and keeps the followers."""

    def __init__(
        self,
        *,
        config: ConfigService,
        followers: FollowersRepository,
        activities: ActivityPubRepository,
        deliveries: DeliveryQueue,
        domain_health: DomainHealthRepository,
        crypto: FederationCrypto,
        http: FederationHttp,
        clock: Clock,
        ids: IdGenerator,
        renderer: PageRenderer | None = None,
        snapshot: Snapshot | None = None,
        chat: EngagementChat | None = None,
        version: str = __version__,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_clock_skew: float = MAX_CLOCK_SKEW_SECONDS,
        allow_insecure: bool = False,
        webfinger: WebFingerLookup | None = None,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        breakers: CircuitBreakers | None = None,
        batch_pause: float = DELIVERY_PAUSE_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        logger: logging.Logger | None = None,
    ) -> None:
        """``allow_insecure`` lets deliveries and fetches use ``http://`` (the runner's
        ``--outbound-allow-private``; otherwise only ``https://``); ``webfinger`` looks
        accounts up for remote follow (default: over https through ``http``); ``retry_delays``,
        ``breakers``, ``batch_pause`` and ``sleep`` tune the delivery queue (tests)."""
        self._config = config
        self._followers = followers
        self._activities = activities
        self._renderer = renderer
        self._snapshot = snapshot or (lambda: None)
        self._chat = chat
        self._crypto = crypto
        self._http = http
        self._clock = clock
        self._ids = ids
        self._version = version
        self._timeout = timeout
        self._max_skew = max_clock_skew
        self._allow_insecure = allow_insecure
        self._webfinger = webfinger or WebFingerLookup(http=http, timeout=timeout)
        self._log = logger or logging.getLogger("owncast.federation")
        self._outgoing = FederationDeliveries(
            queue=deliveries, health=domain_health, http=http, clock=clock,
            sign=lambda url, body: self._signed("POST", url, body),
            active=self._active, on_gone=self._account_gone, allow_insecure=allow_insecure,
            retry_delays=retry_delays, breakers=breakers, timeout=timeout, pause=batch_pause, sleep=sleep,
            logger=self._log)
        self._queue: asyncio.Queue[InboxItem] = asyncio.Queue(maxsize=max(1, queue_size))
        self._worker: asyncio.Task[None] | None = None
        self._actors: OrderedDict[str, tuple[RemoteActor, datetime]] = OrderedDict()

    # lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Make and store the actor's key pair if there is none (first start)."""
        if self._config.string(Keys.FEDERATION_PRIVATE_KEY) and self._config.string(Keys.FEDERATION_PUBLIC_KEY):
            return
        keys = await self._crypto.generate_keys()
        await self._config.set_many({Keys.FEDERATION_PRIVATE_KEY: keys.private_pem,
                                     Keys.FEDERATION_PUBLIC_KEY: keys.public_pem})
        self._log.info("created the key pair of the Fediverse account")

    def start_worker(self) -> None:
        """Start the inbox worker and the delivery worker (call inside the running loop); the
        delivery worker resumes what a previous run left queued."""
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="federation-inbox")
        self._outgoing.start()

    async def close(self) -> None:
        """Stop both workers. Inbound activities not handled yet are dropped (their senders
        retry, as for any unanswered delivery); outbound deliveries stay queued, those in flight
        included, and are sent after the next start."""
        await self._outgoing.close()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def idle(self) -> None:
        """Wait until every inbound activity queued has been handled and no outbound delivery
        is due now (sending those that are); deliveries waiting for a retry are not waited for."""
        while True:
            await self._queue.join()
            if await self._outgoing.send_due() == 0 and self._queue.empty():
                return

    async def deliver_due(self) -> int:
        """Send the deliveries due now (the worker does this on its own; tests call it after
        moving the clock); returns how many attempts were made."""
        return await self._outgoing.send_due()

    async def delivery_status(self, offset: int, limit: int) -> dict[str, Any]:
        """The outbound queue (``/api/admin/federation/deliveries``): ``{total, results: [{id,
        activityId, type, inbox, domain, attempts, lastError, createdAt, nextAttemptAt}],
        pausedDomains: [{domain, until}], unavailableDomains: [{domain, since}]}``, first queued
        first."""
        return await self._outgoing.status(offset, limit)

    async def retry_domain(self, domain: object) -> str:
        """Try a paused or unavailable server again now (``POST
        /api/admin/federation/deliveries/retry-domain``): its breaker and unavailable state are
        forgotten and the delivery worker woken; returns the domain. ``ValidationError``
        without a domain, ``NotFoundError`` for one that is neither paused nor unavailable."""
        return await self._outgoing.retry_domain(domain)

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

    async def remote_follow_url(self, account: object) -> str:
        """Where to send a viewer who wants to follow this server from their Fediverse account
        ``account`` (``@user@host``): their server's follow page for our actor (reference §1.2,
        ``/api/remotefollow``). ``FederationDisabled`` while off, ``NotFoundError`` without a
        server URL, ``ValidationError`` (a message for the viewer) for a malformed account, a
        server that cannot be reached or that offers no follow page."""
        actor = self.actor()
        _, _, document = await self._webfinger.document(account)
        url = ap.remote_follow_url(document, actor.iri)
        if url is None:
            raise ValidationError(f"unable to determine remote follow information for {account}")
        return url

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
        return await self._activities.count_outbox()

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
        """The outbox: the ``Create`` activities posted, newest first."""
        actor = self._actor_named(username)
        total = await self._activities.count_outbox()
        number = _page_number(page)
        if number is None:
            return ap.ordered_collection(actor.outbox, total)
        items = await self._activities.list_outbox(offset=(number - 1) * ap.COLLECTION_PAGE_SIZE,
                                                   limit=ap.COLLECTION_PAGE_SIZE)
        return ap.ordered_collection_page(actor.outbox, number, total, [_without_context(i.activity) for i in items])

    async def object_document(self, object_id: str) -> dict[str, Any]:
        """``/federation/<id>``: a posted ``Note`` (by its id) or its ``Create`` (by that id)."""
        self.actor()
        item = await self._activities.get_outbox(object_id)
        if item is None:
            raise NotFoundError("no such object")
        if object_id == item.object_id:
            return {"@context": item.activity.get("@context", ap.AS_CONTEXT), **item.note}
        return item.activity

    def signed_document(self, document: Mapping[str, Any]) -> SignedDocument:
        """``document`` as the JSON bytes to answer with, and the headers that sign them with the
        account's key (reference §6.1 "Responses are HTTP-signed": Owncast signs the actor, the
        collections and the objects it serves with ``SignResponse``; see
        ``http_signatures.sign_response``). ``FederationDisabled``/``NotFoundError`` as ``actor``."""
        actor = self.actor()
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        private = self._config.string(Keys.FEDERATION_PRIVATE_KEY)
        headers = sig.sign_response(body, key_id=actor.key_id, sign=lambda data: self._crypto.sign(private, data))
        return SignedDocument(body=body, headers=headers)

    async def actions_page(self, offset: int, limit: int) -> dict[str, Any]:
        """``/api/admin/federation/actions``: ``{total, results: [{iri, actorIRI, type, timestamp}]}``."""
        total = await self._activities.count_actions()
        rows = await self._activities.list_actions(offset=max(0, offset), limit=max(0, limit))
        return {"total": total, "results": [a.to_json() for a in rows]}

    # posting ----------------------------------------------------------------------------------
    async def send_live(self) -> None:
        """The go-live post (§6.2), called by the go-live notification round (2 min after going
        live, at most once per 10 min). Nothing when federation is off, without a server URL or
        with an empty go-live message. Delivery runs in the background."""
        try:
            actor = self.actor()
        except (FederationDisabled, NotFoundError):
            return
        c = self._config
        message = c.string(Keys.FEDERATION_GO_LIVE_MESSAGE)
        if not message:
            self._log.info("not posting to the Fediverse: the go-live message is empty")
            return
        tags = c.get(Keys.TAGS)
        content, names = ap.go_live_content(message=message, stream_title=c.string(Keys.STREAM_TITLE),
                                            tags=[str(t) for t in tags] if isinstance(tags, list) else [],
                                            server_url=actor.server_url)
        image = None
        snapshot = self._snapshot()
        if snapshot in IMAGE_TYPES:
            image = (f"{actor.server_url}/{snapshot}?us={self._ids.new_id()}", IMAGE_TYPES[snapshot])
        await self._post(actor, content, names, image=image, sensitive=c.flag(Keys.NSFW), live=True)

    async def send_note(self, text: object) -> None:
        """A post written by the streamer (``/api/admin/federation/send``): markdown, hashtags
        linked. ``ValidationError`` for an empty or over-long text."""
        actor = self.actor()
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("the message must be non-empty text")
        if len(text) > MAX_NOTE_LENGTH:
            raise ValidationError(f"the message is longer than {MAX_NOTE_LENGTH} characters")
        html = self._renderer.simple(text) if self._renderer is not None else f"<p>{ap.escape_html(text)}</p>"
        content, names = ap.link_hashtags(html)
        await self._post(actor, content, names, image=None, sensitive=False, live=False)

    async def _post(self, actor: LocalActor, content: str, hashtags: list[str], *, image: tuple[str, str] | None,
                    sensitive: bool, live: bool) -> None:
        now = self._clock.now()
        object_id, activity_id = self._ids.new_id(), self._ids.new_id()
        activity = ap.create_note(actor, object_id=object_id, activity_id=activity_id, content=content,
                                  published=now, hashtags=hashtags, image=image, sensitive=sensitive,
                                  public=not self._config.flag(Keys.FEDERATION_PRIVATE))
        await self._activities.add_outbox(OutboxItem(object_id=object_id, activity_id=activity_id,
                                                     activity=activity, created_at=now, live_notification=live))
        await self._deliver(activity)

    async def deliver_to(self, activity: Mapping[str, Any], inboxes: Sequence[str]) -> int:
        """Queue ``activity`` for each of ``inboxes`` (once per distinct inbox) and return how
        many deliveries were queued; the delivery worker signs and sends them, retrying on
        failure. The one path for everything the server sends: posts and profile updates to the
        followers, the answer to a follow, a direct message to one actor's inbox. Raises
        ``StorageError`` when the queue cannot store them."""
        body = json.dumps(activity).encode()
        activity_id = _iri(activity.get("id")) or self._ids.new_id()
        return await self._outgoing.add(activity_id, body, inboxes)

    async def _deliver(self, activity: Mapping[str, Any]) -> None:
        """Queue ``activity`` for every approved follower, once per inbox (shared inboxes
        preferred)."""
        followers = await self._followers.list("approved")
        inboxes = list(dict.fromkeys(f.delivery_inbox for f in followers))
        if not inboxes:
            self._log.info("posted a %s to the Fediverse; no followers to deliver it to", activity.get("type"))
            return
        queued = await self.deliver_to(activity, inboxes)
        self._log.info("queued a %s for %d Fediverse inboxes", activity.get("type"), queued)

    def _active(self) -> bool:
        """Federation is on and has a server URL (deliveries may be sent)."""
        try:
            self.actor()
        except (FederationDisabled, NotFoundError):
            return False
        return True

    async def _account_gone(self, inbox: str) -> None:
        """A 410 Gone from ``inbox``: the followers whose own inbox it is are deleted accounts and
        are removed; a shared inbox answering 410 removes nobody (the server may still host
        other followers)."""
        removed = 0
        for state in ("approved", "pending"):
            for follower in await self._followers.list(state):
                if follower.inbox == inbox and await self._followers.remove(follower.actor_iri):
                    removed += 1
                    self._log.info("Fediverse: %s no longer exists (410 Gone); removed from the followers",
                                   follower.username or follower.actor_iri)
        if not removed:
            self._log.info("Fediverse: %s answered 410 Gone; no follower has it as their own inbox", inbox)

    async def send_direct_message(self, actor_iri: str, html: str) -> None:
        """A private Note (``html``) to one remote actor: a ``Create`` addressed to that actor
        only (with a ``Mention``), delivered signed to its inbox now, through the delivery path's
        one-attempt ``send_now`` (https-only, breaker, 410); neither queued nor retried (the
        caller reports a failure at once; a one-time code arriving later would be useless) nor
        kept in the outbox. Raises ``FederationDisabled``/``NotFoundError`` without a local
        actor, ``DeliveryFailed`` when the actor cannot be fetched or its inbox does not take the
        message, and ``DeliveryRefused`` for a target that is not allowed (used by the Fediverse
        sign-in). ``deliver_to(activity, [inbox])`` is the queued, retried alternative."""
        actor = self.actor()
        try:
            remote, _ = await self._remote_actor(actor_iri)
        except SignatureRejected as exc:  # how _remote_actor reports an unusable actor
            raise DeliveryFailed(str(exc).replace("the signer", "the actor")) from exc
        activity = ap.create_note(actor, object_id=self._ids.new_id(), activity_id=self._ids.new_id(),
                                  content=html, published=self._clock.now(), hashtags=[], public=False)
        for item in (activity, activity["object"]):
            item["to"], item["cc"] = [remote.iri], []
        activity["object"]["tag"] = [{"type": "Mention", "href": remote.iri, "name": remote.username or remote.iri}]
        await self._outgoing.send_now(json.dumps(activity).encode(), remote.inbox)

    # admin and public lists -------------------------------------------------------------------
    async def followers_page(self, offset: int, limit: int) -> dict[str, Any]:
        """``{total, results}`` of approved followers (``/api/followers``, ``/api/admin/followers``)."""
        total = await self._followers.count("approved")
        rows = await self._followers.list("approved", offset=max(0, offset), limit=max(0, limit))
        return {"total": total, "results": [f.to_json() for f in rows]}

    async def followers_in(self, state: ap.FollowerState) -> list[Follower]:
        return await self._followers.list(state)


    async def on_event(self, event: object) -> None:
        """``EventBus`` subscriber: a change of the profile (name, summary, logo, tags, links,
        private mode) is sent to the followers as an ``Update`` of the actor (§6.2); turning
        federation on (or setting the server URL) wakes the delivery worker for what is queued."""
        if not isinstance(event, ConfigChanged):
            return
        if {Keys.FEDERATION_ENABLED, Keys.SERVER_URL} & set(event.keys):
            self._outgoing.wake()
        if PROFILE_KEYS & set(event.keys):
            await self.send_profile_update()

    async def send_profile_update(self) -> None:
        """Queue ``Update(actor)`` for the followers; nothing while off."""
        try:
            actor = self.actor()
        except (FederationDisabled, NotFoundError):
            return
        document = self.actor_document(actor.username)
        update = {"@context": document.pop("@context"), "id": actor.object_iri(self._ids.new_id()),
                  "type": "Update", "actor": actor.iri, "to": [ap.PUBLIC], "object": document}
        await self._deliver(update)

    async def approve(self, actor_iri: object, approved: object) -> None:
        """Approve (``Accept`` sent) or reject (``Reject`` sent, the follower blocked) a follow
        request (``/api/admin/followers/approve``); the answer is queued for delivery."""
        if not isinstance(actor_iri, str) or not actor_iri or not isinstance(approved, bool):
            raise ValidationError("expected {actorIRI: string, approved: bool}")
        follower = await self._followers.get(actor_iri)
        if follower is None:
            raise NotFoundError(f"no follow request from {actor_iri}")
        now = self._clock.now()
        if approved:
            follower = replace(follower, approved_at=follower.approved_at or now, disabled_at=None)
        else:
            follower = replace(follower, disabled_at=now)
        await self._followers.save(follower)
        await self._answer_follow(follower, "Accept" if approved else "Reject")

    # the inbox ----------------------------------------------------------------------------------
    async def receive(self, username: str, *, method: str, target: str, headers: Mapping[str, str],
                      body: bytes) -> None:
        """Check one inbound activity and queue it for the worker.

        ``headers`` keys are lower-case. Raises ``ValidationError`` (not a JSON activity),
        ``SignatureRejected`` (no/malformed/stale/unverifiable signature, wrong digest),
        ``PermissionDenied`` (blocked domain, signer is not the activity's actor) and
        ``Overloaded`` (the queue is full); ``FederationDisabled``/``NotFoundError`` as the
        documents.
        """
        self._actor_named(username)
        try:
            activity = jsontext.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationError("the body is not JSON") from exc
        if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
            raise ValidationError("the body is not an ActivityPub activity")
        claimed = _iri(activity.get("actor"))
        if not ap.is_http_iri(claimed):
            raise ValidationError("the activity has no actor")
        blocked = self._blocked_domains()
        if ap.domain_blocked(claimed, blocked):
            raise PermissionDenied("this domain is blocked")
        sender = await self._verify(method=method, target=target, headers=headers, body=body, blocked=blocked)
        if sender.iri != claimed:
            raise PermissionDenied("the signer is not the activity's actor")
        # a server that signs what it sends us is up: if it was marked unavailable, it is no more
        await self._outgoing.heard_from(delivery_domain(url) for url in (sender.iri, sender.inbox, sender.shared_inbox))
        try:
            self._queue.put_nowait(InboxItem(activity, sender))
        except asyncio.QueueFull as exc:
            raise Overloaded("the inbox is busy; try again later") from exc

    async def _verify(self, *, method: str, target: str, headers: Mapping[str, str], body: bytes,
                      blocked: list[str]) -> RemoteActor:
        value = headers.get("signature")
        if not value:
            raise SignatureRejected("the request is not signed (no Signature header)")
        try:
            params = sig.parse_signature(value)
        except ValueError as exc:
            raise SignatureRejected(str(exc)) from exc
        missing = {sig.REQUEST_TARGET, "host", "date", "digest"} - set(params.headers)
        if missing:
            raise SignatureRejected(f"the signature must cover {', '.join(sorted(missing))}")
        try:
            sent = sig.parse_http_date(headers.get("date", ""))
        except ValueError as exc:
            raise SignatureRejected(str(exc)) from exc
        if abs((self._clock.now() - sent).total_seconds()) > self._max_skew:
            raise SignatureRejected("the Date header is too far from now")
        if not sig.digest_matches(headers.get("digest", ""), body):
            raise SignatureRejected("the Digest header does not match the body")
        try:
            text = sig.signing_string(params.headers, method=method, target=target, headers=headers)
        except ValueError as exc:
            raise SignatureRejected(str(exc)) from exc
        if not ap.is_http_iri(params.key_id):
            raise SignatureRejected("the keyId is not an http(s) URL")
        if ap.domain_blocked(params.key_id, blocked):
            raise PermissionDenied("this domain is blocked")
        owner = params.key_id.split("#", 1)[0]
        sender, cached = await self._remote_actor(owner)
        if cached and (sender.key_id != params.key_id
                       or not self._crypto.verify(sender.public_key_pem, text, params.signature)):
            sender, _ = await self._remote_actor(owner, refresh=True)  # the key may have changed
        if sender.key_id != params.key_id:
            raise SignatureRejected(f"{params.key_id} is not the key of {sender.iri}")
        if not self._crypto.verify(sender.public_key_pem, text, params.signature):
            raise SignatureRejected("the signature does not verify")
        return sender

    async def _remote_actor(self, iri: str, *, refresh: bool = False) -> tuple[RemoteActor, bool]:
        now = self._clock.now()
        known = self._actors.get(iri)
        if known is not None and not refresh and (now - known[1]).total_seconds() < ACTOR_CACHE_SECONDS:
            return known[0], True
        if not self._allow_insecure and not iri.startswith("https://"):
            raise SignatureRejected(f"the signer {iri} is not served over https://")
        try:
            reply = await self._http.get(iri, headers=self._signed("GET", iri, None), timeout=self._timeout,
                                         max_body=MAX_ACTOR_DOCUMENT)
        except (DeliveryFailed, DeliveryRefused) as exc:
            raise SignatureRejected(f"could not fetch the signer {iri}: {exc}") from exc
        if reply.status != 200:
            raise SignatureRejected(f"could not fetch the signer {iri}: HTTP {reply.status}")
        try:
            actor = RemoteActor.parse(jsontext.loads(reply.body))
        except (ValueError, UnicodeDecodeError) as exc:
            raise SignatureRejected(f"could not read the signer {iri}: {exc}") from exc
        if actor.iri != iri:
            raise SignatureRejected(f"the document at {iri} is another actor's")
        self._actors[iri] = (actor, now)
        self._actors.move_to_end(iri)
        while len(self._actors) > ACTOR_CACHE_SIZE:
            self._actors.popitem(last=False)
        return actor, False

    def _signed(self, method: str, url: str, body: bytes | None) -> dict[str, str]:
        """Headers of a request signed with the server's key (``FederationDisabled`` /
        ``NotFoundError`` without an actor)."""
        actor = self.actor()
        private = self._config.string(Keys.FEDERATION_PRIVATE_KEY)
        return sig.sign_request(method, url, key_id=actor.key_id, now=self._clock.now(), body=body,
                                sign=lambda data: self._crypto.sign(private, data))

    def _blocked_domains(self) -> list[str]:
        value = self._config.get(Keys.FEDERATION_BLOCKED_DOMAINS)
        return [str(d) for d in value] if isinstance(value, list) else []

    async def _work(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                await self.handle(item.activity, item.sender)
            except asyncio.CancelledError:
                raise
            except OwncastError as exc:
                self._log.warning("could not handle a %s from %s: %s", item.activity.get("type"), item.sender.iri, exc)
            except Exception:
                self._log.exception("could not handle a %s from %s", item.activity.get("type"), item.sender.iri)
            finally:
                self._queue.task_done()

    async def handle(self, activity: dict[str, Any], sender: RemoteActor) -> None:
        """Act on one verified activity: Follow, Undo(Follow), Like, Announce; others are ignored."""
        kind = activity.get("type")
        first = await self._record(activity, sender) if kind in ENGAGEMENT else None
        if kind == "Follow":
            if await self._follow(activity, sender) and first is not None:
                await self._show(ap.FOLLOW_ACTION, sender, live=False)
        elif kind in ("Like", "Announce"):
            if first is not None:
                item = await self._activities.get_outbox(first.rsplit("/", 1)[-1])
                if item is not None:  # Owncast shows engagement with posts it has sent only
                    await self._show(ENGAGEMENT[str(kind)], sender, live=item.live_notification)
        elif kind == "Undo":
            inner = activity.get("object")
            if (isinstance(inner, dict) and inner.get("type") == "Follow") or isinstance(inner, str):
                if await self._followers.remove(sender.iri):
                    self._log.info("%s stopped following", sender.username or sender.iri)
        else:
            self._log.debug("ignored a %s activity from %s", kind, sender.iri)

    async def _record(self, activity: dict[str, Any], sender: RemoteActor) -> str | None:
        """Keep a follow of us (by our actor IRI, as Owncast, so each actor counts once) or a
        like/repost of one of our posts (by the post's IRI, so each actor counts once per post)
        as a federated action. The IRI when this is the first such action, else ``None``."""
        kind = str(activity.get("type"))
        target = _iri(activity.get("object"))
        actor = self.actor()
        if kind == "Follow":
            if target != actor.iri:
                return None
        elif not target.startswith(f"{actor.server_url}/federation/"):
            return None
        added = await self._activities.add_action(FederatedAction(iri=target, actor_iri=sender.iri,
                                                                  type=ENGAGEMENT[kind], timestamp=self._clock.now()))
        return target if added else None

    async def _show(self, event_type: str, sender: RemoteActor, *, live: bool) -> None:
        """Engagement in chat (§6.1), Owncast's wording, while ``showEngagement`` is on and chat
        is enabled; best-effort (a failure is logged, the activity stays handled)."""
        c = self._config
        if self._chat is None or not c.flag(Keys.FEDERATION_SHOW_ENGAGEMENT) or c.flag(Keys.CHAT_DISABLED):
            return
        text = ap.engagement_text(event_type, actor_name=sender.name or sender.username,
                                  server_name=c.string(Keys.SERVER_NAME), live=live)
        try:
            await self._chat.send_fediverse_engagement(event_type, text=text, image=sender.image or None,
                                                       title=sender.username, link=sender.iri,
                                                       actor_name=sender.name)
        except OwncastError as exc:
            self._log.warning("could not show a %s from %s in chat: %s", event_type, sender.iri, exc)

    async def _follow(self, activity: dict[str, Any], sender: RemoteActor) -> bool:
        """Store the follower and accept them unless the server is private; ``True`` when the
        follow is approved now."""
        actor = self.actor()
        if _iri(activity.get("object")) != actor.iri:
            self._log.info("ignored a Follow of %s from %s", _iri(activity.get("object")), sender.iri)
            return False
        now = self._clock.now()
        known = await self._followers.get(sender.iri)
        if known is not None and known.disabled_at is not None:
            self._log.info("ignored a Follow from the blocked %s", sender.iri)
            return False
        private = self._config.flag(Keys.FEDERATION_PRIVATE)
        approved_at = known.approved_at if known is not None else None
        if approved_at is None and not private:
            approved_at = now
        follower = Follower(
            actor_iri=sender.iri, inbox=sender.inbox, shared_inbox=sender.shared_inbox, name=sender.name,
            username=sender.username, image=sender.image, created_at=now,
            follow_iri=_iri(activity.get("id")), approved_at=approved_at,
        )
        await self._followers.save(follower)
        if approved_at is None:
            self._log.info("%s asked to follow; waiting for approval", sender.username or sender.iri)
            return False
        self._log.info("%s follows", sender.username or sender.iri)
        await self._answer_follow(follower, "Accept")
        return True

    async def _answer_follow(self, follower: Follower, kind: str) -> None:
        """Queue ``Accept``/``Reject`` of the follower's ``Follow`` for their own inbox."""
        actor = self.actor()
        follow: dict[str, Any] = {"type": "Follow", "actor": follower.actor_iri, "object": actor.iri}
        if follower.follow_iri:
            follow = {"id": follower.follow_iri, **follow}
        answer = {"@context": ap.AS_CONTEXT, "id": actor.object_iri(self._ids.new_id()), "type": kind,
                  "actor": actor.iri, "object": follow}
        await self.deliver_to(answer, [follower.inbox])

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


def _iri(value: object) -> str:
    """An IRI given as a string or as an object's ``id``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return ""


def _without_context(activity: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in activity.items() if k != "@context"}
