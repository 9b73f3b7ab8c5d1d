"""Admin authentication: HTTP Basic as Owncast (§1.1), for the built-in ``admin`` and named accounts.

``create_app`` installs one ``AdminGate`` on ``app.state.admin_gate``; ``require_admin`` guards an
endpoint with it, so every admin route gets, with no change of its own: the credential check
(``AdminAccounts.authenticate``), the failed-login throttle (429), ``request.state.admin`` (the
signed-in admin's name) and the audit trail of successful POST/PUT/DELETE under ``/api/admin/``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from owncast_core.domain.admin_accounts import BUILTIN_ADMIN
from owncast_core.domain.geo import is_local_address
from owncast_core.services.admin_audit import AdminAuditTrail
from owncast_core.services.config import ConfigService
from owncast_core.services.login_throttle import LoginThrottle

ADMIN_USER = BUILTIN_ADMIN
REALM = 'Basic realm="Owncast Authenticated Request"'
AUDITED_METHODS: Final = frozenset({"POST", "PUT", "DELETE"})
AUDITED_PREFIX: Final = "/api/admin/"

Endpoint = Callable[[Request], Awaitable[Response]]
Authenticate = Callable[[str, str], Awaitable[str | None]]
"""``(user, password) -> the admin's name, or None``."""


def unauthorized() -> Response:
    return PlainTextResponse("Unauthorized", status_code=401, headers={"WWW-Authenticate": REALM})


def too_many_attempts(retry_after: float) -> Response:
    return PlainTextResponse("Too many failed logins: try again later", status_code=429,
                             headers={"Retry-After": str(round(retry_after))})


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """Decode an ``Authorization: Basic`` header into (user, password); ``None`` if malformed."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def builtin_admin(config: ConfigService) -> Authenticate:
    """Owncast's check alone: user ``admin`` (constant time) and the admin password (bcrypt, in a
    worker thread)."""

    async def authenticate(user: str, password: str) -> str | None:
        user_ok = hmac.compare_digest(user.encode(), ADMIN_USER.encode())
        password_ok = await asyncio.to_thread(config.verify_admin_password, password)
        return ADMIN_USER if user_ok and password_ok else None

    return authenticate


async def is_admin(request: Request, config: ConfigService) -> bool:
    """True for valid built-in admin Basic credentials (no throttle, no named accounts)."""
    creds = basic_credentials(request.headers.get("authorization"))
    return creds is not None and await builtin_admin(config)(*creds) is not None


def throttle_address(request: Request) -> str:
    """The address failed logins are counted against: the socket peer, or, when the peer is a
    loopback/private address (a reverse proxy), the last ``X-Forwarded-For`` hop (the one that
    proxy added: the first ones are whatever the client sent, so they cannot be trusted here)."""
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and is_local_address(peer):
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return peer


class AdminGate:
    """Lets admin requests in: throttle, credentials, then the endpoint, then the audit.

    - An address locked by the ``throttle`` gets 429 with ``Retry-After`` (credentials unchecked).
    - Credentials that are missing get Owncast's 401 (``WWW-Authenticate`` realm, body
      ``Unauthorized``) and do not count as a failed login (a browser's first request has none);
      wrong or malformed ones get the same 401 and count.
    - Otherwise ``request.state.admin`` is the admin's name, and a POST/PUT/DELETE under
      ``/api/admin/`` that answers below 400 is recorded in ``audit`` (method and path only).
    """

    def __init__(self, *, authenticate: Authenticate, throttle: LoginThrottle, audit: AdminAuditTrail) -> None:
        self._authenticate = authenticate
        self.throttle = throttle
        self.audit = audit

    async def handle(self, request: Request, endpoint: Endpoint) -> Response:
        address = throttle_address(request)
        if self.throttle.locked(address):
            return too_many_attempts(self.throttle.retry_after(address))
        header = request.headers.get("authorization")
        creds = basic_credentials(header)
        admin = await self._authenticate(*creds) if creds is not None else None
        if admin is None:
            if header:
                self.throttle.failed(address)
            return unauthorized()
        self.throttle.succeeded(address)
        request.state.admin = admin
        response = await endpoint(request)
        if (request.method in AUDITED_METHODS and request.url.path.startswith(AUDITED_PREFIX)
                and response.status_code < 400):
            self.audit.record(admin=admin, method=request.method, path=request.url.path,
                              status=response.status_code)
        return response


def require_admin(config: ConfigService) -> Callable[[Endpoint], Endpoint]:
    """Decorator for endpoints that need an admin: the app's ``AdminGate`` decides. Mounted in
    an app without one, only the built-in admin is let in (no throttle, no audit)."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            gate = getattr(request.app.state, "admin_gate", None)
            if isinstance(gate, AdminGate):
                return await gate.handle(request, endpoint)
            if not await is_admin(request, config):
                return unauthorized()
            request.state.admin = ADMIN_USER
            return await endpoint(request)

        return guarded

    return wrap
