"""AdminAccounts: who may use the admin API (the built-in ``admin`` and named accounts), and in
which role."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from datetime import timedelta
from typing import Final

from owncast_core.domain.admin_accounts import (
    BUILTIN_ADMIN,
    BUILTIN_IDENTITY,
    AdminAccount,
    AdminIdentity,
    AdminRole,
    check_new_password,
    normalize_username,
    parse_role,
)
from owncast_core.errors import NotFoundError, PermissionDenied, ValidationError
from owncast_core.ports.admin_accounts import AdminAccountRepository
from owncast_core.ports.auth import PasswordHasher
from owncast_core.ports.clock import Clock
from owncast_core.services.config import ConfigService

LOGIN_RECORD_INTERVAL: Final = timedelta(minutes=1)
"""``last_login_at`` is written at most this often (the admin UI authenticates every request)."""


class AdminAccounts:
    """Checks admin credentials and manages the named accounts.

    The built-in ``admin`` is Owncast's: its password is the config's admin password (``adminpass``,
    the ``--admin-password`` flag) and its name is compared exactly, in constant time. Every other
    name is a named account from the repository (case-insensitive). ``authenticate`` costs one
    password-hash check whatever the name: for a name with no account it checks against a dummy
    hash, so its timing does not tell which names exist. Hash checks run in a worker thread
    (bcrypt is slow by design). Validation failures raise ``ValidationError`` with a message fit
    for the user; unknown accounts ``NotFoundError``; a forbidden delete ``PermissionDenied``.

    Roles (``AdminRole``): the built-in ``admin`` is always ``ADMIN``; an account has the role it
    was created with or last given (``set_role``), read afresh at every ``authenticate``, so a
    change applies to the account's next request. What a role may do is the web runner's
    business (``owncast_runners/web/admin_roles.py``); this service only stores and reports it.
    """

    def __init__(self, *, repository: AdminAccountRepository, config: ConfigService, hasher: PasswordHasher,
                 clock: Clock) -> None:
        self._repository = repository
        self._config = config
        self._hasher = hasher
        self._clock = clock
        self._dummy_hash: str | None = None

    async def authenticate(self, username: str, password: str) -> AdminIdentity | None:
        """Who signs in (``admin`` or the account's normalized name, and its role) when
        ``password`` is theirs, else ``None``; the answer never says which of the two was wrong.
        A successful account login updates its ``last_login_at``."""
        dummy = await self._dummy()
        if hmac.compare_digest(username.encode(), BUILTIN_ADMIN.encode()):
            ok = await asyncio.to_thread(self._config.verify_admin_password, password)
            return BUILTIN_IDENTITY if ok else None
        account = await self._lookup(username)
        hashed = account.password_hash if account is not None else dummy
        ok = await asyncio.to_thread(self._hasher.verify, password, hashed)
        if account is None or not ok:
            return None
        now = self._clock.now()
        if account.last_login_at is None or now - account.last_login_at >= LOGIN_RECORD_INTERVAL:
            try:
                await self._repository.record_login(account.username, now)
            except NotFoundError:  # deleted meanwhile: this request still passed the check
                pass
        return AdminIdentity(account.username, account.role)

    async def accounts(self) -> list[AdminAccount]:
        """Every named account, ordered by name (the built-in ``admin`` is not one)."""
        return await self._repository.list()

    async def create(self, username: object, password: object, role: object = AdminRole.ADMIN) -> AdminAccount:
        """Add an account with ``role`` (``admin`` unless told: what every account was before
        roles, so existing scripts keep making full admins); ``ValidationError`` for a bad or
        taken name, a short password or an unknown role."""
        name = normalize_username(username)
        secret = check_new_password(password)
        given_role = parse_role(role)
        if await self._repository.get(name) is not None:
            raise ValidationError(f"an admin account named {name} exists already")
        account = AdminAccount(username=name, password_hash=await asyncio.to_thread(self._hasher.hash, secret),
                               created_at=self._clock.now(), role=given_role)
        await self._repository.create(account)
        return account

    async def set_role(self, username: object, role: object) -> AdminAccount:
        """Give an account another role and return it as now stored. The built-in ``admin`` is
        always an admin (``ValidationError``); an account may be given any role, its own included
        (the built-in admin remains, so nobody is locked out)."""
        if isinstance(username, str) and username.lower() == BUILTIN_ADMIN:
            raise ValidationError("the built-in admin is always an admin: its role cannot be changed")
        name = normalize_username(username)
        new_role = parse_role(role)
        try:
            await self._repository.set_role(name, new_role)
        except NotFoundError as exc:
            raise NotFoundError(f"no admin account named {name}") from exc
        account = await self._repository.get(name)
        if account is None:  # deleted between the two calls
            raise NotFoundError(f"no admin account named {name}")
        return account

    async def delete(self, username: object, *, acting_admin: str) -> None:
        """Remove an account. The built-in ``admin`` cannot be removed, nor the account
        ``acting_admin`` is signed in with (``PermissionDenied``)."""
        if isinstance(username, str) and username.lower() == BUILTIN_ADMIN:
            raise PermissionDenied("the built-in admin cannot be deleted")
        name = normalize_username(username)
        if name == acting_admin.lower():
            raise PermissionDenied("you cannot delete the account you are signed in with")
        if not await self._repository.delete(name):
            raise NotFoundError(f"no admin account named {name}")

    async def set_password(self, username: object, password: object) -> None:
        """Give an account a new password (the built-in admin's is set with ``adminpass``)."""
        if isinstance(username, str) and username.lower() == BUILTIN_ADMIN:
            raise ValidationError("the built-in admin's password is changed with /api/admin/config/adminpass")
        name = normalize_username(username)
        secret = check_new_password(password)
        if await self._repository.get(name) is None:
            raise NotFoundError(f"no admin account named {name}")
        await self._repository.set_password_hash(name, await asyncio.to_thread(self._hasher.hash, secret))

    async def _lookup(self, username: str) -> AdminAccount | None:
        try:
            name = normalize_username(username)
        except ValidationError:
            return None  # not a possible account name ("Admin" included): like an unknown one
        return await self._repository.get(name)

    async def _dummy(self) -> str:
        """A hash of a random password, made once, for names that have no account."""
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
        return self._dummy_hash
