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


def create_outbox_tables(db: sqlite_utils.Database) -> None:
    """What the server posted and the engagement it received (Owncast's names)."""
    db.execute("""CREATE TABLE ap_outbox (
        id TEXT PRIMARY KEY NOT NULL,
        activity_id TEXT NOT NULL UNIQUE,
        value TEXT NOT NULL,
        type TEXT NOT NULL,
        created_at TEXT NOT NULL,
        live_notification INTEGER NOT NULL DEFAULT 0
    )""")
    db.execute("CREATE INDEX ap_outbox_created ON ap_outbox (created_at)")
    db.execute("""CREATE TABLE ap_accepted_activities (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        iri TEXT NOT NULL,
        actor TEXT NOT NULL,
        type TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        UNIQUE (iri, actor, type)
    )""")
    db.execute("CREATE INDEX ap_accepted_activities_time ON ap_accepted_activities (timestamp)")


def create_delivery_tables(db: sqlite_utils.Database) -> None:
    """The outbound delivery queue (owncast-py's own; Owncast keeps it in memory): each body once,
    one row per (activity, inbox) until it is delivered or given up."""
    db.execute("""CREATE TABLE ap_delivery_bodies (
        activity_id TEXT PRIMARY KEY NOT NULL,
        body BLOB NOT NULL
    )""")
    db.execute("""CREATE TABLE ap_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        activity_id TEXT NOT NULL REFERENCES ap_delivery_bodies (activity_id),
        inbox TEXT NOT NULL,
        domain TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        UNIQUE (activity_id, inbox)
    )""")
    db.execute("CREATE INDEX ap_deliveries_inbox ON ap_deliveries (inbox, id)")


def create_delivery_domains_table(db: sqlite_utils.Database) -> None:
    """What the delivery sender knows about failing domains (owncast-py's own; Owncast keeps its
    breaker in memory): one row per domain that has not answered since its last failure."""
    db.execute("""CREATE TABLE ap_delivery_domains (
        domain TEXT PRIMARY KEY NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        pause REAL NOT NULL DEFAULT 0,
        open_until TEXT,
        first_failure_at TEXT,
        unavailable_since TEXT,
        next_probe_at TEXT
    )""")
