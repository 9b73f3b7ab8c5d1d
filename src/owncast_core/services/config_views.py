"""ConfigViews: the big read-only config documents of Owncast's API.

- ``web_config`` -> ``GET /api/config`` (``WebConfig``, page content rendered to HTML),
- ``server_config`` -> ``GET /api/admin/serverconfig`` (raw values, as the admin edits them),
- ``directory`` -> ``GET /api/yp`` (``None`` while the directory is disabled: the route 404s).

Shapes follow Owncast v0.2 (``webserver/handlers/config.go``, ``admin/serverConfig.go``,
``yp/api.go``), including Go's ``omitempty`` omissions and one quirk: ``/api/config``'s
``chatSpamProtectionDisabled`` carries the spam-protection *enabled* flag, as Owncast sends it.
"""

from __future__ import annotations

import platform
from collections.abc import Awaitable, Callable
from typing import Any, Final
from urllib.parse import urlsplit

from owncast_core import __version__
from owncast_core.domain.config import DEFAULTS, Keys
from owncast_core.domain.recordings import RetentionPolicy
from owncast_core.domain.social import with_icons
from owncast_core.errors import ValidationError
from owncast_core.ports.page import PageRenderer
from owncast_core.ports.system import EncoderProbe
from owncast_core.services.config import ConfigService
from owncast_core.services.status import StatusService

MAX_SOCKET_PAYLOAD_SIZE: Final = 2048
DEFAULT_LOGO_NAME: Final = "logo.svg"

FollowerCount = Callable[[], Awaitable[int]]


def release_string() -> str:
    """Owncast's ``GetReleaseString``: ``Owncast v<version>-<os>-<arch> (owncast-py)``."""
    return f"Owncast v{__version__}-{platform.system().lower()}-{platform.machine().lower()} (owncast-py)"


class ConfigViews:
    """Builds the config documents from ``ConfigService`` (cheap: rendering is memoised)."""

    def __init__(
        self,
        *,
        config: ConfigService,
        renderer: PageRenderer,
        encoders: EncoderProbe,
        status: StatusService,
        follower_count: FollowerCount | None = None,
        release: str | None = None,
    ) -> None:
        self._config = config
        self._renderer = renderer
        self._encoders = encoders
        self._status = status
        self._follower_count = follower_count
        self._release = release or release_string()
        self._rendered: dict[tuple[str, str], str] = {}

    def _render(self, kind: str, text: str) -> str:
        key = (kind, text)
        cached = self._rendered.get(key)
        if cached is None:
            cached = self._renderer.page(text) if kind == "page" else self._renderer.simple(text)
            if len(self._rendered) > 16:
                self._rendered.clear()
            self._rendered[key] = cached
        return cached

    async def web_config(self) -> dict[str, Any]:
        c = self._config
        server_url = c.string(Keys.SERVER_URL)
        federation: dict[str, Any] = {"enabled": False}
        if c.flag(Keys.FEDERATION_ENABLED):
            account = f"{self._federation_username()}@{urlsplit(server_url).netloc}"
            federation = {"enabled": True, "account": account}
            followers = await self._follower_count() if self._follower_count else 0
            if followers:
                federation["followerCount"] = followers
        browser_config = c.get(Keys.BROWSER_PUSH_CONFIG) or {}
        public_key = c.string(Keys.VAPID_PUBLIC_KEY)
        browser: dict[str, Any] = {"enabled": bool(browser_config.get("enabled")) and bool(public_key)}
        if public_key:
            browser["publicKey"] = public_key
        out: dict[str, Any] = {
            "appearanceVariables": c.get(Keys.APPEARANCE) or {},
            "name": c.string(Keys.SERVER_NAME),
            "customStyles": c.string(Keys.CUSTOM_STYLES),
            "streamTitle": c.string(Keys.STREAM_TITLE),
            "offlineMessage": self._render("simple", c.string(Keys.OFFLINE_MESSAGE)),
            "logo": "/logo",
            "version": self._release,
            "socketHostOverride": c.string(Keys.SOCKET_HOST_OVERRIDE),
            "extraPageContent": self._render("page", c.string(Keys.PAGE_CONTENT)),
            "summary": c.string(Keys.SERVER_SUMMARY),
            "tags": c.get(Keys.TAGS),
            "socialHandles": with_icons(c.get(Keys.SOCIAL_HANDLES)),
            "externalActions": c.get(Keys.EXTERNAL_ACTIONS),
            "notifications": {"browser": browser},
            "federation": federation,
            "maxSocketPayloadSize": MAX_SOCKET_PAYLOAD_SIZE,
            "hideViewerCount": c.flag(Keys.HIDE_VIEWER_COUNT),
            "chatDisabled": c.flag(Keys.CHAT_DISABLED),
            "chatSpamProtectionDisabled": c.flag(Keys.CHAT_SPAM_PROTECTION_ENABLED),  # sic, as Owncast
            "nsfw": c.flag(Keys.NSFW),
            "authentication": {"indieAuthEnabled": bool(server_url)},
        }
        for optional in ("streamTitle", "socketHostOverride"):
            if not out[optional]:
                del out[optional]
        return out

    def _recordings_retention(self) -> dict[str, Any]:
        """The stored policy; a damaged stored value reads as no limits (what retention applies)."""
        try:
            return RetentionPolicy.parse(self._config.get(Keys.RECORDINGS_RETENTION)).to_json()
        except ValidationError:
            return RetentionPolicy().to_json()

    def _federation_username(self) -> str:
        return self._config.string(Keys.FEDERATION_USERNAME) or str(DEFAULTS[Keys.FEDERATION_USERNAME])

    async def server_config(self) -> dict[str, Any]:
        c = self._config
        out: dict[str, Any] = {
            "instanceDetails": {
                "appearanceVariables": c.get(Keys.APPEARANCE) or {},
                "version": self._release,
                "welcomeMessage": c.string(Keys.WELCOME_MESSAGE),
                "offlineMessage": c.string(Keys.OFFLINE_MESSAGE),
                "logo": c.string(Keys.LOGO) or DEFAULT_LOGO_NAME,
                "name": c.string(Keys.SERVER_NAME),
                "extraPageContent": c.string(Keys.PAGE_CONTENT),
                "streamTitle": c.string(Keys.STREAM_TITLE),
                "customStyles": c.string(Keys.CUSTOM_STYLES),
                "customJavascript": c.string(Keys.CUSTOM_JAVASCRIPT),
                "summary": c.string(Keys.SERVER_SUMMARY),
                "tags": c.get(Keys.TAGS),
                "socialHandles": c.get(Keys.SOCIAL_HANDLES),
                "nsfw": c.flag(Keys.NSFW),
            },
            "notifications": {
                "browser": _omit_empty(c.get(Keys.BROWSER_PUSH_CONFIG) or {"enabled": False}),
                "discord": _omit_empty(c.get(Keys.DISCORD_CONFIG) or {"enabled": False}),
            },
            "yp": {"enabled": c.flag(Keys.DIRECTORY_ENABLED), "instanceUrl": c.string(Keys.SERVER_URL)},
            "ffmpegPath": c.string(Keys.FFMPEG_PATH),
            "adminPassword": c.admin_password_hash(),
            "socketHostOverride": c.string(Keys.SOCKET_HOST_OVERRIDE),
            "webServerIP": c.string(Keys.WEB_IP),
            "videoCodec": c.video_codec() or "libx264",
            "videoServingEndpoint": c.string(Keys.VIDEO_SERVING_ENDPOINT),
            "s3": c.get(Keys.S3),
            "federation": {
                "username": self._federation_username(),
                "goLiveMessage": c.string(Keys.FEDERATION_GO_LIVE_MESSAGE),
                "blockedDomains": c.get(Keys.FEDERATION_BLOCKED_DOMAINS),
                "enabled": c.flag(Keys.FEDERATION_ENABLED),
                "isPrivate": c.flag(Keys.FEDERATION_PRIVATE),
                "showEngagement": c.flag(Keys.FEDERATION_SHOW_ENGAGEMENT),
            },
            "supportedCodecs": await self._encoders.supported_codecs(),
            "externalActions": c.get(Keys.EXTERNAL_ACTIONS),
            "forbiddenUsernames": c.get(Keys.FORBIDDEN_USERNAMES) or list(DEFAULTS[Keys.FORBIDDEN_USERNAMES]),
            "suggestedUsernames": c.get(Keys.SUGGESTED_USERNAMES),
            "streamKeys": c.get(Keys.STREAM_KEYS),
            "videoSettings": {
                "videoQualityVariants": [v.to_json(computed_name=True) for v in c.variants()],
                "latencyLevel": c.latency().level,
            },
            "rtmpServerPort": c.number(Keys.RTMP_PORT),
            "webServerPort": c.number(Keys.WEB_PORT),
            "chatDisabled": c.flag(Keys.CHAT_DISABLED),
            "chatJoinMessagesEnabled": c.flag(Keys.CHAT_JOIN_MESSAGES_ENABLED),
            "chatEstablishedUserMode": c.flag(Keys.CHAT_ESTABLISHED_USER_MODE),
            "chatSpamProtectionEnabled": c.flag(Keys.CHAT_SPAM_PROTECTION_ENABLED),
            "chatSlurFilterEnabled": c.flag(Keys.CHAT_SLUR_FILTER_ENABLED),
            "disableSearchIndexing": c.flag(Keys.DISABLE_SEARCH_INDEXING),
            "streamKeyOverridden": c.stream_key_overridden,
            "hideViewerCount": c.flag(Keys.HIDE_VIEWER_COUNT),
            "recordingsEnabled": c.flag(Keys.RECORDINGS_ENABLED),  # ours: Owncast has no recordings
            "recordingsRetention": self._recordings_retention(),
        }
        if not out["socketHostOverride"]:
            del out["socketHostOverride"]
        return out

    def directory(self) -> dict[str, Any] | None:
        """``/api/yp`` (Owncast ``ypDetailsResponse``), or ``None`` when the directory is off."""
        c = self._config
        if not c.flag(Keys.DIRECTORY_ENABLED):
            return None
        status = self._status.status()
        out: dict[str, Any] = {
            "lastConnectTime": status["lastConnectTime"],
            "name": c.string(Keys.SERVER_NAME),
            "description": c.string(Keys.SERVER_SUMMARY),
            "streamTitle": c.string(Keys.STREAM_TITLE),
            "logo": "/logo",
            "tags": c.get(Keys.TAGS),
            "social": c.get(Keys.SOCIAL_HANDLES),
            "viewerCount": status["viewerCount"],
            "overallMaxViewerCount": status["overallMaxViewerCount"],
            "sessionMaxViewerCount": status["sessionMaxViewerCount"],
            "nsfw": c.flag(Keys.NSFW),
            "online": status["online"],
        }
        if not out["streamTitle"]:
            del out["streamTitle"]
        return out


def _omit_empty(values: dict[str, Any]) -> dict[str, Any]:
    """Go ``omitempty`` for the string fields of the notification configurations."""
    return {k: v for k, v in values.items() if v != ""}
