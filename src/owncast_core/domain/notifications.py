"""Go-live notifications and the directory: channels, push subscriptions, messages (reference §7).

Pure values and rules; sending is the ``owncast_core.ports.notifications`` ports' business.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from owncast_core.domain import jsontext
from owncast_core.domain.config_rules import is_valid_url
from owncast_core.domain.geo import names_local_host
from owncast_core.errors import ValidationError

BROWSER_PUSH_NOTIFICATION: Final = "BROWSER_PUSH_NOTIFICATION"
"""The one channel viewers can register for (Owncast ``notifications.BrowserPushNotification``)."""
CHANNELS: Final = frozenset({BROWSER_PUSH_NOTIFICATION})

GO_LIVE_DELAY_SECONDS: Final = 120.0
"""Notifications go out this long after the stream started, if it is still live."""
GO_LIVE_DEBOUNCE_SECONDS: Final = 600.0
"""No new round of notifications within this long of the previous one (a reconnecting encoder)."""

PUSH_TOPIC: Final = "owncast-go-live"
PUSH_TTL_SECONDS: Final = 10
PUSH_CONTACT: Final = "mailto:owncast@owncast.online"
"""VAPID ``sub`` claim: Owncast's contact address (webpush-go adds the ``mailto:``)."""
PUSH_ICON: Final = "/logo/external"
DISCORD_AVATAR_PATH: Final = "/images/owncast-logo.png"

MAX_DESTINATION_LENGTH: Final = 4096
"""A browser's ``PushSubscription`` JSON is a few hundred bytes; longer input is refused."""

DIRECTORY_PING_SECONDS: Final = 240.0
DEFAULT_DIRECTORY_URL: Final = "https://directory.owncast.online"
"""Owncast v0.2's ``YPServer`` (its development branch uses ``https://owncast.directory``)."""


@dataclass(frozen=True, slots=True)
class NotificationDestination:
    """Where one registered viewer is notified: ``destination`` is channel-specific text (for
    browser push, a ``PushSubscription`` as ``PushSubscription.to_text`` writes it)."""

    channel: str
    destination: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """A browser's Web Push subscription (the W3C ``PushSubscription.toJSON()`` shape).

    ``p256dh`` is the browser's P-256 public key (65 bytes, uncompressed) and ``auth`` its
    16-byte authentication secret, both base64url as the browser sends them.
    """

    endpoint: str
    p256dh: str
    auth: str

    @classmethod
    def parse(cls, text: object, *, allow_private: bool = False) -> PushSubscription:
        """Read a ``PushSubscription`` JSON string; raises ``ValidationError`` saying what is wrong.

        The endpoint must be an https URL (http too, and loopback/private hosts, only with
        ``allow_private``): the server POSTs to it, so it must not point into the server's network.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("destination must be a PushSubscription JSON string")
        if len(text) > MAX_DESTINATION_LENGTH:
            raise ValidationError("destination is too long for a push subscription")
        try:
            data = jsontext.loads(text)
        except ValueError:
            raise ValidationError("destination is not valid JSON (expected a PushSubscription)") from None
        if not isinstance(data, dict):
            raise ValidationError("destination must be a PushSubscription object")
        endpoint = data.get("endpoint")
        keys = data.get("keys")
        if not isinstance(endpoint, str) or not is_valid_url(endpoint):
            raise ValidationError("push subscription endpoint must be an http(s) URL")
        parts = urlsplit(endpoint)
        if not allow_private and (parts.scheme != "https" or names_local_host(parts.hostname or "")):
            raise ValidationError("push subscription endpoint must be a public https URL")
        if not isinstance(keys, dict):
            raise ValidationError("push subscription has no keys")
        p256dh, auth = keys.get("p256dh"), keys.get("auth")
        public = _b64url(p256dh, "keys.p256dh")
        if len(public) != 65 or public[0] != 4:
            raise ValidationError("push subscription keys.p256dh must be an uncompressed P-256 public key")
        if len(_b64url(auth, "keys.auth")) != 16:
            raise ValidationError("push subscription keys.auth must be 16 bytes")
        assert isinstance(p256dh, str) and isinstance(auth, str)
        return cls(endpoint=endpoint, p256dh=p256dh, auth=auth)

    def to_text(self) -> str:
        """Canonical JSON (the form stored, so one browser registering twice is kept once)."""
        return json.dumps({"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}},
                          separators=(",", ":"), sort_keys=True)


def _b64url(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"push subscription {name} is missing")
    try:
        return b64url_decode(value)
    except (binascii.Error, ValueError):
        raise ValidationError(f"push subscription {name} is not base64url") from None


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding (raises ``binascii.Error``/``ValueError`` if malformed)."""
    stripped = text.strip().rstrip("=")
    return base64.b64decode(stripped + "=" * (-len(stripped) % 4), altchars=b"-_", validate=True)


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, as browsers and VAPID use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class VapidKeys:
    """The server's VAPID key pair (RFC 8292), base64url: ``public_key`` the 65-byte uncompressed
    P-256 point browsers take as ``applicationServerKey``, ``private_key`` the 32-byte scalar.
    The same encoding as Owncast (webpush-go), so keys carry over."""

    public_key: str
    private_key: str


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One Web Push message: ``payload`` is encrypted for the subscriber (RFC 8291, aes128gcm)."""

    payload: bytes
    topic: str = PUSH_TOPIC
    ttl: int = PUSH_TTL_SECONDS
    contact: str = PUSH_CONTACT


def push_payload(server_name: str, go_live_message: str) -> bytes:
    """Owncast's browser notification: ``{"title", "body", "icon"}`` as JSON bytes."""
    return json.dumps({"title": server_name, "body": go_live_message, "icon": PUSH_ICON}).encode()


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """A Discord webhook execution body (``username``, ``content``, ``avatar_url``)."""

    username: str
    content: str
    avatar_url: str = ""

    def to_json(self) -> dict[str, Any]:
        out = {"username": self.username, "content": self.content}
        if self.avatar_url:  # an empty avatar_url is refused by Discord; without it the webhook's own shows
            out["avatar_url"] = self.avatar_url
        return out


def discord_message(*, server_name: str, server_url: str, go_live_message: str, stream_title: str) -> DiscordMessage:
    """Owncast's go-live post: ``"<goLiveMessage>[\\n<title>]\\n\\n<serverURL>"`` as the server name,
    with the Owncast logo under the server URL as avatar (``notifications/notifications.go``)."""
    text = go_live_message
    if stream_title:
        text += "\n" + stream_title
    avatar = server_url.rstrip("/") + DISCORD_AVATAR_PATH if server_url else ""
    return DiscordMessage(username=server_name, content=f"{text}\n\n{server_url}", avatar_url=avatar)


@dataclass(frozen=True, slots=True)
class DirectoryPing:
    """What the directory is told while live (Owncast ``ypPingRequest``)."""

    key: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "url": self.url}


@dataclass(frozen=True, slots=True)
class DirectoryReply:
    """The directory's answer (Owncast ``ypPingResponse``): a new ``key`` to keep on success."""

    success: bool
    key: str = ""
    error: str = ""
    error_code: int = 0

    @classmethod
    def from_json(cls, data: object) -> DirectoryReply:
        """Lenient read of ``{"key", "success", "error", "errorCode"}``; raises ``ValidationError``
        for anything that is not a JSON object."""
        if not isinstance(data, dict):
            raise ValidationError("the directory did not answer with a JSON object")
        code = data.get("errorCode")
        return cls(
            success=data.get("success") is True,
            key=str(data.get("key") or ""),
            error=str(data.get("error") or ""),
            error_code=code if isinstance(code, int) and not isinstance(code, bool) else 0,
        )
