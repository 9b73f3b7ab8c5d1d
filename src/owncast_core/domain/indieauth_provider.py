"""Owncast as an IndieAuth *provider* (authorization server) for the streamer (reference §6.3):
the pure rules. The streamer types this server's URL into another IndieAuth site; that site
sends the browser to ``GET /api/auth/provider/indieauth`` (behind the admin sign-in), which
shows a consent page; the streamer's "Allow" (a form ``POST`` to ``CONSENT_PATH`` carrying a
one-time consent token) sends the browser back to the ``redirect_uri`` with a one-time ``code``,
"Deny" with ``error=access_denied``. The client redeems the code with a form ``POST`` to the
provider path, which answers who the user is: this server's URL and profile.

Everything here is sync and I/O free: request validation, the redirects back, the profile.
The stateful part (consent tokens, issued codes, expiry, single use) is
``services/indieauth_provider.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from owncast_core.errors import OAuthError

PROVIDER_PATH: Final = "/api/auth/provider/indieauth"
CONSENT_PATH: Final = PROVIDER_PATH + "/consent"
CONSENT_TTL: Final = timedelta(minutes=5)
"""A consent page's token is good for this long (time enough to read the page and decide)."""
MAX_PENDING_CONSENTS: Final = 100
"""Consent pages waiting for a decision kept at most; when full, a new one is refused
(``temporarily_unavailable``) rather than dropping one the streamer may be reading."""
CONSENT_TOKEN_BYTES: Final = 32
CODE_TTL: Final = timedelta(minutes=10)
"""Owncast's ``registrationTimeout``: an unredeemed code is forgotten after this."""
MAX_PENDING_CODES: Final = 100
"""Codes waiting for redemption kept at most (Owncast's ``maxPendingRequests``); when full, a new
authorization is refused (``temporarily_unavailable``) rather than dropping a pending one."""
CODE_BYTES: Final = 32
MAX_URL_LENGTH: Final = 2048
MAX_STATE_LENGTH: Final = 2048
LOGO_PATH: Final = "/logo"

# OAuth 2.0 / IndieAuth error codes used here.
INVALID_REQUEST: Final = "invalid_request"
INVALID_CLIENT: Final = "invalid_client"  # Owncast answers every failed redemption with this one
UNSUPPORTED_RESPONSE_TYPE: Final = "unsupported_response_type"
UNSUPPORTED_GRANT_TYPE: Final = "unsupported_grant_type"
TEMPORARILY_UNAVAILABLE: Final = "temporarily_unavailable"
ACCESS_DENIED: Final = "access_denied"  # RFC 6749 §4.1.2.1: the resource owner said no

SERVER_URL_REQUIRED: Final = "the Owncast server URL must be set to use this server as an IndieAuth identity"

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest, unpadded
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A validated authorization request (the GET's query): ``client_id`` and ``redirect_uri``
    are http(s) URLs of the same origin, ``code_challenge`` an S256 challenge."""

    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str


@dataclass(frozen=True, slots=True)
class PendingCode:
    """An issued code waiting for its redemption (the code itself is not kept, only its hash,
    which is the key it is stored under)."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PendingConsent:
    """A validated request shown on a consent page, waiting for the streamer's decision (the
    consent token itself is not kept, only its hash, which is the key it is stored under)."""

    request: AuthorizationRequest
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentPrompt:
    """What the consent page shows and posts back: ``token`` (the one-time consent token, bound
    server-side to ``request``), the client (``client_host`` is its host, with the port when not
    the scheme's default) and ``me``, the identity the streamer would sign in as."""

    token: str
    request: AuthorizationRequest
    client_host: str
    me: str


@dataclass(frozen=True, slots=True)
class Redemption:
    """A validated redemption request (the POST's form)."""

    code: str
    client_id: str
    redirect_uri: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class ServerProfile:
    """Who signed in: ``me`` is this server's URL (a profile URL, so with a ``/`` path) and
    ``profile`` its name, URL and logo."""

    me: str
    name: str
    url: str
    photo: str

    def to_json(self) -> dict[str, object]:
        return {"me": self.me, "profile": {"name": self.name, "url": self.url, "photo": self.photo}}


def server_profile(server_url: str, server_name: str) -> ServerProfile:
    """The answer to a good redemption; ``OAuthError`` when the server URL is not set."""
    base = server_url.strip().rstrip("/")
    if not base:
        raise OAuthError(INVALID_REQUEST, SERVER_URL_REQUIRED)
    me = base + "/"
    return ServerProfile(me=me, name=server_name, url=me, photo=base + LOGO_PATH)


def issuer(server_url: str) -> str:
    """The ``iss`` sent back with the code (RFC 9207): this server's profile URL."""
    return server_url.strip().rstrip("/") + "/"


def authorization_request(query: Mapping[str, object]) -> AuthorizationRequest:
    """Validate the authorization request's parameters; ``OAuthError`` when one is wrong.

    ``response_type`` must be ``code`` (or absent, as older clients send); PKCE is required
    with ``S256`` (an absent method means S256, as Owncast assumes); ``client_id`` and
    ``redirect_uri`` must be plain http(s) URLs (no credentials, fragment, spaces or
    backslashes) and the redirect must go to the client's own origin: Owncast does not fetch
    the client's page for other registered redirect URLs, so anything else would make this
    endpoint an open redirect for codes. ``me`` is a hint and is not checked.
    """
    response_type = _text(query, "response_type")
    if response_type not in ("", "code"):
        raise OAuthError(UNSUPPORTED_RESPONSE_TYPE, "response_type must be code")
    client_id = _web_url(query, "client_id")
    redirect_uri = _web_url(query, "redirect_uri")
    if _origin(client_id) != _origin(redirect_uri):
        raise OAuthError(INVALID_REQUEST, "redirect_uri must be on the same scheme, host and port as client_id")
    state = _text(query, "state")
    if not state:
        raise OAuthError(INVALID_REQUEST, "state is required")
    if len(state) > MAX_STATE_LENGTH:
        raise OAuthError(INVALID_REQUEST, "state is too long")
    method = _text(query, "code_challenge_method")
    if method not in ("", "S256"):
        raise OAuthError(INVALID_REQUEST, "code_challenge_method must be S256")
    challenge = _text(query, "code_challenge")
    if not _CHALLENGE.match(challenge):
        raise OAuthError(INVALID_REQUEST, "code_challenge is required: the S256 challenge of a PKCE verifier")
    return AuthorizationRequest(client_id=client_id, redirect_uri=redirect_uri, state=state,
                                code_challenge=challenge)


def redemption(form: Mapping[str, object]) -> Redemption:
    """Validate the redemption form; ``OAuthError`` when a field is missing or malformed.
    ``grant_type`` must be ``authorization_code`` (or absent, as older clients send)."""
    grant_type = _text(form, "grant_type")
    if grant_type not in ("", "authorization_code"):
        raise OAuthError(UNSUPPORTED_GRANT_TYPE, "grant_type must be authorization_code")
    fields = {name: _text(form, name) for name in ("code", "client_id", "redirect_uri", "code_verifier")}
    missing = [name for name, value in fields.items() if not value]
    if missing:
        raise OAuthError(INVALID_REQUEST, f"missing {', '.join(missing)}")
    if any(len(value) > MAX_URL_LENGTH for value in fields.values()):
        raise OAuthError(INVALID_REQUEST, "a field is too long")
    if not _VERIFIER.match(fields["code_verifier"]):
        raise OAuthError(INVALID_REQUEST, "code_verifier must be 43 to 128 characters of [A-Za-z0-9._~-]")
    return Redemption(**fields)


def redirect_with_code(redirect_uri: str, *, code: str, state: str, iss: str) -> str:
    """``redirect_uri`` with ``code``, ``state`` and ``iss`` set in its query (its own other
    query parameters kept, any authorization response parameter it already had replaced)."""
    return _redirect_with(redirect_uri, [("code", code), ("state", state), ("iss", iss)])


def redirect_with_error(redirect_uri: str, *, error: str, state: str, iss: str) -> str:
    """``redirect_uri`` with ``error``, ``state`` and ``iss`` set in its query (RFC 6749
    §4.1.2.1, RFC 9207), as ``redirect_with_code`` keeps and replaces parameters."""
    return _redirect_with(redirect_uri, [("error", error), ("state", state), ("iss", iss)])


def client_host(client_id: str) -> str:
    """The host a consent page names the client by: ``client_id``'s host, lower case, with its
    port when that is not the scheme's default (``client_id`` is a validated http(s) URL)."""
    scheme, host, port = _origin(client_id)
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return host if port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"


_RESPONSE_PARAMETERS: Final = frozenset({"code", "state", "iss", "error", "error_description", "error_uri"})


def _redirect_with(redirect_uri: str, added: list[tuple[str, str]]) -> str:
    parts = urlsplit(redirect_uri)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _RESPONSE_PARAMETERS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode([*kept, *added]), ""))


def _text(values: Mapping[str, object], name: str) -> str:
    value = values.get(name)
    return value if isinstance(value, str) else ""


def _web_url(values: Mapping[str, object], name: str) -> str:
    """The parameter ``name`` if it is a plain absolute http(s) URL, exactly as given (it is
    compared byte for byte at redemption); ``OAuthError`` otherwise."""
    url = _text(values, name)
    if not url:
        raise OAuthError(INVALID_REQUEST, f"{name} is required")
    if len(url) > MAX_URL_LENGTH:
        raise OAuthError(INVALID_REQUEST, f"{name} is too long")
    if "\\" in url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise OAuthError(INVALID_REQUEST, f"{name} must not contain spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise OAuthError(INVALID_REQUEST, f"{name} is not a valid URL") from exc
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise OAuthError(INVALID_REQUEST, f"{name} must be an absolute http or https URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise OAuthError(INVALID_REQUEST, f"{name} must not contain credentials")
    if "#" in url:
        raise OAuthError(INVALID_REQUEST, f"{name} must not contain a fragment")
    return url


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower().rstrip("."), parts.port or _DEFAULT_PORTS[scheme]
