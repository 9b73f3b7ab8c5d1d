"""Tables of the Fediverse side (Owncast's ``ap_*`` tables)."""

from __future__ import annotations

import sqlite_utils


def create_followers_table(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE ap_followers (
        iri TEXT PRIMARY KEY NOT NULL,
        inbox TEXT NOT NULL,
        shared_inbox TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        username TEXT NOT NULL DEFAULT '',
        image TEXT NOT NULL DEFAULT '',
        request TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        approved_at TEXT,
        disabled_at TEXT
    )""")
    db.execute("CREATE INDEX ap_followers_created ON ap_followers (created_at)")
