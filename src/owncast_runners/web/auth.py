"""Admin authentication: HTTP Basic ``admin:<password>`` as Owncast (§1.1)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from owncast_core.services.config import ConfigService

ADMIN_USER = "admin"
REALM = 'Basic realm="Owncast Authenticated Request"'

Endpoint = Callable[[Request], Awaitable[Response]]


def unauthorized() -> Response:
    return PlainTextResponse("Unauthorized", status_code=401, headers={"WWW-Authenticate": REALM})


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


async def is_admin(request: Request, config: ConfigService) -> bool:
    """True for valid admin Basic credentials (user compared in constant time; the password
    hash check runs in a worker thread because bcrypt is slow by design)."""
    creds = basic_credentials(request.headers.get("authorization"))
    if creds is None:
        return False
    user_ok = hmac.compare_digest(creds[0].encode(), ADMIN_USER.encode())
    password_ok = await asyncio.to_thread(config.verify_admin_password, creds[1])
    return user_ok and password_ok


def require_admin(config: ConfigService) -> Callable[[Endpoint], Endpoint]:
    """Decorator for endpoints that need the admin: 401 with Owncast's realm otherwise."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            if not await is_admin(request, config):
                return unauthorized()
            return await endpoint(request)

        return guarded

    return wrap
