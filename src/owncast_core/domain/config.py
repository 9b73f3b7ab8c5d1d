"""Runtime configuration keys and Owncast v0.2's fresh-install defaults (``config/defaults.go``).

Runtime settings live in the ``ConfigRepository`` as JSON values under these keys and are changed
through the admin API. A key that was never written reads as its default here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from owncast_core.domain.stream import DEFAULT_LATENCY_LEVEL, DEFAULT_VARIANT

DEFAULT_ADMIN_PASSWORD: Final = "abc123"  # noqa: S105 - Owncast's documented default
DEFAULT_STREAM_KEY: Final = "abc123"

DEFAULT_PAGE_CONTENT: Final = """# Welcome to Owncast!

- This is a live stream powered by [Owncast](https://owncast.online), a free and open source live streaming server.

- To discover more examples of streams, visit [Owncast's directory](https://directory.owncast.online).

- If you're the owner of this server you should visit the admin and customize the content on this page.

<hr/>

<video id="video" controls preload="metadata" style="width: 60vw; max-width: 600px; min-width: 200px;" poster="https://videos.owncast.online/t/xaJ3xNn9Y6pWTdB25m9ai3">
  <source src="https://assets.owncast.tv/video/owncast-embed.mp4" type="video/mp4" />
</video>
"""


class Keys:
    """Names of configuration entries (the repository stores one JSON value per key)."""

    SERVER_NAME: Final = "server_name"
    SERVER_SUMMARY: Final = "server_summary"
    SERVER_URL: Final = "server_url"
    PAGE_CONTENT: Final = "page_content"
    WELCOME_MESSAGE: Final = "server_welcome_message"
    OFFLINE_MESSAGE: Final = "offline_message"
    STREAM_TITLE: Final = "stream_title"
    LOGO: Final = "logo_path"
    LOGO_UUID: Final = "logo_uuid"
    TAGS: Final = "server_metadata_tags"
    SOCIAL_HANDLES: Final = "social_handles"
    NSFW: Final = "nsfw"
    STREAM_KEYS: Final = "stream_keys"
    ADMIN_PASSWORD_HASH: Final = "admin_password_key"  # noqa: S105 - a key name, not a secret
    VIDEO_VARIANTS: Final = "video_stream_output_variants"
    LATENCY_LEVEL: Final = "video_latency_level"
    VIDEO_CODEC: Final = "video_codec"
    WEB_PORT: Final = "http_port_number"
    WEB_IP: Final = "http_listen_address"
    RTMP_PORT: Final = "rtmp_port_number"
    FFMPEG_PATH: Final = "ffmpeg_path"
    HIDE_VIEWER_COUNT: Final = "hide_viewer_count"
    DISABLE_SEARCH_INDEXING: Final = "disable_search_indexing"
    CUSTOM_STYLES: Final = "custom_styles"
    CUSTOM_JAVASCRIPT: Final = "custom_javascript"
    SOCKET_HOST_OVERRIDE: Final = "socket_host_override"
    VIDEO_SERVING_ENDPOINT: Final = "video_serving_endpoint"
    DIRECTORY_ENABLED: Final = "directory_enabled"
    DIRECTORY_KEY: Final = "directory_registration_key"
    S3: Final = "s3_storage_config"
    EXTERNAL_ACTIONS: Final = "external_actions"
    APPEARANCE: Final = "appearance_variables"
    CHAT_DISABLED: Final = "chat_disabled"
    CHAT_JOIN_MESSAGES_ENABLED: Final = "chat_join_messages_enabled"
    CHAT_ESTABLISHED_USER_MODE: Final = "chat_established_user_mode"
    CHAT_SPAM_PROTECTION_ENABLED: Final = "chat_spam_protection_enabled"
    CHAT_SLUR_FILTER_ENABLED: Final = "chat_slur_filter_enabled"
    FORBIDDEN_USERNAMES: Final = "forbidden_usernames"
    SUGGESTED_USERNAMES: Final = "suggested_usernames"
    FEDERATION_ENABLED: Final = "federation_enabled"
    FEDERATION_PRIVATE: Final = "federation_private"
    FEDERATION_USERNAME: Final = "federation_username"
    FEDERATION_GO_LIVE_MESSAGE: Final = "federation_go_live_message"
    FEDERATION_SHOW_ENGAGEMENT: Final = "federation_show_engagement"
    FEDERATION_BLOCKED_DOMAINS: Final = "federation_blocked_domains"
    FEDERATION_PUBLIC_KEY: Final = "public_key"  # Owncast's key names (RSA, PEM)
    FEDERATION_PRIVATE_KEY: Final = "private_key"
    DISCORD_CONFIG: Final = "discord_configuration"
    BROWSER_PUSH_CONFIG: Final = "browser_push_configuration"
    VAPID_PUBLIC_KEY: Final = "vapid_public_key"
    VAPID_PRIVATE_KEY: Final = "vapid_private_key"
    LAST_NOTIFIED_AT: Final = "last_go_live_notification_time"
    PEAK_VIEWERS_OVERALL: Final = "peak_viewers_overall"
    PEAK_VIEWERS_SESSION: Final = "peak_viewers_session"
    LAST_DISCONNECT_TIME: Final = "last_disconnect_time"
    PEAK_VIEWERS_SAVED_AT: Final = "peak_viewers_saved_at"
    RECORDINGS_ENABLED: Final = "recordings_enabled"  # ours: Owncast has no recordings
    RECORDINGS_RETENTION: Final = "recordings_retention"  # {"maxAgeDays", "maxTotalGB"}, 0 = no limit


DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        Keys.SERVER_NAME: "New Owncast Server",
        Keys.SERVER_SUMMARY: "This is a new live video streaming server powered by Owncast.",
        Keys.SERVER_URL: "",
        Keys.PAGE_CONTENT: DEFAULT_PAGE_CONTENT,
        Keys.WELCOME_MESSAGE: "",
        Keys.OFFLINE_MESSAGE: "",
        Keys.STREAM_TITLE: "",
        Keys.LOGO: "",
        Keys.LOGO_UUID: "",
        Keys.TAGS: ["owncast", "streaming"],
        Keys.SOCIAL_HANDLES: [{"platform": "github", "url": "https://github.com/owncast/owncast"}],
        Keys.NSFW: False,
        Keys.STREAM_KEYS: [{"key": DEFAULT_STREAM_KEY, "comment": "Default stream key"}],
        Keys.ADMIN_PASSWORD_HASH: "",
        Keys.VIDEO_VARIANTS: [DEFAULT_VARIANT.to_json()],
        Keys.LATENCY_LEVEL: DEFAULT_LATENCY_LEVEL,
        Keys.VIDEO_CODEC: "libx264",
        Keys.WEB_PORT: 8080,
        Keys.WEB_IP: "0.0.0.0",
        Keys.RTMP_PORT: 1935,
        Keys.FFMPEG_PATH: "",
        Keys.HIDE_VIEWER_COUNT: False,
        Keys.DISABLE_SEARCH_INDEXING: False,
        Keys.CUSTOM_STYLES: "",
        Keys.CUSTOM_JAVASCRIPT: "",
        Keys.SOCKET_HOST_OVERRIDE: "",
        Keys.VIDEO_SERVING_ENDPOINT: "",
        Keys.DIRECTORY_ENABLED: False,
        Keys.DIRECTORY_KEY: "",
        Keys.S3: {"enabled": False, "forcePathStyle": False},
        Keys.EXTERNAL_ACTIONS: [],
        Keys.APPEARANCE: {},
        Keys.CHAT_DISABLED: False,
        Keys.CHAT_JOIN_MESSAGES_ENABLED: True,
        Keys.CHAT_ESTABLISHED_USER_MODE: False,
        Keys.CHAT_SPAM_PROTECTION_ENABLED: True,
        Keys.CHAT_SLUR_FILTER_ENABLED: False,
        Keys.FORBIDDEN_USERNAMES: ["owncast", "operator", "admin", "system"],
        Keys.SUGGESTED_USERNAMES: [],
        Keys.FEDERATION_ENABLED: False,
        Keys.FEDERATION_PRIVATE: False,
        Keys.FEDERATION_USERNAME: "streamer",
        Keys.FEDERATION_GO_LIVE_MESSAGE: "I've gone live!",
        Keys.FEDERATION_SHOW_ENGAGEMENT: True,
        Keys.FEDERATION_BLOCKED_DOMAINS: [],
        Keys.FEDERATION_PUBLIC_KEY: "",
        Keys.FEDERATION_PRIVATE_KEY: "",
        Keys.DISCORD_CONFIG: {"enabled": False},
        Keys.BROWSER_PUSH_CONFIG: {"enabled": True, "goLiveMessage": "I've gone live!"},
        Keys.VAPID_PUBLIC_KEY: "",
        Keys.VAPID_PRIVATE_KEY: "",
        Keys.LAST_NOTIFIED_AT: None,
        Keys.PEAK_VIEWERS_OVERALL: 0,
        Keys.PEAK_VIEWERS_SESSION: 0,
        Keys.LAST_DISCONNECT_TIME: None,
        Keys.PEAK_VIEWERS_SAVED_AT: None,
        Keys.RECORDINGS_ENABLED: False,
        Keys.RECORDINGS_RETENTION: {"maxAgeDays": 0, "maxTotalGB": 0},
    }
)
"""Owncast v0.2 fresh-install values for every key."""
