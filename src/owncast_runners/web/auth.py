"""Admin authentication: HTTP Basic as Owncast (§1.1), for the built-in ``admin`` and named accounts.

``create_app`` installs one ``AdminGate`` on ``app.state.admin_gate``; ``require_admin`` guards an
endpoint with it, so every admin route gets, with no change of its own: the credential check
(``AdminAccounts.authenticate``), the failed-login throttle (429), the role check (403 for a
route the admin's role may not use: ``web/admin_roles.py``, default deny),
``request.state.admin`` (the signed-in admin's name), ``request.state.admin_identity`` (name and
role) and the audit trail of successful POST/PUT/DELETE under ``/api/admin/`` and of every
request refused for its role.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from owncast_core.domain.admin_accounts import BUILTIN_ADMIN, BUILTIN_IDENTITY, AdminIdentity
from owncast_core.domain.geo import is_local_address
from owncast_core.services.admin_audit import AdminAuditTrail
from owncast_core.services.config import ConfigService
from owncast_core.services.login_throttle import LoginThrottle
from owncast_runners.web.admin_roles import permits, refusal_message

ADMIN_USER = BUILTIN_ADMIN
REALM = 'Basic realm="Owncast Authenticated Request"'
AUDITED_METHODS: Final = frozenset({"POST", "PUT", "DELETE"})
AUDITED_PREFIX: Final = "/api/admin/"
_GUARD_MARK: Final = "__owncast_requires_admin__"
AUDIT_DETAIL: Final = "audit_detail"
"""An endpoint sets ``request.state.audit_detail`` to say, safely, what it changed (see
``AdminAuditTrail``); ``note_change`` does it."""


def note_change(request: Request, detail: str) -> None:
    """Tell the audit trail what this admin request changed (words safe to keep: never a
    password or key)."""
    setattr(request.state, AUDIT_DETAIL, detail)

Endpoint = Callable[[Request], Awaitable[Response]]
Authenticate = Callable[[str, str], Awaitable[AdminIdentity | None]]
"""``(user, password) -> who signed in (name and role), or None``."""


def unauthorized() -> Response:
    return PlainTextResponse("Unauthorized", status_code=401, headers={"WWW-Authenticate": REALM})


def role_denied(message: str) -> Response:
    """403 in the admin API's error shape: the credentials were right (so not 401, and no
    ``WWW-Authenticate``: a browser must not ask for other credentials), the role is not enough."""
    return JSONResponse({"success": False, "message": message}, status_code=403)


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
    except ValueError:  # not base64 (binascii.Error; a non-ASCII header: ValueError), not UTF-8
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def builtin_admin(config: ConfigService) -> Authenticate:
    """Owncast's check alone: user ``admin`` (constant time) and the admin password (bcrypt, in a
    worker thread)."""

    async def authenticate(user: str, password: str) -> AdminIdentity | None:
        user_ok = hmac.compare_digest(user.encode(), ADMIN_USER.encode())
        password_ok = await asyncio.to_thread(config.verify_admin_password, password)
        return BUILTIN_IDENTITY if user_ok and password_ok else None

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


def matched_route_path(request: Request) -> str | None:
    """The path template of the route the router matched for ``request`` (``/admin/{path:path}``,
    not ``/admin/js/main.js``), or ``None`` when the endpoint was not reached through a route."""
    path = getattr(request.scope.get("route"), "path", None)
    return path if isinstance(path, str) else None


class AdminGate:
    """Lets admin requests in: throttle, credentials, role, then the endpoint, then the audit.

    - An address locked by the ``throttle`` gets 429 with ``Retry-After`` (credentials unchecked).
    - Credentials that are missing get Owncast's 401 (``WWW-Authenticate`` realm, body
      ``Unauthorized``) and do not count as a failed login (a browser's first request has none);
      wrong or malformed ones get the same 401 and count.
    - Right credentials whose role may not use the matched route (``admin_roles.permits``) get 403
      ``{"success": false, "message": "... requires the admin role ..."}``; the endpoint does not
      run, and the refusal is recorded in ``audit`` (``record_denied``, whatever the method).
    - Otherwise ``request.state.admin`` is the admin's name and ``request.state.admin_identity``
      their ``AdminIdentity``, and a POST/PUT/DELETE under ``/api/admin/`` that answers below 400
      is recorded in ``audit`` (method and path only).
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
        identity = await self._authenticate(*creds) if creds is not None else None
        if identity is None:
            if header:
                self.throttle.failed(address)
            return unauthorized()
        self.throttle.succeeded(address)
        route_path = matched_route_path(request)
        if not permits(identity.role, route_path):
            message = refusal_message(identity.role, route_path)
            self.audit.record_denied(admin=identity.name, method=request.method, path=request.url.path,
                                     reason=message)
            return role_denied(message)
        request.state.admin = identity.name
        request.state.admin_identity = identity
        response = await endpoint(request)
        if (request.method in AUDITED_METHODS and request.url.path.startswith(AUDITED_PREFIX)
                and response.status_code < 400):
            detail = getattr(request.state, AUDIT_DETAIL, "")
            self.audit.record(admin=identity.name, method=request.method, path=request.url.path,
                              status=response.status_code, detail=detail if isinstance(detail, str) else "")
        return response


def require_admin(config: ConfigService) -> Callable[[Endpoint], Endpoint]:
    """Decorator for endpoints that need an admin: the app's ``AdminGate`` decides (which roles
    may use the route is ``web/admin_roles.py``'s table, not this decorator's). Mounted in an app
    without a gate, only the built-in admin is let in (no throttle, no audit)."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            gate = getattr(request.app.state, "admin_gate", None)
            if isinstance(gate, AdminGate):
                return await gate.handle(request, endpoint)
            if not await is_admin(request, config):
                return unauthorized()
            request.state.admin = ADMIN_USER
            request.state.admin_identity = BUILTIN_IDENTITY
            return await endpoint(request)

        setattr(guarded, _GUARD_MARK, True)
        return guarded

    return wrap


def requires_admin(endpoint: object) -> bool:
    """True for an endpoint wrapped by ``require_admin`` (how tests find every admin route)."""
    return getattr(endpoint, _GUARD_MARK, False) is True
