"""Admin identities: the built-in ``admin`` (Owncast's only one) and named admin accounts.

Pure rules only: what a valid account name, password and role are, the stored account, who a
request is signed in as, and one entry of the audit trail. The services that use them are ``services/admin_accounts.py``
(credentials, accounts), ``services/admin_audit.py`` and ``services/login_throttle.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from owncast_core.domain.timefmt import go_time
from owncast_core.errors import ValidationError

BUILTIN_ADMIN: Final = "admin"
"""Owncast's one admin user name; its password is the admin password (``adminpass``)."""

MIN_PASSWORD_LENGTH: Final = 8
MAX_PASSWORD_LENGTH: Final = 72  # bcrypt reads no further: a longer one would be silently cut
_USERNAME: Final = re.compile(r"[a-z0-9_.-]{1,32}")


def normalize_username(raw: object) -> str:
    """The account name ``raw`` stands for (names are case-insensitive: lower-cased).

    Raises ``ValidationError`` unless it is a string of 1-32 characters of ``a-z 0-9 _ . -``
    (any case), and for the reserved name ``admin``.
    """
    if not isinstance(raw, str):
        raise ValidationError("username must be a string")
    name = raw.lower()
    if not _USERNAME.fullmatch(name):
        raise ValidationError("username must be 1-32 characters of a-z, 0-9, '_', '.' or '-'")
    if name == BUILTIN_ADMIN:
        raise ValidationError("the username admin is reserved for the built-in admin")
    return name


class AdminRole(StrEnum):
    """What a signed-in admin may do.

    - ``ADMIN``: everything (the built-in ``admin`` always; accounts made before roles existed).
    - ``MODERATOR``: the dashboard and chat moderation only; which admin routes those are is
      declared in one table of the web runner (``owncast_runners/web/admin_roles.py``), and every
      other admin route refuses a moderator.
    """

    ADMIN = "admin"
    MODERATOR = "moderator"


def parse_role(raw: object) -> AdminRole:
    """The role ``raw`` names (exactly ``admin`` or ``moderator``); else ``ValidationError``."""
    if isinstance(raw, str):
        for role in AdminRole:
            if raw == role.value:
                return role
    names = " or ".join(role.value for role in AdminRole)
    raise ValidationError(f"role must be {names}")


def check_new_password(password: object) -> str:
    """``password`` if it may be set on an account; else ``ValidationError`` saying why."""
    if not isinstance(password, str):
        raise ValidationError("password must be a string")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password.encode()) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"password must be at most {MAX_PASSWORD_LENGTH} bytes long")
    return password


@dataclass(frozen=True, slots=True)
class AdminAccount:
    """A named admin account. ``username`` is normalized (``normalize_username``)."""

    username: str
    password_hash: str
    created_at: datetime
    last_login_at: datetime | None = None
    role: AdminRole = AdminRole.ADMIN

    def to_json(self) -> dict[str, str | None]:
        """The public view (``GET /api/admin/accounts``): never the hash."""
        return {"username": self.username, "role": self.role.value, "createdAt": go_time(self.created_at),
                "lastLoginAt": go_time(self.last_login_at)}


@dataclass(frozen=True, slots=True)
class AdminIdentity:
    """Who an admin request is signed in as: ``name`` (``admin`` or an account's normalized
    name) and the ``role`` it had when its credentials were checked."""

    name: str
    role: AdminRole

    @property
    def is_admin(self) -> bool:
        return self.role is AdminRole.ADMIN

    def to_json(self) -> dict[str, str]:
        """``GET /api/admin/me``: what the admin app shows and which pages it offers."""
        return {"username": self.name, "role": self.role.value}


BUILTIN_IDENTITY: Final = AdminIdentity(BUILTIN_ADMIN, AdminRole.ADMIN)
"""The built-in ``admin``: always an admin."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One successful state-changing admin request, or one refused for the admin's role
    (``status`` 403): who, what (method and path, never the body), the HTTP status it got, and
    ``detail``: what the route itself says it changed, in words it chose to be safe to keep
    (``"zoe is now admin"``; never a password or key), ``""`` when it says nothing."""

    time: datetime
    admin: str
    method: str
    path: str
    status: int
    detail: str = ""

    def to_json(self) -> dict[str, str | int | None]:
        return {"time": go_time(self.time), "admin": self.admin, "method": self.method, "path": self.path,
                "status": self.status, "detail": self.detail}
