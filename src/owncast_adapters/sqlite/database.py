"""The SQLite database: one file, WAL mode, one writer thread, migrations and online backups."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from owncast_adapters.sqlite.migrations import MIGRATIONS, Migration
from owncast_core.errors import StorageError

T = TypeVar("T")

BACKUP_NAME = "owncast-backup.db"


class Database:
    """An SQLite file used by every SQLite repository.

    All statements run on one dedicated worker thread (``run``), never on the event loop, which
    also makes this process the single writer. The file is opened in WAL mode with
    ``synchronous=NORMAL``. ``open`` applies pending migrations, each in its own transaction,
    after taking a backup of an existing database. ``backup`` copies the live database through
    SQLite's online backup API into ``backup_dir`` and replaces the previous backup atomically
    (temp file, fsync, rename), so a crash mid-backup never leaves a corrupt backup behind.
    Errors from sqlite are raised as ``StorageError``.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        backup_dir: str | Path | None = None,
        migrations: tuple[Migration, ...] = MIGRATIONS,
        logger: logging.Logger | None = None,
    ) -> None:
        self.path = Path(path)
        self.backup_dir = Path(backup_dir) if backup_dir else self.path.parent / "backup"
        self._migrations = migrations
        self._log = logger or logging.getLogger("owncast.database")
        self._executor: ThreadPoolExecutor | None = None
        self._db: sqlite_utils.Database | None = None

    async def open(self) -> None:
        """Open (creating it if needed) and migrate. Idempotent."""
        if self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        try:
            await self._call(self._open_sync)
        except BaseException:
            self._executor.shutdown(wait=True)
            self._executor = None
            raise

    async def close(self) -> None:
        """Checkpoint and close; further calls to ``run`` raise ``StorageError``."""
        if self._executor is None:
            return
        try:
            await self._call(self._close_sync)
        finally:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run ``fn(db)`` on the database thread and return its result."""
        if self._executor is None or self._db is None:
            raise StorageError("the database is not open")
        db = self._db
        return await self._call(lambda: fn(db))

    async def backup(self, name: str = BACKUP_NAME) -> Path:
        """Write a consistent copy to ``backup_dir/<name>`` (default ``owncast-backup.db``, the
        hourly one) atomically; return its path. ``name`` is a plain file name."""
        if not name or Path(name).name != name:
            raise ValueError(f"backup name must be a plain file name, not {name!r}")
        return await self._call(lambda: self._backup_sync(name))

    async def _call(self, fn: Callable[[], T]) -> T:
        if self._executor is None:
            raise StorageError("the database is not open")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn)
        except sqlite3.Error as exc:
            raise StorageError(f"database error: {exc}") from exc

    # worker-thread side --------------------------------------------------------------------------
    def _open_sync(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists() and self.path.stat().st_size > 0
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
        self._db = sqlite_utils.Database(conn)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        pending = [m for m in self._migrations if m.version > version]
        if pending and existed:
            self._log.info("backing up the database before migrating from version %d", version)
            self._backup_sync()
        for migration in sorted(pending, key=lambda m: m.version):
            self._log.info("database migration %d: %s", migration.version, migration.name)
            with conn:
                conn.execute("BEGIN")
                migration.apply(self._db)
                conn.execute(f"PRAGMA user_version = {int(migration.version)}")

    def _close_sync(self) -> None:
        if self._db is not None:
            conn = self._db.conn
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
            self._db = None

    def _backup_sync(self, name: str = BACKUP_NAME) -> Path:
        if self._db is None:
            raise StorageError("the database is not open")
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        final = self.backup_dir / name
        tmp = self.backup_dir / (name + ".tmp")
        if tmp.exists():
            tmp.unlink()
        target = sqlite3.connect(tmp)
        try:
            self._db.conn.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        dir_fd = os.open(self.backup_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return final


_SHM_DEAD_MAN_SWITCH = 128
"""Byte of the ``-shm`` file every open WAL connection holds a shared POSIX lock on (SQLite's
unix VFS, ``UNIX_SHM_DMS``)."""


def in_use_by_another_process(path: str | Path) -> bool:
    """True when another process has the SQLite database at ``path`` open in WAL mode (as a
    running owncast-py server does): that process holds a shared lock on the dead-man-switch
    byte of ``<path>-shm``, so an exclusive lock on it cannot be taken. False when there is no
    ``-shm`` file or the lock is free (it is released at once). POSIX locks are per process:
    a connection of this same process is not detected."""
    shm = Path(f"{path}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot even open it: assume someone else owns it
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DEAD_MAN_SWITCH)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DEAD_MAN_SWITCH)
        return False
    finally:
        os.close(fd)
