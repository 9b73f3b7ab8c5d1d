"""``AdminAccountRepository`` on SQLite (table ``admin_accounts``, names ``COLLATE NOCASE``, the
role as its text value)."""

from __future__ import annotations

import builtins
import sqlite3
from datetime import datetime
from typing import Any

import sqlite_utils

from owncast_adapters.sqlite.admin_schema import text_time, time_text
from owncast_adapters.sqlite.database import Database
from owncast_core.domain.admin_accounts import AdminAccount, AdminRole, parse_role
from owncast_core.errors import NotFoundError, StorageError, ValidationError

_SELECT = "SELECT username, password_hash, created_at, last_login_at, role FROM admin_accounts"


def _account(row: tuple[Any, ...]) -> AdminAccount:
    username, password_hash, created_at, last_login_at, role = row
    created = text_time(str(created_at))
    assert created is not None
    try:
        known = parse_role(role)
    except ValidationError as exc:  # written by another version, or by hand: never guessed
        raise StorageError(f"admin account {username} has an unknown role {role!r}") from exc
    return AdminAccount(username=str(username), password_hash=str(password_hash), created_at=created,
                        last_login_at=text_time(last_login_at), role=known)


class SqliteAdminAccountRepository:
    """Implements ``owncast_core.ports.admin_accounts.AdminAccountRepository`` (see its contract)."""

    def __init__(self, *, database: Database) -> None:
        self._database = database

    async def create(self, account: AdminAccount) -> None:
        def insert(db: sqlite_utils.Database) -> None:
            try:
                with db.conn:
                    db.conn.execute(
                        "INSERT INTO admin_accounts (username, password_hash, created_at, last_login_at, role) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [account.username, account.password_hash, time_text(account.created_at),
                         time_text(account.last_login_at) if account.last_login_at else None,
                         AdminRole(account.role).value],
                    )
            except sqlite3.IntegrityError as exc:
                raise ValidationError(f"an admin account named {account.username} exists already") from exc

        await self._database.run(insert)

    async def get(self, username: str) -> AdminAccount | None:
        row = await self._database.run(
            lambda db: db.execute(_SELECT + " WHERE username = ?", [username]).fetchone())
        return None if row is None else _account(row)

    async def list(self) -> builtins.list[AdminAccount]:
        rows = await self._database.run(lambda db: db.execute(_SELECT + " ORDER BY username").fetchall())
        return [_account(row) for row in rows]

    async def delete(self, username: str) -> bool:
        def remove(db: sqlite_utils.Database) -> int:
            with db.conn:
                return int(db.conn.execute("DELETE FROM admin_accounts WHERE username = ?", [username]).rowcount)

        return await self._database.run(remove) > 0

    async def set_password_hash(self, username: str, password_hash: str) -> None:
        await self._update(username, "password_hash", password_hash)

    async def record_login(self, username: str, at: datetime) -> None:
        await self._update(username, "last_login_at", time_text(at))

    async def set_role(self, username: str, role: AdminRole) -> None:
        await self._update(username, "role", AdminRole(role).value)

    async def _update(self, username: str, column: str, value: str) -> None:
        def update(db: sqlite_utils.Database) -> int:
            with db.conn:
                return int(db.conn.execute(
                    f"UPDATE admin_accounts SET {column} = ? WHERE username = ?",  # noqa: S608 - fixed names
                    [value, username]).rowcount)

        if await self._database.run(update) == 0:
            raise NotFoundError(f"no admin account {username}")
