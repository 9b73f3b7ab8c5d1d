"""A realistic Go Owncast v0.2 working directory for import tests: ``data/owncast.db`` made from
Owncast's schema (``fixtures/owncast_v02/schema.sql``) with the datastore values the real Go
``encoding/gob`` produced (``fixtures/owncast_v02/gob_values.json``), rows for chat users, access
tokens, messages, IP bans, webhooks and Fediverse followers/engagement, a logo and one custom
emoji. Times are written the way Owncast's SQLite driver writes them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "owncast_v02"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
GIF = b"GIF89a" + bytes(32)
PUSH_SUBSCRIPTION = json.dumps({
    "endpoint": "https://push.example.com/send/abc123",
    "keys": {"p256dh": "BA" + "A" * 85, "auth": "A" * 22},  # 65-byte point starting 0x04, 16-byte secret
})
ADMIN_PASSWORD = "streamer-secret"
"""The admin password whose bcrypt hash is in gob_values.json."""


def go_sqlite_time(moment: datetime) -> str:
    """How mattn/go-sqlite3 stores a ``time.Time``: ``2006-01-02 15:04:05.999999999-07:00``."""
    text = moment.strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip(".")
    offset = moment.strftime("%z")
    return f"{text}{offset[:3]}:{offset[3:]}"


def gob_values() -> list[dict[str, object]]:
    values: list[dict[str, object]] = json.loads((FIXTURES / "gob_values.json").read_text())
    return values


@dataclass
class OwncastV02:
    root: Path
    db: Path
    users: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (name, colour)
    tokens: dict[str, str] = field(default_factory=dict)  # token -> user id
    recent_messages: list[str] = field(default_factory=list)
    old_messages: list[str] = field(default_factory=list)
    webhooks: list[tuple[str, str]] = field(default_factory=list)
    followers: list[str] = field(default_factory=list)


def build_owncast_v02(root: Path, *, now: datetime | None = None) -> OwncastV02:
    """Create the working directory under ``root`` and return what it holds."""
    now = now or datetime.now(UTC)
    data = root / "data"
    (data / "emoji").mkdir(parents=True)
    (data / "logo.png").write_bytes(PNG)
    (data / "emoji" / "party.gif").write_bytes(GIF)
    (data / "emoji" / ".hidden").write_bytes(b"x")
    out = OwncastV02(root=root, db=data / "owncast.db")
    conn = sqlite3.connect(out.db)
    try:
        conn.execute("PRAGMA journal_mode=WAL")  # as Owncast runs it
        conn.executescript((FIXTURES / "schema.sql").read_text())
        for entry in gob_values():
            if entry.get("datastore_key"):
                conn.execute("INSERT INTO datastore (key, value) VALUES (?, ?)",
                             [entry["datastore_key"], bytes.fromhex(str(entry["hex"]))])
        gob_true = bytes.fromhex("03020001")  # a gob bool: length 3, type id 1, singleton 0, true
        for key, blob in (("HAS_POPULATED_DEFAULTS", gob_true), ("some_future_key", gob_true),
                          ("custom_username_color", b"\x05garbage")):
            conn.execute("INSERT INTO datastore (key, value) VALUES (?, ?)", [key, blob])

        people = [
            ("u-alice", "alice", 3, "alice,alice", "", None, ["tok-alice-1", "tok-alice-2"]),
            ("u-bob", "Bob 🎸", 7, "bobby,Bob 🎸", "MODERATOR", None, ["tok-bob"]),
            ("u-carol", "carol", 1, "carol", "", now - timedelta(days=1), ["tok-carol"]),
            ("u-bot", "Quiz bot", 0, "Quiz bot", "CAN_SEND_SYSTEM_MESSAGES,CAN_SEND_MESSAGES", None, ["tok-bot"]),
        ]
        for uid, name, colour, previous, scopes, disabled, tokens in people:
            conn.execute(
                "INSERT INTO users (id, display_name, display_color, created_at, disabled_at, previous_names, "
                "scopes, type) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [uid, name, colour, go_sqlite_time(now - timedelta(days=30)),
                 go_sqlite_time(disabled) if disabled else None, previous, scopes,
                 "API" if uid == "u-bot" else "STANDARD"],
            )
            out.users[uid] = (name, colour)
            for token in tokens:
                conn.execute("INSERT INTO user_access_tokens (token, user_id) VALUES (?, ?)", [token, uid])
                out.tokens[token] = uid
        conn.execute("INSERT INTO user_access_tokens (token, user_id) VALUES ('tok-ghost', 'u-ghost')")

        messages = [
            ("m-1", "u-alice", "hello from Go Owncast", "CHAT", now - timedelta(minutes=50)),
            ("m-2", "u-bob", "welcome **alice**", "CHAT", now - timedelta(minutes=40, seconds=1)),
            ("m-3", None, "Stream starts soon", "SYSTEM", now - timedelta(minutes=30)),
            ("m-4", "u-alice", "see you", "CHAT", now - timedelta(minutes=5)),
        ]
        for mid, uid, body, kind, at in messages:
            conn.execute("INSERT INTO messages (id, user_id, body, eventType, timestamp) VALUES (?, ?, ?, ?, ?)",
                         [mid, uid, body, kind, go_sqlite_time(at)])
            out.recent_messages.append(mid)
        conn.execute("INSERT INTO messages (id, user_id, body, eventType, timestamp) VALUES (?, ?, ?, ?, ?)",
                     ["m-old", "u-alice", "from last week", "CHAT", go_sqlite_time(now - timedelta(days=7))])
        out.old_messages.append("m-old")
        conn.execute("INSERT INTO messages (id, user_id, body, eventType, timestamp) VALUES ('m-bad', 'u-bob', "
                     "'no time', 'CHAT', 'yesterday-ish')")

        conn.execute("INSERT INTO notifications (channel, destination) VALUES ('BROWSER_PUSH_NOTIFICATION', ?)",
                     [PUSH_SUBSCRIPTION])
        conn.execute("INSERT INTO notifications (channel, destination) VALUES ('SMS', '+15550100')")
        conn.execute("INSERT INTO ip_bans (ip_address, notes) VALUES ('203.0.113.9', 'spam bot')")
        conn.execute("INSERT INTO ip_bans (ip_address, notes, created_at) VALUES ('2001:db8::1', NULL, ?)",
                     [go_sqlite_time(now - timedelta(days=2))])

        hooks = [("https://hooks.example.com/chat", "CHAT,USER_JOINED"),
                 ("https://hooks.example.com/live", "STREAM_STARTED,STREAM_STOPPED,STREAM_TITLE_UPDATED")]
        for url, events in hooks:
            conn.execute("INSERT INTO webhooks (url, events) VALUES (?, ?)", [url, events])
            out.webhooks.append((url, events))

        fans = [("https://social.example/users/fan1", "fan1", go_sqlite_time(now - timedelta(days=3))),
                ("https://other.example/@fan2", "fan2", None)]
        for iri, username, approved in fans:
            conn.execute(
                "INSERT INTO ap_followers (iri, inbox, name, username, image, request, approved_at) "
                "VALUES (?, ?, ?, ?, NULL, ?, ?)",
                [iri, iri + "/inbox", username.title(), username, iri + "#follow-1", approved],
            )
            out.followers.append(iri)
        conn.execute("INSERT INTO ap_accepted_activities (iri, actor, type, timestamp) VALUES (?, ?, 'FEDIVERSE_"
                     "ENGAGEMENT_LIKE', ?)", ["https://social.example/likes/1", fans[0][0],
                                               go_sqlite_time(now - timedelta(hours=5))])
        conn.commit()
    finally:
        conn.close()
    return out
