"""Where named admin accounts are kept (the built-in ``admin`` is not one of them)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from owncast_core.domain.admin_accounts import AdminAccount, AdminRole


class AdminAccountRepository(Protocol):
    """Named admin accounts, keyed by their normalized (lower-case) username.

    Contract (``owncast_core.testing.contracts.admin_accounts.AdminAccountRepositoryContract``):
    - ``create`` stores a new account as given; raises ``ValidationError`` when an account of that
      name exists already (names compare case-insensitively), changing nothing.
    - ``get`` returns the account, or ``None`` when there is none (absence is an answer here, not a
      failure: the login path asks about names that do not exist all the time).
    - ``list`` returns every account, ordered by username.
    - ``delete`` removes an account and returns ``True``, or ``False`` when there was none.
    - ``set_password_hash`` replaces the hash; ``record_login`` sets ``last_login_at``;
      ``set_role`` replaces the role. Each changes that one field only and raises
      ``NotFoundError`` for an unknown account.
    - The role comes back as stored (an ``AdminRole``). Accounts stored before roles existed
      read back as ``AdminRole.ADMIN``; a stored role this version does not know raises
      ``StorageError`` (never read as some other role).
    - Times come back equal to what was stored (aware UTC, microseconds kept). Everything survives
      reopening the same store (persistent adapters); calls from many tasks are safe. Failures of
      the store raise ``StorageError``.
    """

    async def create(self, account: AdminAccount) -> None: ...

    async def get(self, username: str) -> AdminAccount | None: ...

    async def list(self) -> builtins.list[AdminAccount]: ...

    async def delete(self, username: str) -> bool: ...

    async def set_password_hash(self, username: str, password_hash: str) -> None: ...

    async def record_login(self, username: str, at: datetime) -> None: ...

    async def set_role(self, username: str, role: AdminRole) -> None: ...
