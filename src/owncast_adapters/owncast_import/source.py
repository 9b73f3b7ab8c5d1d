"""``LegacyOwncastSource`` over a Go Owncast v0.2 data directory: its SQLite file, opened
read-only, plus the logo and custom emoji files beside it."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path, PurePath
from typing import Any, TypeVar
from urllib.parse import quote

from owncast_adapters.owncast_import.gob import GobError, GobOpaque, decode_go_time, decode_gob
from owncast_adapters.sqlite.database import in_use_by_another_process
from owncast_core.domain.activitypub import FederatedAction, Follower
from owncast_core.domain.chat import ChatRecord, ChatUser, IPBan
from owncast_core.domain.notifications import NotificationDestination
from owncast_core.domain.owncast_import import (
    Extract,
    LegacyAccessToken,
    LegacyConfigEntry,
    LegacyFile,
    LegacyWebhook,
)
from owncast_core.errors import ImportSourceError

T = TypeVar("T")

DATASTORE_TABLES = ("datastore", "Store")
"""Where Owncast keeps its settings (``datastore`` in v0.1/v0.2, ``Store`` in later builds)."""

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest logo or emoji file copied."""


def locate_database(path: Path) -> Path:
    """The Owncast database for ``path``: the file itself, or ``<dir>/data/owncast.db`` or
    ``<dir>/owncast.db``. Raises ``ImportSourceError`` when there is none."""
    if path.is_dir():
        for candidate in (path / "data" / "owncast.db", path / "owncast.db"):
            if candidate.is_file():
                return candidate
        raise ImportSourceError(f"no Owncast database in {path} (looked for data/owncast.db and owncast.db)")
    if path.is_file():
        return path
    raise ImportSourceError(f"{path} does not exist")


_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?(?:\s+[A-Za-z]+)?$"
)


def parse_sqlite_time(value: Any) -> datetime | None:
    """A time as Owncast's SQLite driver wrote it: ``2006-01-02 15:04:05.999999999-07:00``,
    SQLite's ``CURRENT_TIMESTAMP`` (UTC, no zone), RFC 3339, or Unix seconds. ``None`` for
    NULL/empty; ``ValueError`` for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    match = _TIME.match(str(value).strip())
    if match is None:
        raise ValueError(f"unreadable time {str(value)[:40]!r}")
    day, clock, fraction, zone = match.groups()
    moment = datetime.fromisoformat(f"{day}T{clock}")
    if fraction:
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    if zone in (None, "Z"):
        return moment.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=timezone(sign * offset)).astimezone(UTC)


def _plain(value: Any) -> Any:
    """Decoded gob with ``time.Time`` values turned into datetimes (``None`` for Go's zero time)."""
    if isinstance(value, GobOpaque):
        if value.type_name == "Time":
            return decode_go_time(value.data) if value.data else None
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _split(text: Any) -> tuple[str, ...]:
    return tuple(part for part in str(text or "").split(",") if part)


class SqliteOwncastSource:
    """Implements ``owncast_core.ports.owncast_import.LegacyOwncastSource``.

    ``path`` is Owncast's working directory, its ``data`` directory or the ``owncast.db`` file.
    The database is opened with ``mode=ro`` (never written, never created; ``immutable`` too when
    no ``-wal`` file shows pending writes, so not even SQLite's ``-shm`` file is created) and is
    refused while another process (Owncast) has it open. The logo and emoji are read from the
    directory holding it. SQLite runs in a worker thread.
    """

    def __init__(self, path: str | Path) -> None:
        self._given = Path(path)
        self._db_path: Path | None = None
        self._conn: sqlite3.Connection | None = None
        self._datastore = "datastore"
        self._tables: set[str] = set()

    @property
    def location(self) -> str:
        return str(self._db_path or self._given)

    async def open(self) -> None:
        await asyncio.to_thread(self._open_sync)

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.to_thread(conn.close)

    def _open_sync(self) -> None:
        db_path = locate_database(self._given)
        self._db_path = db_path
        try:
            with open(db_path, "rb") as fh:
                header = fh.read(16)
        except OSError as exc:
            raise ImportSourceError(f"cannot read {db_path}: {exc.strerror or exc}") from exc
        if header != b"SQLite format 3\x00":
            raise ImportSourceError(f"{db_path} is not an SQLite database, so not an Owncast database")
        if in_use_by_another_process(db_path):
            raise ImportSourceError(f"Owncast is still running on {db_path}: stop it first, so that nothing "
                                    "changes while it is imported")
        # Without a -wal file (Owncast stopped cleanly) nothing is pending: read it as immutable, which
        # creates no -shm/-wal files beside it. With one, read-only mode sees the pending pages too.
        wal = Path(f"{db_path}-wal")
        flags = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
        uri = f"file:{quote(str(db_path.resolve()))}?{flags}"
        try:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error as exc:
            raise ImportSourceError(f"cannot open {db_path} read-only: {exc}") from exc
        found = [name for name in DATASTORE_TABLES if name in tables]
        if not found:
            conn.close()
            raise ImportSourceError(f"{db_path} is not an Owncast database (it has no datastore table)")
        self._datastore = found[0]
        self._conn = conn
        self._tables = tables

    # reading --------------------------------------------------------------------------------------
    async def _rows(self, table: str, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Rows of ``table`` as dicts; columns the table lacks read as ``None``."""
        return await asyncio.to_thread(self._rows_sync, table, columns)

    def _rows_sync(self, table: str, columns: Sequence[str]) -> list[dict[str, Any]]:
        conn = self._conn
        if conn is None:
            raise ImportSourceError("the Owncast database is not open")
        if table not in self._tables:
            return []
        try:
            present = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
            wanted = [c for c in columns if c in present]
            sql = f'SELECT {", ".join(chr(34) + c + chr(34) for c in wanted)} FROM "{table}"'  # noqa: S608
            rows = conn.execute(sql).fetchall()
        except sqlite3.Error as exc:
            raise ImportSourceError(f"cannot read table {table} of {self.location}: {exc}") from exc
        return [{c: (row[wanted.index(c)] if c in wanted else None) for c in columns} for row in rows]

    @staticmethod
    def _convert(rows: Iterable[dict[str, Any]], convert: Callable[[dict[str, Any]], T], what: str,
                 label: str) -> Extract[T]:
        out: Extract[T] = Extract()
        for row in rows:
            try:
                out.items.append(convert(row))
            except (ValueError, TypeError, KeyError) as exc:
                out.problems.append(f"{what} {str(row.get(label))[:60]!r}: {exc}")
        return out

    async def config_entries(self) -> Extract[LegacyConfigEntry]:
        out: Extract[LegacyConfigEntry] = Extract()
        for row in await self._rows(self._datastore, ("key", "value")):
            key, raw = row["key"], row["value"]
            if not isinstance(key, str):
                out.problems.append(f"a setting without a name ({key!r})")
                continue
            if isinstance(raw, str):
                raw = raw.encode("latin-1", errors="replace")
            if not isinstance(raw, bytes):
                out.items.append(LegacyConfigEntry(key, error="no value stored"))
                continue
            try:
                out.items.append(LegacyConfigEntry(key, value=_plain(decode_gob(raw))))
            except GobError as exc:
                out.items.append(LegacyConfigEntry(key, error=str(exc)))
        return out

    async def users(self) -> Extract[ChatUser]:
        columns = ("id", "display_name", "display_color", "created_at", "disabled_at", "previous_names",
                   "namechanged_at", "scopes", "authenticated_at", "type")
        return self._convert(await self._rows("users", columns), _user, "chat user", "display_name")

    async def access_tokens(self) -> Extract[LegacyAccessToken]:
        rows = await self._rows("user_access_tokens", ("token", "user_id", "timestamp"))
        return self._convert(rows, _token, "access token of user", "user_id")

    async def messages(self) -> Extract[ChatRecord]:
        columns = ("id", "user_id", "body", "eventType", "hidden_at", "timestamp", "image", "link", "title",
                   "subtitle")
        return self._convert(await self._rows("messages", columns), _message, "message", "id")

    async def ip_bans(self) -> Extract[IPBan]:
        rows = await self._rows("ip_bans", ("ip_address", "notes", "created_at"))
        return self._convert(rows, _ban, "IP ban", "ip_address")

    async def webhooks(self) -> Extract[LegacyWebhook]:
        rows = await self._rows("webhooks", ("url", "events", "timestamp"))
        return self._convert(rows, _webhook, "webhook", "url")

    async def followers(self) -> Extract[Follower]:
        columns = ("iri", "inbox", "name", "username", "image", "request", "created_at", "approved_at",
                   "disabled_at")
        return self._convert(await self._rows("ap_followers", columns), _follower, "follower", "iri")

    async def federated_actions(self) -> Extract[FederatedAction]:
        rows = await self._rows("ap_accepted_activities", ("iri", "actor", "type", "timestamp"))
        return self._convert(rows, _action, "Fediverse activity", "iri")

    async def notification_destinations(self) -> Extract[NotificationDestination]:
        rows = await self._rows("notifications", ("channel", "destination", "created_at"))
        return self._convert(rows, _destination, "notification destination of channel", "channel")

    # files ----------------------------------------------------------------------------------------
    @property
    def _data_dir(self) -> Path:
        return (self._db_path or self._given).parent

    async def logo(self, file_name: str) -> LegacyFile | None:
        name = PurePath(file_name).name
        if not name or name != file_name.replace("\\", "/").split("/")[-1] or name.startswith("."):
            return None
        return await asyncio.to_thread(self._file, self._data_dir / name)

    def _file(self, path: Path) -> LegacyFile | None:
        try:
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                return None
            return LegacyFile(path.name, path.read_bytes())
        except OSError:
            return None

    async def emoji(self) -> Extract[LegacyFile]:
        return await asyncio.to_thread(self._emoji_sync)

    def _emoji_sync(self) -> Extract[LegacyFile]:
        out: Extract[LegacyFile] = Extract()
        root = self._data_dir / "emoji"
        if not root.is_dir():
            return out
        seen: set[str] = set()
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
            if path.name in seen:
                out.problems.append(f"emoji {path.relative_to(root)}: another emoji has the same file name")
                continue
            file = self._file(path)
            if file is None:
                out.problems.append(f"emoji {path.relative_to(root)}: unreadable or larger than 10 MB")
                continue
            seen.add(path.name)
            out.items.append(file)
        return out


def _required_time(value: Any, what: str) -> datetime:
    moment = parse_sqlite_time(value)
    if moment is None:
        raise ValueError(f"no {what}")
    return moment


def _user(row: dict[str, Any]) -> ChatUser:
    if not row["id"] or not isinstance(row["display_name"], str):
        raise ValueError("no id or name")
    return ChatUser(
        id=str(row["id"]),
        display_name=row["display_name"],
        display_color=int(row["display_color"] or 0),
        created_at=parse_sqlite_time(row["created_at"]) or datetime.now(UTC),
        previous_names=_split(row["previous_names"]) or (row["display_name"],),
        name_changed_at=parse_sqlite_time(row["namechanged_at"]),
        disabled_at=parse_sqlite_time(row["disabled_at"]),
        scopes=_split(row["scopes"]),
        authenticated_at=parse_sqlite_time(row["authenticated_at"]),
        user_type=str(row["type"] or "STANDARD"),
    )


def _token(row: dict[str, Any]) -> LegacyAccessToken:
    if not row["token"] or not row["user_id"]:
        raise ValueError("no token or user")
    return LegacyAccessToken(str(row["token"]), str(row["user_id"]),
                             parse_sqlite_time(row["timestamp"]) or datetime.now(UTC))


def _message(row: dict[str, Any]) -> ChatRecord:
    if not row["id"] or not row["eventType"]:
        raise ValueError("no id or event type")
    return ChatRecord(
        id=str(row["id"]),
        event_type=str(row["eventType"]),
        body=str(row["body"] or ""),
        timestamp=_required_time(row["timestamp"], "timestamp"),
        user_id=str(row["user_id"]) if row["user_id"] else None,
        hidden_at=parse_sqlite_time(row["hidden_at"]),
        image=row["image"],
        link=row["link"],
        title=row["title"],
        subtitle=row["subtitle"],
    )


def _ban(row: dict[str, Any]) -> IPBan:
    if not row["ip_address"]:
        raise ValueError("no address")
    return IPBan(str(row["ip_address"]), str(row["notes"] or ""),
                 parse_sqlite_time(row["created_at"]) or datetime.now(UTC))


def _webhook(row: dict[str, Any]) -> LegacyWebhook:
    if not row["url"]:
        raise ValueError("no URL")
    return LegacyWebhook(str(row["url"]), _split(row["events"]),
                         parse_sqlite_time(row["timestamp"]) or datetime.now(UTC))


def _follower(row: dict[str, Any]) -> Follower:
    if not row["iri"] or not row["inbox"]:
        raise ValueError("no actor or inbox")
    return Follower(
        actor_iri=str(row["iri"]),
        inbox=str(row["inbox"]),
        name=str(row["name"] or ""),
        username=str(row["username"] or ""),
        image=str(row["image"] or ""),
        created_at=parse_sqlite_time(row["created_at"]) or datetime.now(UTC),
        follow_iri=str(row["request"] or ""),
        approved_at=parse_sqlite_time(row["approved_at"]),
        disabled_at=parse_sqlite_time(row["disabled_at"]),
    )


def _action(row: dict[str, Any]) -> FederatedAction:
    if not row["iri"] or not row["actor"] or not row["type"]:
        raise ValueError("no activity, actor or type")
    return FederatedAction(str(row["iri"]), str(row["actor"]), str(row["type"]),
                           _required_time(row["timestamp"], "timestamp"))


def _destination(row: dict[str, Any]) -> NotificationDestination:
    if not row["channel"] or not row["destination"]:
        raise ValueError("no channel or destination")
    return NotificationDestination(str(row["channel"]), str(row["destination"]),
                                   parse_sqlite_time(row["created_at"]) or datetime.now(UTC))
