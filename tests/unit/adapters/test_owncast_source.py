"""``SqliteOwncastSource`` on a realistic Go Owncast v0.2 database (built from Owncast's schema and
values made by the real Go gob encoder): it decodes and maps every setting, reads rows with
Owncast's time formats, never writes, and refuses what is not an Owncast database."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from owncast_adapters.owncast_import.source import SqliteOwncastSource, locate_database, parse_sqlite_time
from owncast_core.domain.owncast_import import CONFIG_RULES, IGNORED_KEYS, map_config_entry
from owncast_core.errors import ImportSourceError

from ...owncast_v02_db import GIF, PNG, build_owncast_v02, gob_values


@pytest.fixture
def owncast(tmp_path: Path) -> Path:
    return build_owncast_v02(tmp_path / "owncast").root


async def read_all(source: SqliteOwncastSource) -> dict[str, Any]:
    await source.open()
    try:
        return {
            "config": await source.config_entries(), "users": await source.users(),
            "tokens": await source.access_tokens(), "messages": await source.messages(),
            "bans": await source.ip_bans(), "webhooks": await source.webhooks(),
            "followers": await source.followers(), "actions": await source.federated_actions(),
            "logo": await source.logo("logo.png"), "emoji": await source.emoji(),
        }
    finally:
        await source.close()


async def test_every_setting_go_wrote_is_decoded_and_mapped(owncast: Path) -> None:
    source = SqliteOwncastSource(owncast)
    await source.open()
    try:
        entries = {e.key: e for e in (await source.config_entries()).items}
    finally:
        await source.close()
    go_keys = {str(v["datastore_key"]) for v in gob_values() if v.get("datastore_key")}
    assert go_keys <= set(entries)
    assert go_keys <= set(CONFIG_RULES) | set(IGNORED_KEYS) | {"admin_password_key"}
    for key in go_keys - {"admin_password_key"}:
        mapped = map_config_entry(entries[key])
        assert mapped.key is not None or not mapped.needed, (key, mapped.skip_reason)
    assert entries["server_name"].value == "Ünïcode Radio 🎙️"
    disconnect = entries["last_disconnect_time"].value
    assert disconnect["Time"] == datetime(2024, 3, 9, 21, 4, 5, 123456, tzinfo=UTC) and disconnect["Valid"]
    assert entries["custom_username_color"].error is not None  # the garbage blob


async def test_rows_are_read_with_owncasts_time_formats(owncast: Path) -> None:
    got = await read_all(SqliteOwncastSource(owncast))
    users = {u.id: u for u in got["users"].items}
    assert users["u-bob"].scopes == ("MODERATOR",) and users["u-bob"].previous_names == ("bobby", "Bob 🎸")
    assert users["u-carol"].disabled_at is not None and users["u-alice"].disabled_at is None
    assert {t.token for t in got["tokens"].items} >= {"tok-alice-1", "tok-alice-2", "tok-bob"}
    messages = got["messages"]
    assert {m.id for m in messages.items} == {"m-1", "m-2", "m-3", "m-4", "m-old"}
    assert messages.problems == ["message 'm-bad': unreadable time 'yesterday-ish'"]
    assert all(m.timestamp.tzinfo is not None for m in messages.items)
    assert {b.ip_address for b in got["bans"].items} == {"203.0.113.9", "2001:db8::1"}
    assert got["webhooks"].items[0].events == ("CHAT", "USER_JOINED")
    assert len(got["followers"].items) == 2 and len(got["actions"].items) == 1
    assert got["logo"].data == PNG
    assert [(f.name, f.data) for f in got["emoji"].items] == [("party.gif", GIF)]


async def test_the_owncast_database_is_never_written(owncast: Path) -> None:
    db = owncast / "data" / "owncast.db"
    before = (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns)
    await read_all(SqliteOwncastSource(db))
    assert (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns) == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["emoji", "logo.png", "owncast.db"]


async def test_a_logo_name_cannot_leave_the_data_directory(owncast: Path) -> None:
    (owncast / "secret.png").write_bytes(PNG)
    source = SqliteOwncastSource(owncast)
    await source.open()
    try:
        assert await source.logo("../secret.png") is None
        assert await source.logo("/etc/passwd") is None
    finally:
        await source.close()


def test_the_database_is_found_from_the_working_dir_the_data_dir_or_the_file(owncast: Path) -> None:
    db = owncast / "data" / "owncast.db"
    assert locate_database(owncast) == db
    assert locate_database(owncast / "data") == db
    assert locate_database(db) == db


@pytest.mark.parametrize("kind", ["missing", "empty dir", "text file", "other sqlite", "empty file"])
async def test_what_is_not_an_owncast_database_is_refused_in_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x"
    if kind == "empty dir":
        path.mkdir()
    elif kind == "text file":
        path.write_text("hello, I am not a database\n" * 10)
    elif kind == "empty file":
        path.write_bytes(b"")
    elif kind == "other sqlite":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (x)")
        conn.commit()
        conn.close()
    source = SqliteOwncastSource(path)
    with pytest.raises(ImportSourceError) as caught:
        await source.open()
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-09 21:04:05.123456789+01:00", datetime(2024, 3, 9, 20, 4, 5, 123456, tzinfo=UTC)),
    ("2024-03-09 21:04:05", datetime(2024, 3, 9, 21, 4, 5, tzinfo=UTC)),
    ("2024-03-09T21:04:05Z", datetime(2024, 3, 9, 21, 4, 5, tzinfo=UTC)),
    ("2024-03-09 21:04:05.5-0530", datetime(2024, 3, 10, 2, 34, 5, 500000, tzinfo=UTC)),
    ("2024-03-09 21:04:05.1+00:00 UTC", datetime(2024, 3, 9, 21, 4, 5, 100000, tzinfo=UTC)),
    (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    (None, None),
    ("", None),
])
def test_sqlite_times(text: object, expected: datetime | None) -> None:
    assert parse_sqlite_time(text) == expected


def test_an_unreadable_time_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unreadable time"):
        parse_sqlite_time("last tuesday")


def test_go_time_text_round_trip() -> None:
    from ...owncast_v02_db import go_sqlite_time

    moment = datetime(2025, 1, 2, 3, 4, 5, 600000, tzinfo=timezone(timedelta(hours=2)))
    assert parse_sqlite_time(go_sqlite_time(moment)) == moment
