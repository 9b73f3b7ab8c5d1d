"""IndieAuthProviderService: this server as the streamer's IndieAuth identity (reference §6.3).

Stricter than Owncast, which approves silently: signing in is not consent, since a browser
holding the admin credentials would otherwise hand any website a code (and so tell it that its
visitor is the streamer) without the streamer ever agreeing. So approval takes two steps, both
behind the admin credentials (the routes check them):

- ``request_consent`` validates the request and returns a ``ConsentPrompt`` for the consent page:
  a fresh one-time token, held here with that exact validated request for ``CONSENT_TTL``.
- ``decide`` is the page's form: the token is used up, and "allow" issues a one-time code and
  returns the redirect back with ``code``, ``state`` and ``iss``; "deny" returns the redirect
  back with ``error=access_denied``, ``state`` and ``iss`` and issues nothing. The redirect, the
  state and the challenge come from the request held with the token, never from the form.

``redeem`` is the client's form ``POST``: the code is good once, for ``CODE_TTL``, for the same
``client_id`` and ``redirect_uri``, with the PKCE verifier whose S256 challenge came with the
request; the answer is this server's ``me`` and profile.

Consent tokens and codes live in memory (as Owncast's codes do): a restart forgets them, which
only means signing in again. Both are stored under their SHA-256 and looked up by it, so the
secret itself is never compared and a lookup's timing says nothing about it; the PKCE
challenge is compared in constant time. A redemption naming a code uses it up even when it
fails (RFC 6749 §4.1.2: a code is good for one attempt).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Final

from owncast_core.domain.chat_auth import pkce_challenge
from owncast_core.domain.config import Keys
from owncast_core.domain.indieauth_provider import (
    ACCESS_DENIED,
    CODE_BYTES,
    CODE_TTL,
    CONSENT_TOKEN_BYTES,
    CONSENT_TTL,
    INVALID_CLIENT,
    INVALID_REQUEST,
    MAX_PENDING_CODES,
    MAX_PENDING_CONSENTS,
    SERVER_URL_REQUIRED,
    TEMPORARILY_UNAVAILABLE,
    AuthorizationRequest,
    ConsentPrompt,
    PendingCode,
    PendingConsent,
    ServerProfile,
    authorization_request,
    client_host,
    issuer,
    redemption,
    redirect_with_code,
    redirect_with_error,
    server_profile,
)
from owncast_core.errors import OAuthError
from owncast_core.ports.clock import Clock, SecretGenerator
from owncast_core.services.config import ConfigService

TOO_MANY: Final = "Please try again later. Too many pending requests."
NO_CONSENT: Final = "unknown, expired or already used consent token"


class IndieAuthProviderService:
    """Issues and redeems authorization codes for the streamer's IndieAuth sign-ins.

    Errors: ``OAuthError`` only, its ``error`` an OAuth code and its message safe to show:
    ``invalid_request`` (a missing or malformed parameter, a redirect to another origin, the
    server URL unset, a consent token that is unknown, expired or used),
    ``unsupported_response_type`` / ``unsupported_grant_type``, ``temporarily_unavailable``
    (``max_pending_consents`` consent pages or ``max_pending`` codes are waiting), and Owncast's
    ``invalid_client`` for a code that is unknown, used, expired, or redeemed with another
    ``client_id``, ``redirect_uri`` or verifier.
    """

    def __init__(
        self,
        *,
        config: ConfigService,
        clock: Clock,
        secrets_source: SecretGenerator,
        max_pending: int = MAX_PENDING_CODES,
        code_ttl: timedelta = CODE_TTL,
        max_pending_consents: int = MAX_PENDING_CONSENTS,
        consent_ttl: timedelta = CONSENT_TTL,
        compare: Callable[[bytes, bytes], bool] = hmac.compare_digest,
        logger: logging.Logger | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._secrets = secrets_source
        self._max_pending = max(1, max_pending)
        self._ttl = code_ttl
        self._max_consents = max(1, max_pending_consents)
        self._consent_ttl = consent_ttl
        self._compare = compare
        self._log = logger or logging.getLogger("owncast.indieauth_provider")
        self._codes: dict[str, PendingCode] = {}
        self._consents: dict[str, PendingConsent] = {}

    def request_consent(self, query: Mapping[str, object]) -> ConsentPrompt:
        """The signed-in streamer's browser brought the request ``query`` (the GET's
        parameters): validate it and return what the consent page shows, with a fresh one-time
        token bound to this request for ``consent_ttl``. Nothing is held when the request is
        invalid or ``max_pending_consents`` pages already wait for a decision."""
        server_url = self._server_url()
        request = authorization_request(query)
        self._prune()
        if len(self._consents) >= self._max_consents:
            raise OAuthError(TEMPORARILY_UNAVAILABLE, TOO_MANY)
        token = self._secrets.token(CONSENT_TOKEN_BYTES)
        self._consents[_key(token)] = PendingConsent(request=request, created_at=self._clock.now())
        return ConsentPrompt(token=token, request=request, client_host=client_host(request.client_id),
                             me=issuer(server_url))

    def decide(self, token: str, *, allow: bool) -> str:
        """The streamer's answer on the consent page of ``token``: the URL to send the browser
        back to, built from the request held with the token. ``allow`` issues a code
        (``redirect_uri`` with ``code``, ``state`` and ``iss``); otherwise the redirect carries
        ``error=access_denied``, ``state`` and ``iss`` and nothing is issued. The token is used
        up by either answer; an unknown, expired or used one is ``invalid_request`` and issues
        nothing. When ``max_pending`` codes are waiting, "allow" is ``temporarily_unavailable``
        and the token is kept, so the same page can be submitted again while it is fresh."""
        server_url = self._server_url()
        self._prune()
        key = _key(token)
        pending = self._consents.get(key) if token else None
        if pending is None:
            raise OAuthError(INVALID_REQUEST, NO_CONSENT)
        request = pending.request
        if not allow:
            del self._consents[key]
            self._log.info("IndieAuth sign-in to %s denied by the streamer", request.client_id)
            return redirect_with_error(request.redirect_uri, error=ACCESS_DENIED, state=request.state,
                                       iss=issuer(server_url))
        if len(self._codes) >= self._max_pending:
            raise OAuthError(TEMPORARILY_UNAVAILABLE, TOO_MANY)
        del self._consents[key]
        return self._issue(request, server_url)

    def _issue(self, request: AuthorizationRequest, server_url: str) -> str:
        code = self._secrets.token(CODE_BYTES)
        self._codes[_key(code)] = PendingCode(client_id=request.client_id, redirect_uri=request.redirect_uri,
                                              code_challenge=request.code_challenge, created_at=self._clock.now())
        self._log.info("IndieAuth code issued to %s", request.client_id)
        return redirect_with_code(request.redirect_uri, code=code, state=request.state, iss=issuer(server_url))

    def redeem(self, form: Mapping[str, object]) -> ServerProfile:
        """The client's redemption (the POST's form fields): this server's profile when the
        code is pending, fresh, and matches ``client_id``, ``redirect_uri`` and the PKCE
        verifier; the code is used up either way."""
        server_url = self._server_url()
        given = redemption(form)
        self._prune()
        pending = self._codes.pop(_key(given.code), None)
        if pending is None:
            raise OAuthError(INVALID_CLIENT, "no pending authentication request")
        if given.redirect_uri != pending.redirect_uri:
            raise OAuthError(INVALID_CLIENT, "redirect URI does not match")
        if given.client_id != pending.client_id:
            raise OAuthError(INVALID_CLIENT, "client ID does not match")
        if not self._compare(pkce_challenge(given.code_verifier).encode(), pending.code_challenge.encode()):
            raise OAuthError(INVALID_CLIENT, "code verifier is incorrect")
        self._log.info("IndieAuth code redeemed by %s", pending.client_id)
        return server_profile(server_url, self._config.string(Keys.SERVER_NAME))

    def pending(self) -> int:
        """Codes waiting for redemption (expired ones not counted)."""
        self._prune()
        return len(self._codes)

    def pending_consents(self) -> int:
        """Consent pages waiting for the streamer's decision (expired ones not counted)."""
        self._prune()
        return len(self._consents)

    def _server_url(self) -> str:
        server_url = self._config.string(Keys.SERVER_URL).strip()
        if not server_url:
            raise OAuthError(INVALID_REQUEST, SERVER_URL_REQUIRED)
        return server_url

    def _prune(self) -> None:
        now = self._clock.now()
        for key in [k for k, pending in self._codes.items() if now - pending.created_at > self._ttl]:
            del self._codes[key]
        for key in [k for k, consent in self._consents.items() if now - consent.created_at > self._consent_ttl]:
            del self._consents[key]


def _key(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
