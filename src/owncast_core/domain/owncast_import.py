"""Moving from Owncast: what a Go Owncast v0.2 install holds, how its settings map to ours, and
the report of an import.

``map_config_entry`` turns one entry of Owncast's ``datastore`` (its key and the gob-decoded
value) into our configuration values, validated by the same rules the admin API applies
(``config_rules``), or says why it is skipped. It is pure: the admin password is the one entry
that needs a service (a plain-text password from Owncast before v0.1.1 is hashed by the caller).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Generic, TypeVar

from owncast_core.domain import config_rules as rules
from owncast_core.domain.config import Keys
from owncast_core.domain.timefmt import go_time
from owncast_core.errors import ValidationError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Extract(Generic[T]):
    """Rows read from the source, and one line per row that could not be read."""

    items: list[T] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LegacyConfigEntry:
    """One ``datastore`` row: ``value`` decoded from gob, or ``error`` saying why it could not be."""

    key: str
    value: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LegacyAccessToken:
    """A chat access token a browser holds (``user_access_tokens`` row)."""

    token: str
    user_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LegacyWebhook:
    """An Owncast webhook: Owncast had no signing secret, so the import makes one."""

    url: str
    events: tuple[str, ...]
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class LegacyFile:
    """A file of the data directory (the logo, a custom emoji): its base name and bytes."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something not imported and why, in words a streamer understands."""

    what: str
    reason: str


@dataclass
class CategoryReport:
    """What happened to one category (config, chat users, messages...)."""

    name: str
    imported: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    """What could not be imported (unreadable, refused by our rules, unknown)."""
    not_needed: list[Skipped] = field(default_factory=list)
    """What has nothing to carry over, by design (Owncast's own bookkeeping...)."""

    def skip(self, what: str, reason: str) -> None:
        self.skipped.append(Skipped(what, reason))

    def summary(self) -> str:
        """``"chat users: 120 imported, 3 already there, 1 skipped"``."""
        parts = [f"{self.imported:,} imported"]
        if self.unchanged:
            parts.append(f"{self.unchanged:,} already there")
        if self.skipped:
            parts.append(f"{len(self.skipped):,} skipped")
        if self.not_needed:
            parts.append(f"{len(self.not_needed):,} not needed")
        return f"{self.name}: " + ", ".join(parts)


@dataclass
class ImportReport:
    """The outcome of one import, category by category, in the order they ran."""

    source: str
    backup: str | None = None
    categories: list[CategoryReport] = field(default_factory=list)

    def category(self, name: str) -> CategoryReport:
        report = CategoryReport(name)
        self.categories.append(report)
        return report

    def lines(self, *, max_reasons: int = 5) -> list[str]:
        """A short human report: one line per category, then up to ``max_reasons`` skip
        reasons each."""
        out = [f"Imported from {self.source}"]
        if self.backup:
            out.append(f"Backup of the database before the import: {self.backup}")
        for cat in self.categories:
            out.append("  " + cat.summary())
            for item in cat.skipped[:max_reasons]:
                out.append(f"      skipped {item.what}: {item.reason}")
            if len(cat.skipped) > max_reasons:
                out.append(f"      ... and {len(cat.skipped) - max_reasons:,} more")
        return out

    @property
    def total_imported(self) -> int:
        return sum(c.imported for c in self.categories)


# ---- configuration ----------------------------------------------------------------------------

ADMIN_PASSWORD_KEY: Final = "admin_password_key"  # noqa: S105 - a key name, not a secret
LOGO_PATH_KEY: Final = "logo_path"
LOGO_UNIQUENESS_KEY: Final = "logo_uniqueness"

IGNORED_KEYS: Final[Mapping[str, str]] = {
    "server_init_date": "owncast-py does not keep the install date",
    "notifications_enabled": "not used by Owncast v0.2 itself",
    "has_configured_initial_notifications": "Owncast's own setup-wizard flag",
    "HAS_POPULATED_DEFAULTS": "Owncast's own bookkeeping",
    "HAS_POPULATED_FEDERATION_DEFAULTS": "Owncast's own bookkeeping",
    "peak_viewers_session": "a per-broadcast count that restarts with the next stream",
    LOGO_UNIQUENESS_KEY: "the logo gets a new cache-busting id when it is copied",
    LOGO_PATH_KEY: "the logo file is copied separately",
}
"""Owncast keys with nothing to carry over, and why (reported as skipped)."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"expected text, found {type(value).__name__}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"expected true/false, found {type(value).__name__}")
    return value


def _comma_list(value: Any) -> list[str]:
    """Owncast joins tags and blocked domains with commas into one string."""
    text = _text(value)
    return [part.strip() for part in text.split(",") if part.strip()]


def _nonzero_port(value: Any) -> int:
    return rules.parse_port(value)


def _latency(value: Any) -> int:
    # Owncast reads levels above 4 as 4
    number = value if isinstance(value, float | int) and not isinstance(value, bool) else None
    if number is not None and number > 4:
        return 4
    return rules.parse_latency_level(value)


def _nonempty_list(value: Any) -> list[str]:
    items = rules.parse_string_list(value)
    if not items:
        raise ValidationError("empty list (Owncast then uses its default list)")
    return items


def _server_url(value: Any) -> str:
    text = _text(value)
    return rules.parse_server_url(text) if text.strip() else ""


def _stream_keys(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise ValidationError("expected a list of stream keys")
    if not value:
        raise ValidationError(
            "Owncast has no stream keys; ours keeps its own (on a new install the default abc123, which anyone "
            "could use: set your own in the admin app)"
        )
    return rules.parse_stream_keys(
        [{"key": _go(item, "Key"), "comment": _go(item, "Comment")} for item in value]
    )


def _go(item: Any, name: str, default: Any = "") -> Any:
    """Field ``name`` of a decoded Go struct (a dict)."""
    if not isinstance(item, dict):
        raise ValidationError("expected a structure")
    return item.get(name, default)


def _social_handles(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise ValidationError("expected a list of social links")
    return rules.parse_social_handles(
        [{"platform": _go(h, "Platform"), "url": _go(h, "URL"), "icon": _go(h, "Icon")} for h in value]
    )


_PRESET_LEVELS: Final = {"ultrafast": 1, "superfast": 2, "veryfast": 3, "faster": 4, "fast": 5}


def _variants(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValidationError("expected a list of video variants")
    converted = []
    for v in value:
        level = _go(v, "CPUUsageLevel", 0)
        if not level:  # Owncast before v0.0.11 kept an x264 preset name instead of a level
            level = _PRESET_LEVELS.get(str(_go(v, "EncoderPreset") or "veryfast"), 3)
        converted.append({
            "name": _go(v, "Name"),
            "videoPassthrough": _go(v, "IsVideoPassthrough", False),
            "audioPassthrough": _go(v, "IsAudioPassthrough", False),
            "videoBitrate": _go(v, "VideoBitrate", 0),
            "audioBitrate": _go(v, "AudioBitrate", 0),
            "scaledWidth": _go(v, "ScaledWidth", 0),
            "scaledHeight": _go(v, "ScaledHeight", 0),
            "framerate": _go(v, "Framerate", 0),
            "cpuUsageLevel": level,
        })
    return rules.parse_variants(converted)


def _external_actions(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValidationError("expected a list of external actions")
    return rules.parse_external_actions([
        {"url": _go(a, "URL"), "html": _go(a, "HTML"), "title": _go(a, "Title"),
         "description": _go(a, "Description"), "icon": _go(a, "Icon"), "color": _go(a, "Color"),
         "openExternally": _go(a, "OpenExternally", False)}
        for a in value
    ])


def _s3(value: Any) -> dict[str, Any]:
    names = {"Endpoint": "endpoint", "AccessKey": "accessKey", "Secret": "secret", "Bucket": "bucket",
             "Region": "region", "ACL": "acl", "PathPrefix": "pathPrefix", "ServingEndpoint": "servingEndpoint",
             "Enabled": "enabled", "ForcePathStyle": "forcePathStyle"}
    return rules.parse_s3({ours: _go(value, go, None) for go, ours in names.items()})


def _discord(value: Any) -> dict[str, Any]:
    return rules.parse_discord({"enabled": _go(value, "Enabled", False), "webhook": _go(value, "Webhook"),
                                "goLiveMessage": _go(value, "GoLiveMessage")})


def _browser_push(value: Any) -> dict[str, Any]:
    return rules.parse_browser_push({"enabled": _go(value, "Enabled", False),
                                     "goLiveMessage": _go(value, "GoLiveMessage")})


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, float | int) or value < 0 or value != int(value):
        raise ValidationError("expected a whole number")
    return int(value)


def _null_time(value: Any) -> str | None:
    """``utils.NullTime`` decoded by the source into ``{"Time": datetime | None, "Valid": bool}``."""
    moment = _go(value, "Time", None)
    if not _go(value, "Valid", False) or not isinstance(moment, datetime):
        raise ValidationError("no time recorded")
    return go_time(moment)


Rule = Callable[[Any], Any]

CONFIG_RULES: Final[Mapping[str, tuple[str, Rule]]] = {
    "server_name": (Keys.SERVER_NAME, rules.parse_nonempty_string),
    "server_summary": (Keys.SERVER_SUMMARY, _text),
    "server_url": (Keys.SERVER_URL, _server_url),
    "extra_page_content": (Keys.PAGE_CONTENT, _text),
    "server_welcome_message": (Keys.WELCOME_MESSAGE, rules.parse_trimmed_string),
    "custom_offline_message": (Keys.OFFLINE_MESSAGE, rules.parse_trimmed_string),
    "stream_title": (Keys.STREAM_TITLE, _text),
    "server_metadata_tags": (Keys.TAGS, lambda v: rules.parse_tags(_comma_list(v))),
    "social_handles": (Keys.SOCIAL_HANDLES, _social_handles),
    "nsfw": (Keys.NSFW, _flag),
    "stream_keys": (Keys.STREAM_KEYS, _stream_keys),
    "video_stream_output_variants": (Keys.VIDEO_VARIANTS, _variants),
    "video_latency_level": (Keys.LATENCY_LEVEL, _latency),
    "video_codec": (Keys.VIDEO_CODEC, rules.parse_nonempty_string),
    "http_port_number": (Keys.WEB_PORT, _nonzero_port),
    "http_listen_address": (Keys.WEB_IP, rules.parse_ip_address),
    "rtmp_port_number": (Keys.RTMP_PORT, _nonzero_port),
    "ffmpeg_path": (Keys.FFMPEG_PATH, _text),
    "hide_viewer_count": (Keys.HIDE_VIEWER_COUNT, _flag),
    "disable_search_indexing": (Keys.DISABLE_SEARCH_INDEXING, _flag),
    "custom_styles": (Keys.CUSTOM_STYLES, _text),
    "custom_javascript": (Keys.CUSTOM_JAVASCRIPT, _text),
    "websocket_host_override": (Keys.SOCKET_HOST_OVERRIDE, _text),
    "video_serving_endpoint": (Keys.VIDEO_SERVING_ENDPOINT, rules.parse_optional_url),
    "directory_enabled": (Keys.DIRECTORY_ENABLED, _flag),
    "directory_registration_key": (Keys.DIRECTORY_KEY, _text),
    "s3_storage_config": (Keys.S3, _s3),
    "external_actions": (Keys.EXTERNAL_ACTIONS, _external_actions),
    "custom_color_variable_values": (Keys.APPEARANCE, rules.parse_appearance),
    "chat_disabled": (Keys.CHAT_DISABLED, _flag),
    "chat_join_messages_enabled": (Keys.CHAT_JOIN_MESSAGES_ENABLED, _flag),
    "chat_established_users_only_mode": (Keys.CHAT_ESTABLISHED_USER_MODE, _flag),
    "chat_spam_protection_enabled": (Keys.CHAT_SPAM_PROTECTION_ENABLED, _flag),
    "chat_slur_filter_enabled": (Keys.CHAT_SLUR_FILTER_ENABLED, _flag),
    "blocked_usernames": (Keys.FORBIDDEN_USERNAMES, _nonempty_list),
    "suggested_usernames": (Keys.SUGGESTED_USERNAMES, rules.parse_string_list),
    "federation_enabled": (Keys.FEDERATION_ENABLED, _flag),
    "federation_private": (Keys.FEDERATION_PRIVATE, _flag),
    "federation_username": (Keys.FEDERATION_USERNAME, rules.parse_nonempty_string),
    "federation_go_live_message": (Keys.FEDERATION_GO_LIVE_MESSAGE, _text),
    "federation_show_engagement": (Keys.FEDERATION_SHOW_ENGAGEMENT, _flag),
    "federation_blocked_domains": (Keys.FEDERATION_BLOCKED_DOMAINS, _comma_list),
    "public_key": (Keys.FEDERATION_PUBLIC_KEY, rules.parse_nonempty_string),
    "private_key": (Keys.FEDERATION_PRIVATE_KEY, rules.parse_nonempty_string),
    "discord_configuration": (Keys.DISCORD_CONFIG, _discord),
    "browser_push_configuration": (Keys.BROWSER_PUSH_CONFIG, _browser_push),
    "browser_push_public_key": (Keys.VAPID_PUBLIC_KEY, rules.parse_nonempty_string),
    "browser_push_private_key": (Keys.VAPID_PRIVATE_KEY, rules.parse_nonempty_string),
    "peak_viewers_overall": (Keys.PEAK_VIEWERS_OVERALL, _count),
    "last_disconnect_time": (Keys.LAST_DISCONNECT_TIME, _null_time),
}
"""Owncast datastore key -> (our key, rule turning the decoded Go value into our JSON value).
A rule raises ``ValidationError`` for a value we cannot take."""


@dataclass(frozen=True, slots=True)
class MappedEntry:
    """Our key and JSON value for one Owncast entry, or the reason it is skipped; ``needed`` is
    false for entries with nothing to carry over by design (``IGNORED_KEYS``)."""

    key: str | None = None
    value: Any = None
    skip_reason: str | None = None
    needed: bool = True


def map_config_entry(entry: LegacyConfigEntry) -> MappedEntry:
    """Our (key, value) for ``entry``, or why it is skipped (unreadable, unknown, invalid,
    nothing to carry over). The admin password is not handled here (see the service)."""
    if entry.error is not None:
        return MappedEntry(skip_reason=f"unreadable value ({entry.error})")
    if entry.key in IGNORED_KEYS:
        return MappedEntry(skip_reason=IGNORED_KEYS[entry.key], needed=False)
    rule = CONFIG_RULES.get(entry.key)
    if rule is None:
        return MappedEntry(skip_reason="not an Owncast v0.2 setting owncast-py knows")
    our_key, parse = rule
    try:
        return MappedEntry(key=our_key, value=parse(entry.value))
    except (ValidationError, ValueError, TypeError) as exc:
        return MappedEntry(skip_reason=f"value not accepted: {exc}")


def is_password_hash(value: str) -> bool:
    """A bcrypt hash as Owncast v0.2 stores the admin password (v0.1 kept plain text)."""
    return value.startswith(("$2a$", "$2b$", "$2y$")) and len(value) == 60
