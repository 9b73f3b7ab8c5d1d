"""Outbound webhooks: subscriptions, event names, payload envelopes and signatures.

Payload shapes follow Owncast v0.2 (``services/webhooks/*_test.go``); the envelope is
``{"type": <EVENT>, "eventData": {...}}``. Owncast-py adds a signature header computed by
``sign`` (see ``docs/architecture.md``, "Webhooks").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

CHAT: Final = "CHAT"
CHAT_ACTION: Final = "CHAT_ACTION"
NAME_CHANGE: Final = "NAME_CHANGE"
PING: Final = "PING"
PONG: Final = "PONG"
STREAM_STARTED: Final = "STREAM_STARTED"
STREAM_STOPPED: Final = "STREAM_STOPPED"
STREAM_TITLE_UPDATED: Final = "STREAM_TITLE_UPDATED"
SYSTEM: Final = "SYSTEM"
USER_JOINED: Final = "USER_JOINED"
USER_PARTED: Final = "USER_PARTED"
VISIBILITY_UPDATE: Final = "VISIBILITY-UPDATE"
FEDIVERSE_ENGAGEMENT_FOLLOW: Final = "FEDIVERSE_ENGAGEMENT_FOLLOW"
FEDIVERSE_ENGAGEMENT_LIKE: Final = "FEDIVERSE_ENGAGEMENT_LIKE"
FEDIVERSE_ENGAGEMENT_REPOST: Final = "FEDIVERSE_ENGAGEMENT_REPOST"

EVENT_TYPES: Final = frozenset({
    CHAT, CHAT_ACTION, NAME_CHANGE, PING, PONG, STREAM_STARTED, STREAM_STOPPED, STREAM_TITLE_UPDATED,
    SYSTEM, USER_JOINED, USER_PARTED, VISIBILITY_UPDATE,
    FEDIVERSE_ENGAGEMENT_FOLLOW, FEDIVERSE_ENGAGEMENT_LIKE, FEDIVERSE_ENGAGEMENT_REPOST,
})
"""Event names a webhook may subscribe to (Owncast's ``WebhookEventType`` enum)."""

SIGNATURE_HEADER: Final = "X-Owncast-Signature"
"""Header carrying ``t=<unix seconds>.s=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
DELIVERY_HEADER: Final = "X-Owncast-Delivery"
"""Header carrying a delivery id that stays the same across the retries of one delivery."""
EVENT_HEADER: Final = "X-Owncast-Event"
"""Header carrying the event type (also in the body's ``type``)."""


@dataclass(frozen=True, slots=True)
class Webhook:
    """A subscription: POST events of ``events`` types to ``url``, signed with ``secret``."""

    id: int
    url: str
    events: tuple[str, ...]
    timestamp: datetime
    last_used: datetime | None = None
    secret: str = ""

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


def invalid_events(events: object) -> list[str]:
    """The entries of ``events`` that are not known event names (all of them if not a list)."""
    if not isinstance(events, list):
        return [repr(events)]
    return [str(e) for e in events if not isinstance(e, str) or e not in EVENT_TYPES]


def envelope(event_type: str, event_data: Mapping[str, Any]) -> dict[str, Any]:
    """The body Owncast POSTs: ``{"type": ..., "eventData": ...}``."""
    return {"type": event_type, "eventData": dict(event_data)}


def encode(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON (the exact bytes that are signed and sent)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value: ``t=<timestamp>.s=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

    Same format as Owncast's development branch (``services/webhooks/auth.go``), so receivers
    written for it verify ours.
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp}.s={mac}"


def verify(secret: str, body: bytes, header: str, *, now: int, tolerance: int = 300) -> bool:
    """Check a signature header (constant-time); refuses timestamps off by more than ``tolerance``."""
    fields = dict(part.split("=", 1) for part in header.split(".") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp)
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def stream_event_data(*, event_id: str, timestamp: str, name: str, summary: str, stream_title: str,
                      status: Mapping[str, Any]) -> dict[str, Any]:
    """``eventData`` of STREAM_STARTED / STREAM_STOPPED / STREAM_TITLE_UPDATED."""
    return {
        "id": event_id,
        "name": name,
        "summary": summary,
        "streamTitle": stream_title,
        "timestamp": timestamp,
        "status": dict(status),
    }
