"""Named admin accounts and the audit trail (ours; Owncast has one admin):
``/api/admin/accounts`` (list), ``/create``, ``/delete``, ``/password``, ``/role``, and
``/api/admin/audit``; plus ``/api/admin/me`` (who is signed in, with which role) and
``/api/admin/me/password`` (a named account changes its own password, whatever its role).

Bodies are JSON objects; a broken body, a missing field or a rule broken answers 400
``{"success": false, "message": ...}``. Replies never carry a password hash. Which role may use
which route is ``web/admin_roles.py``'s table: of these, only ``/api/admin/me`` and
``/api/admin/me/password`` are open to a moderator.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.admin_accounts import AdminIdentity, AdminRole, normalize_username
from owncast_core.errors import NotFoundError, PermissionDenied, ValidationError
from owncast_core.services.admin_accounts import AdminAccounts
from owncast_core.services.admin_audit import AdminAuditTrail
from owncast_core.services.config import ConfigService
from owncast_runners.web.auth import note_change, require_admin
from owncast_runners.web.chat_api import json_body
from owncast_runners.web.responses import NO_CACHE, json_response, simple


async def _fields(request: Request, *names: str) -> dict[str, Any] | Response:
    """The posted object with every one of ``names``; else the 400 to send."""
    if request.method != "POST":
        return simple(False, f"{request.method} not supported")
    body = await json_body(request)
    expected = " and ".join(names)
    if not isinstance(body, dict):
        return simple(False, f"request body must be a JSON object with {expected}")
    for name in names:
        if body.get(name) is None:
            return simple(False, f"{name} field is required")
    return body


def identity_routes(*, config: ConfigService) -> list[BaseRoute]:
    """``GET /api/admin/me`` -> ``{username, role}`` of the signed-in admin (mounted whether or
    not the app has named accounts: the admin app asks it before it shows its pages)."""

    @require_admin(config)
    async def me(request: Request) -> Response:
        identity: AdminIdentity = request.state.admin_identity
        return json_response(identity.to_json(), headers=NO_CACHE)

    return [Route("/api/admin/me", me, methods=["GET"])]


def routes(*, accounts: AdminAccounts, audit: AdminAuditTrail, config: ConfigService) -> list[BaseRoute]:
    """The account and audit routes. ``create`` takes an optional ``role`` (``admin`` when
    absent, as before roles existed); ``role`` changes an account's role."""
    guard = require_admin(config)

    @guard
    async def listing(request: Request) -> Response:
        return json_response([account.to_json() for account in await accounts.accounts()])

    @guard
    async def create(request: Request) -> Response:
        body = await _fields(request, "username", "password")
        if isinstance(body, Response):
            return body
        try:
            role = body.get("role")  # absent or null: admin, as before roles
            account = await accounts.create(body["username"], body["password"],
                                            AdminRole.ADMIN if role is None else role)
        except ValidationError as exc:
            return simple(False, str(exc))
        done = f"{account.role.value} account {account.username} created"
        note_change(request, done)
        return simple(True, done)

    @guard
    async def delete(request: Request) -> Response:
        body = await _fields(request, "username")
        if isinstance(body, Response):
            return body
        try:
            await accounts.delete(body["username"], acting_admin=request.state.admin)
        except (ValidationError, PermissionDenied, NotFoundError) as exc:
            return simple(False, str(exc))
        note_change(request, f"account {normalize_username(body['username'])} deleted")  # valid: it was found
        return simple(True, "admin account deleted")

    @guard
    async def password(request: Request) -> Response:
        body = await _fields(request, "username", "password")
        if isinstance(body, Response):
            return body
        try:
            await accounts.set_password(body["username"], body["password"])
        except (ValidationError, NotFoundError) as exc:
            return simple(False, str(exc))
        note_change(request, f"password of {normalize_username(body['username'])} changed")
        return simple(True, "password changed")

    @guard
    async def own_password(request: Request) -> Response:
        """``{"password": new}``: the signed-in account's own new password (the Basic credentials
        just checked prove it knows the current one). The built-in admin's is ``adminpass``."""
        body = await _fields(request, "password")
        if isinstance(body, Response):
            return body
        identity: AdminIdentity = request.state.admin_identity
        try:
            await accounts.set_password(identity.name, body["password"])
        except (ValidationError, NotFoundError) as exc:
            return simple(False, str(exc))
        note_change(request, "own password changed")
        return simple(True, "your password was changed: sign in with the new one")

    @guard
    async def role(request: Request) -> Response:
        body = await _fields(request, "username", "role")
        if isinstance(body, Response):
            return body
        try:
            account = await accounts.set_role(body["username"], body["role"])
        except (ValidationError, NotFoundError) as exc:
            return simple(False, str(exc))
        done = f"{account.username} is now {account.role.value}"
        note_change(request, done)
        return simple(True, done)

    @guard
    async def audit_trail(request: Request) -> Response:
        return json_response([entry.to_json() for entry in audit.entries()])

    return [
        Route("/api/admin/accounts", listing, methods=["GET"]),
        Route("/api/admin/accounts/create", create, methods=["GET", "POST"]),
        Route("/api/admin/accounts/delete", delete, methods=["GET", "POST"]),
        Route("/api/admin/accounts/password", password, methods=["GET", "POST"]),
        Route("/api/admin/accounts/role", role, methods=["GET", "POST"]),
        Route("/api/admin/me/password", own_password, methods=["GET", "POST"]),
        Route("/api/admin/audit", audit_trail, methods=["GET"]),
    ]
