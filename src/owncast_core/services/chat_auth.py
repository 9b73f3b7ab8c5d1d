"""ChatAuthService: chat users prove who they are (reference §6.3) with IndieAuth (their own
website) or a one-time code sent to their Fediverse account.

IndieAuth: ``start_indieauth`` discovers the website's authorization endpoint and returns the
URL to send the browser to (PKCE S256, a random ``state``); the website redirects back to
``/api/auth/indieauth/callback`` and ``finish_indieauth`` redeems the code there and checks the
returned ``me``. Fediverse: ``start_fediverse`` resolves ``@user@host`` with WebFinger and sends
a 6-digit code by direct message from the server's actor; ``verify_fediverse`` checks it.

Both end in ``_signed_in``: an identity already linked to a user re-points the caller's
access token to that user (everyone in chat sees "**A** is now authenticated as **B**", and
the caller's open connections become that user); otherwise the identity is linked to the
caller, who becomes ``authenticated`` (their name is then reserved, §2.5).

Pending sign-ins live in memory (as in Owncast): they are lost on restart, which only means
starting again.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from owncast_core.domain.chat import ChatUser
from owncast_core.domain.chat_auth import (
    CALLBACK_PATH,
    FEDIVERSE,
    INDIEAUTH,
    INDIEAUTH_REQUEST_TTL,
    MAX_PENDING_INDIEAUTH,
    MAX_PENDING_OTP,
    OTP_DIGITS,
    OTP_MAX_TRIES,
    OTP_TTL,
    IndieAuthRequest,
    OtpRequest,
    SignInResult,
    actor_from_webfinger,
    authenticated_as,
    fediverse_account,
    otp_message,
    pkce_challenge,
    profile_url,
    same_profile,
)
from owncast_core.domain.config import Keys
from owncast_core.errors import (
    AuthenticationError,
    DeliveryFailed,
    DeliveryRefused,
    FederationDisabled,
    NotFoundError,
    ValidationError,
)
from owncast_core.ports.chat import UserRepository
from owncast_core.ports.chat_auth import IdentityLinkRepository, IndieAuthClient
from owncast_core.ports.clock import Clock, SecretGenerator
from owncast_core.services.config import ConfigService
from owncast_core.services.webfinger import WebFingerLookup

VERIFIER_BYTES: Final = 48  # 64 characters, within RFC 7636's 43..128
STATE_BYTES: Final = 24


class AuthChat(Protocol):
    """What sign-ins need of the chat (``ChatService``)."""

    async def send_action(self, body: str, *, persist: bool = True, sanitize: bool = False) -> object: ...

    def user_changed(self, user: ChatUser) -> None: ...

    def reassign_connections(self, from_user_id: str, user: ChatUser) -> None: ...


class DirectMessenger(Protocol):
    """What the Fediverse sign-in needs of federation (``FederationService``)."""

    @property
    def enabled(self) -> bool: ...

    async def send_direct_message(self, actor_iri: str, html: str) -> None: ...


class ChatAuthService:
    """IndieAuth and Fediverse sign-in for chat users.

    Errors: ``ValidationError`` (bad input, the server URL unset, a site or account that cannot
    be used; the message is safe to show), ``FederationDisabled`` (Fediverse sign-in while
    federation is off), ``AuthenticationError`` (unknown/expired state, refused code, wrong
    ``me``, wrong or expired one-time code).
    """

    def __init__(
        self,
        *,
        config: ConfigService,
        users: UserRepository,
        links: IdentityLinkRepository,
        indieauth: IndieAuthClient,
        federation: DirectMessenger,
        webfinger: WebFingerLookup,
        chat: AuthChat,
        clock: Clock,
        secrets_source: SecretGenerator,
        max_pending: int = MAX_PENDING_INDIEAUTH,
        max_pending_codes: int = MAX_PENDING_OTP,
        compare: Callable[[bytes, bytes], bool] = hmac.compare_digest,
        logger: logging.Logger | None = None,
    ) -> None:
        self._config = config
        self._users = users
        self._links = links
        self._indieauth = indieauth
        self._federation = federation
        self._chat = chat
        self._clock = clock
        self._secrets = secrets_source
        self._webfinger = webfinger
        self._max_pending = max(1, max_pending)
        self._max_codes = max(1, max_pending_codes)
        self._compare = compare
        self._log = logger or logging.getLogger("owncast.chat_auth")
        self._pending: OrderedDict[str, IndieAuthRequest] = OrderedDict()
        self._codes: OrderedDict[str, OtpRequest] = OrderedDict()

    # IndieAuth -----------------------------------------------------------------------------------
    async def start_indieauth(self, user: ChatUser, access_token: str, auth_host: object) -> str:
        """The URL to send the browser to for signing in with the website ``auth_host``."""
        server_url = self._config.string(Keys.SERVER_URL).rstrip("/")
        if not server_url:
            raise ValidationError("Owncast server URL must be set when using auth")
        me = profile_url(auth_host)
        try:
            endpoints = await self._indieauth.discover(me)
        except DeliveryRefused as exc:
            raise ValidationError(f"unable to use {me}: {exc}") from exc
        except DeliveryFailed as exc:
            raise ValidationError(f"unable to reach {me}: {exc}") from exc
        except NotFoundError as exc:
            raise ValidationError(f"{me} does not support IndieAuth: {exc}") from exc
        verifier = self._secrets.token(VERIFIER_BYTES)
        state = self._secrets.token(STATE_BYTES)
        redirect_uri = server_url + CALLBACK_PATH
        request = IndieAuthRequest(
            state=state, me=me, user_id=user.id, display_name=user.display_name, access_token=access_token,
            endpoint=endpoints.authorization_endpoint, client_id=server_url, redirect_uri=redirect_uri,
            code_verifier=verifier, created_at=self._clock.now(),
        )
        self._prune_indieauth()
        self._pending[state] = request
        while len(self._pending) > self._max_pending:
            self._pending.popitem(last=False)
        query = {"response_type": "code", "client_id": server_url, "redirect_uri": redirect_uri, "state": state,
                 "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256", "me": me}
        parts = urlsplit(endpoints.authorization_endpoint)
        joined = f"{parts.query}&{urlencode(query)}" if parts.query else urlencode(query)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, ""))

    def pending_indieauth(self) -> int:
        """Sign-ins waiting for their callback (expired ones not counted)."""
        self._prune_indieauth()
        return len(self._pending)

    async def finish_indieauth(self, state: object, code: object) -> SignInResult:
        """The callback: redeem ``code`` for the sign-in ``state`` and link or re-point."""
        if not isinstance(state, str) or not state or not isinstance(code, str) or not code:
            raise AuthenticationError("state and code are required")
        self._prune_indieauth()
        request = self._pending.pop(state, None)
        if request is None:
            raise AuthenticationError("no such sign-in is pending (it may have expired)")
        form = {"grant_type": "authorization_code", "code": code, "client_id": request.client_id,
                "redirect_uri": request.redirect_uri, "code_verifier": request.code_verifier}
        try:
            me = await self._indieauth.redeem(request.endpoint, form)
        except (DeliveryFailed, DeliveryRefused) as exc:
            raise AuthenticationError(f"could not redeem the code: {exc}") from exc
        if not same_profile(me, request.me):
            raise AuthenticationError("indieauth response does not match the initial anticipated auth destination")
        return await self._signed_in(INDIEAUTH, request.me, user_id=request.user_id,
                                     display_name=request.display_name, access_token=request.access_token,
                                     announce_same_name=False)

    def _prune_indieauth(self) -> None:
        now = self._clock.now()
        for state in [s for s, r in self._pending.items() if now - r.created_at > INDIEAUTH_REQUEST_TTL]:
            del self._pending[state]

    # Fediverse one-time codes ------------------------------------------------------------------------
    async def start_fediverse(self, user: ChatUser, access_token: str, account: object) -> None:
        """Send a new one-time code to ``account`` (``@user@host``); replaces any pending one of
        this access token."""
        name, host = fediverse_account(account)
        if not self._federation.enabled:
            raise FederationDisabled("federation is disabled")
        _, _, document = await self._webfinger.document(f"{name}@{host}")
        actor_iri = actor_from_webfinger(document)
        code = f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"
        html = otp_message(self._config.string(Keys.SERVER_NAME), code)
        try:
            await self._federation.send_direct_message(actor_iri, html)
        except (DeliveryFailed, DeliveryRefused) as exc:
            raise ValidationError(f"unable to send the code to {name}@{host}: {exc}") from exc
        except NotFoundError as exc:
            raise ValidationError(f"unable to send the code: {exc}") from exc
        self._prune_codes()
        self._codes.pop(access_token, None)
        self._codes[access_token] = OtpRequest(code=code, account=f"{name}@{host}", user_id=user.id,
                                               display_name=user.display_name, created_at=self._clock.now())
        while len(self._codes) > self._max_codes:
            self._codes.popitem(last=False)

    async def verify_fediverse(self, access_token: object, code: object) -> SignInResult:
        """Check the code sent for ``access_token``. A wrong code counts as a try; after
        ``OTP_MAX_TRIES`` wrong ones the request is dropped. ``AuthenticationError`` unless right."""
        if not isinstance(access_token, str) or not access_token:
            raise AuthenticationError("an access token is required")
        self._prune_codes()
        request = self._codes.get(access_token)
        if request is None:
            raise AuthenticationError("no code is pending for this access token (it may have expired)")
        given = code.strip() if isinstance(code, str) else ""
        if not self._compare(given.encode(), request.code.encode()):
            request.wrong_tries += 1
            if request.wrong_tries >= OTP_MAX_TRIES:
                del self._codes[access_token]
                raise AuthenticationError("too many wrong codes; ask for a new one")
            raise AuthenticationError("wrong code")
        del self._codes[access_token]
        return await self._signed_in(FEDIVERSE, request.account, user_id=request.user_id,
                                     display_name=request.display_name, access_token=access_token,
                                     announce_same_name=True)

    def pending_codes(self) -> int:
        self._prune_codes()
        return len(self._codes)

    def _prune_codes(self) -> None:
        now = self._clock.now()
        for token in [t for t, r in self._codes.items() if now - r.created_at > OTP_TTL]:
            del self._codes[token]

    # both ----------------------------------------------------------------------------------------------
    async def _signed_in(self, kind: str, identity: str, *, user_id: str, display_name: str, access_token: str,
                         announce_same_name: bool) -> SignInResult:
        try:
            owner_id = await self._links.linked_user_id(kind, identity)
        except NotFoundError:
            owner_id = None
        if owner_id is None:
            user = await self._links.link(user_id, kind, identity, self._clock.now())
            self._log.info("chat user %s authenticated as %s (%s)", user_id, identity, kind)
            self._chat.user_changed(user)
            return SignInResult(user_id=user.id, identity=identity, repointed=False)
        if owner_id == user_id:
            return SignInResult(user_id=user_id, identity=identity, repointed=False)
        await self._links.move_token(access_token, owner_id)
        owner = await self._users.user_by_id(owner_id)
        self._log.info("access token of chat user %s now belongs to %s (%s %s)", user_id, owner_id, kind, identity)
        self._chat.reassign_connections(user_id, owner)
        if announce_same_name or display_name != owner.display_name:
            await self._chat.send_action(authenticated_as(display_name, owner.display_name), persist=False,
                                         sanitize=True)
        return SignInResult(user_id=owner_id, identity=identity, repointed=True)
