"""``LegacyOwncastSourceContract`` bound to the in-memory fake and to ``SqliteOwncastSource`` over a
Go Owncast v0.2 directory built from the scenario (Owncast's schema, settings gob-encoded as Go
writes a string or a bool, times as Go's SQLite driver writes them, files in ``data/``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from owncast_adapters.owncast_import.source import SqliteOwncastSource
from owncast_core.domain.owncast_import import LegacyConfigEntry
from owncast_core.ports.owncast_import import LegacyOwncastSource
from owncast_core.testing.contracts.owncast_import import Build, LegacyOwncastSourceContract, LegacyScenario
from owncast_core.testing.fakes import InMemoryOwncastSource

from ..owncast_v02_db import FIXTURES, go_sqlite_time


class TestInMemoryOwncastSource(LegacyOwncastSourceContract):
    @pytest.fixture
    def build(self) -> Build:
        async def make(scenario: LegacyScenario) -> LegacyOwncastSource:
            src = InMemoryOwncastSource()
            src.config = [LegacyConfigEntry(k, v) for k, v in scenario.config.items()]
            src.user_rows, src.token_rows = list(scenario.users), list(scenario.tokens)
            src.message_rows, src.ban_rows = list(scenario.messages), list(scenario.bans)
            src.webhook_rows, src.emoji_files = list(scenario.webhooks), list(scenario.emoji)
            if scenario.logo is not None:
                src.files[scenario.logo.name] = scenario.logo
            return src

        return make

    @pytest.fixture
    def missing(self) -> LegacyOwncastSource:
        src = InMemoryOwncastSource()
        src.error = "memory://nowhere does not exist"
        return src


def _gob_uint(n: int) -> bytes:
    """encoding/gob's unsigned integer: one byte under 128, else the negated byte count and big-endian bytes."""
    if n < 128:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([256 - len(raw)]) + raw


def gob_value(value: str | bool) -> bytes:
    """One gob message holding a Go string (type id 6) or bool (type id 1), as Owncast's datastore has it."""
    if isinstance(value, bool):
        body = bytes([1 << 1, 0, 1 if value else 0])
    else:
        text = value.encode()
        body = bytes([6 << 1, 0]) + _gob_uint(len(text)) + text
    return _gob_uint(len(body)) + body


def test_gob_value_matches_what_go_writes() -> None:
    assert gob_value("Ünïcode Radio 🎙️").hex() == "1a0c0017c39c6ec3af636f646520526164696f20f09f8e99efb88f"
    assert gob_value(True).hex() == "03020001"


class TestSqliteOwncastSource(LegacyOwncastSourceContract):
    @pytest.fixture
    def build(self, tmp_path: Path) -> Build:
        async def make(scenario: LegacyScenario) -> LegacyOwncastSource:
            data = tmp_path / "owncast" / "data"
            data.mkdir(parents=True)
            if scenario.logo is not None:
                (data / scenario.logo.name).write_bytes(scenario.logo.data)
            if scenario.emoji:
                (data / "emoji").mkdir()
                for file in scenario.emoji:
                    (data / "emoji" / file.name).write_bytes(file.data)
            conn = sqlite3.connect(data / "owncast.db")
            try:
                conn.executescript((FIXTURES / "schema.sql").read_text())
                for key, value in scenario.config.items():
                    conn.execute("INSERT INTO datastore (key, value) VALUES (?, ?)", [key, gob_value(value)])
                for u in scenario.users:
                    conn.execute(
                        "INSERT INTO users (id, display_name, display_color, created_at, disabled_at, "
                        "previous_names, scopes, type) VALUES (?, ?, ?, ?, ?, ?, ?, 'STANDARD')",
                        [u.id, u.display_name, u.display_color, go_sqlite_time(u.created_at),
                         go_sqlite_time(u.disabled_at) if u.disabled_at else None, ",".join(u.previous_names),
                         ",".join(u.scopes)])
                for t in scenario.tokens:
                    conn.execute("INSERT INTO user_access_tokens (token, user_id, timestamp) VALUES (?, ?, ?)",
                                 [t.token, t.user_id, go_sqlite_time(t.created_at)])
                for m in scenario.messages:
                    conn.execute("INSERT INTO messages (id, user_id, body, eventType, timestamp) "
                                 "VALUES (?, ?, ?, ?, ?)",
                                 [m.id, m.user_id, m.body, m.event_type, go_sqlite_time(m.timestamp)])
                for b in scenario.bans:
                    conn.execute("INSERT INTO ip_bans (ip_address, notes, created_at) VALUES (?, ?, ?)",
                                 [b.ip_address, b.notes, go_sqlite_time(b.created_at)])
                for h in scenario.webhooks:
                    conn.execute("INSERT INTO webhooks (url, events, timestamp) VALUES (?, ?, ?)",
                                 [h.url, ",".join(h.events), go_sqlite_time(h.timestamp)])
                conn.commit()
            finally:
                conn.close()
            return SqliteOwncastSource(tmp_path / "owncast")

        return make

    @pytest.fixture
    def missing(self, tmp_path: Path) -> LegacyOwncastSource:
        return SqliteOwncastSource(tmp_path / "nowhere")
