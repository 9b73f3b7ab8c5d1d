"""Chat-user authentication (reference §6.3): external identities, pending sign-ins, and the
pure rules of IndieAuth (PKCE, profile URLs) and of Fediverse one-time codes (accounts,
WebFinger documents, the code message).

An *identity* is a string naming someone outside this server: an IndieAuth profile URL
(``https://alice.example/``) or a Fediverse account (``alice@social.example``). Once linked to
a chat user, that user is ``authenticated`` and their display name is reserved (§2.5).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from owncast_core.errors import ValidationError

INDIEAUTH: Final = "INDIEAUTH"
FEDIVERSE: Final = "FEDIVERSE"
IDENTITY_TYPES: Final = frozenset({INDIEAUTH, FEDIVERSE})

INDIEAUTH_REQUEST_TTL: Final = timedelta(minutes=10)
"""Owncast ``registrationTimeout``: an unanswered IndieAuth sign-in is forgotten after this."""
MAX_PENDING_INDIEAUTH: Final = 1000
"""Pending IndieAuth sign-ins kept at most; a new one beyond this drops the oldest."""
OTP_TTL: Final = timedelta(minutes=3)
"""Owncast ``ValidateFediverseOTP``: a one-time code is valid for 3 minutes."""
OTP_DIGITS: Final = 6
OTP_MAX_TRIES: Final = 5
"""Wrong codes accepted before the pending request is dropped (Owncast has no limit)."""
MAX_PENDING_OTP: Final = 1000
CALLBACK_PATH: Final = "/api/auth/indieauth/callback"
MAX_PROFILE_URL_LENGTH: Final = 2048
MAX_ACCOUNT_LENGTH: Final = 320

_ACCOUNT = re.compile(r"^@?([A-Za-z0-9_.~+-]{1,64})@([A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?)$")


@dataclass(frozen=True, slots=True)
class IdentityLink:
    """An external identity linked to a chat user (Owncast's ``auth`` table row)."""

    user_id: str
    kind: str
    identity: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IndieAuthEndpoints:
    """What discovery found at a profile URL: where to send the user, and (when advertised)
    the token endpoint. ``authorization_endpoint`` is an absolute http(s) URL."""

    authorization_endpoint: str
    token_endpoint: str = ""


@dataclass(frozen=True, slots=True)
class IndieAuthRequest:
    """A sign-in waiting for its callback, keyed by ``state``."""

    state: str
    me: str
    user_id: str
    display_name: str
    access_token: str
    endpoint: str
    client_id: str
    redirect_uri: str
    code_verifier: str
    created_at: datetime


@dataclass(slots=True)
class OtpRequest:
    """A Fediverse one-time code waiting for its verification, keyed by access token."""

    code: str
    account: str
    user_id: str
    display_name: str
    created_at: datetime
    wrong_tries: int = 0


@dataclass(frozen=True, slots=True)
class SignInResult:
    """How a sign-in ended: ``user`` is who the access token now belongs to; ``repointed`` is
    true when the identity was already another user's and the token now points there."""

    user_id: str
    identity: str
    repointed: bool


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def profile_url(value: object) -> str:
    """The IndieAuth profile URL a user typed (``authHost``): an http(s) URL with a host and no
    credentials or fragment; ``https://`` is assumed when no scheme is given (IndieAuth's URL
    canonicalisation) and an empty path becomes ``/``. ``ValidationError`` otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("authHost must be the URL of your website")
    text = value.strip()
    if len(text) > MAX_PROFILE_URL_LENGTH:
        raise ValidationError("authHost is too long")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"authHost is not a valid URL: {exc}") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("authHost must be an http or https URL")
    if not parts.hostname or parts.username is not None or parts.password is not None or parts.fragment:
        raise ValidationError("authHost must be a plain http(s) URL with a host")
    if any(ch.isspace() for ch in text):
        raise ValidationError("authHost must not contain spaces")
    netloc = parts.hostname.lower() + (f":{port}" if port is not None else "")
    path = parts.path or "/"
    return f"{parts.scheme.lower()}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def same_profile(a: str, b: str) -> bool:
    """Owncast's ``me`` check: equal once trailing slashes are trimmed."""
    return a.rstrip("/") == b.rstrip("/")


def fediverse_account(value: object) -> tuple[str, str]:
    """``(user, host)`` of ``@user@host`` or ``user@host``; ``ValidationError`` otherwise."""
    if not isinstance(value, str) or len(value.strip()) > MAX_ACCOUNT_LENGTH:
        raise ValidationError("account must look like @user@server.example")
    match = _ACCOUNT.match(value.strip())
    if match is None:
        raise ValidationError("account must look like @user@server.example")
    return match.group(1), match.group(2).lower()


def webfinger_url(user: str, host: str, scheme: str = "https") -> str:
    return f"{scheme}://{host}/.well-known/webfinger?resource=acct:{user}@{host}"


def actor_from_webfinger(document: Any) -> str:
    """The ActivityPub actor IRI of a WebFinger (JRD) document: its ``self`` link of an
    ActivityPub type; ``ValidationError`` when there is none."""
    links = document.get("links") if isinstance(document, dict) else None
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        kind, href = str(link.get("type") or ""), link.get("href")
        if ("activity+json" in kind or "ld+json" in kind) and isinstance(href, str) and \
                href.startswith(("http://", "https://")):
            return href
    raise ValidationError("that account has no ActivityPub actor")


def otp_message(server_name: str, code: str) -> str:
    """The direct message carrying a code (Owncast's text, with its ``<If>`` typo fixed to ``<p>``)."""
    return (f"<p>This is an automated message from {_escape(server_name)}. If you did not request this message "
            f"please ignore or block. Your requested one-time code is:</p><p>{code}</p>")


def authenticated_as(previous_name: str, name: str) -> str:
    """The chat action shown when a token moves to an existing authenticated user."""
    return f"**{previous_name}** is now authenticated as **{name}**"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
