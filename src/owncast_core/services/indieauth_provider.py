"""IndieAuthProviderService: this server as the streamer's IndieAuth identity (reference §6.3).

``authorize`` is called once the streamer has approved (the route checks the admin
credentials): it validates the request, issues a one-time code and returns where to send the
browser back to. ``redeem`` is the client's form ``POST``: the code is good once, for
``CODE_TTL``, for the same ``client_id`` and ``redirect_uri``, with the PKCE verifier whose S256
challenge came with the request; the answer is this server's ``me`` and profile.

Codes live in memory (as in Owncast): a restart forgets them, which only means signing in
again. They are stored under their SHA-256, so a lookup's timing says nothing about a code;
the PKCE challenge is compared in constant time. A redemption naming a code uses it up even
when it fails (RFC 6749 §4.1.2: a code is good for one attempt).
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
    CODE_BYTES,
    CODE_TTL,
    INVALID_CLIENT,
    INVALID_REQUEST,
    MAX_PENDING_CODES,
    SERVER_URL_REQUIRED,
    TEMPORARILY_UNAVAILABLE,
    PendingCode,
    ServerProfile,
    authorization_request,
    issuer,
    redemption,
    redirect_with_code,
    server_profile,
)
from owncast_core.errors import OAuthError
from owncast_core.ports.clock import Clock, SecretGenerator
from owncast_core.services.config import ConfigService

TOO_MANY: Final = "Please try again later. Too many pending requests."


class IndieAuthProviderService:
    """Issues and redeems authorization codes for the streamer's IndieAuth sign-ins.

    Errors: ``OAuthError`` only, its ``error`` an OAuth code and its message safe to show:
    ``invalid_request`` (a missing or malformed parameter, a redirect to another origin, the
    server URL unset), ``unsupported_response_type`` / ``unsupported_grant_type``,
    ``temporarily_unavailable`` (``max_pending`` codes are waiting), and Owncast's
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
        compare: Callable[[bytes, bytes], bool] = hmac.compare_digest,
        logger: logging.Logger | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._secrets = secrets_source
        self._max_pending = max(1, max_pending)
        self._ttl = code_ttl
        self._compare = compare
        self._log = logger or logging.getLogger("owncast.indieauth_provider")
        self._codes: dict[str, PendingCode] = {}

    def authorize(self, query: Mapping[str, object]) -> str:
        """The streamer approved the request ``query`` (the GET's parameters): issue a code and
        return the URL to redirect the browser to (``redirect_uri`` with ``code``, ``state``
        and ``iss``). Nothing is issued when the request is invalid."""
        server_url = self._server_url()
        request = authorization_request(query)
        self._prune()
        if len(self._codes) >= self._max_pending:
            raise OAuthError(TEMPORARILY_UNAVAILABLE, TOO_MANY)
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

    def _server_url(self) -> str:
        server_url = self._config.string(Keys.SERVER_URL).strip()
        if not server_url:
            raise OAuthError(INVALID_REQUEST, SERVER_URL_REQUIRED)
        return server_url

    def _prune(self) -> None:
        now = self._clock.now()
        for key in [k for k, pending in self._codes.items() if now - pending.created_at > self._ttl]:
            del self._codes[key]


def _key(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
