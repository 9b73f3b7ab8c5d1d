"""AdminConfigService: every ``POST /api/admin/config/<name>`` setter of Owncast v0.2.

``apply(name, body)`` validates ``body["value"]`` with the pure rules of
``domain.config_rules``, stores the result through ``ConfigService`` (all keys of one setter in
one atomic write) and returns Owncast's success message. A bad value raises ``ValidationError``
and changes nothing; an unknown setter raises ``NotFoundError``. After a change it publishes
``ConfigChanged``; a non-empty stream title also publishes ``StreamTitleChanged`` (the webhook
``STREAM_TITLE_UPDATED``) and posts the chat action "Stream title changed to **<title>**".
Variant and latency changes take effect at the next stream start (``StreamService.begin`` reads
them then).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from owncast_core.domain import config_rules as rules
from owncast_core.domain.config import Keys
from owncast_core.domain.events import ConfigChanged, StreamTitleChanged
from owncast_core.domain.recordings import parse_retention
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.ports.assets import LogoStore
from owncast_core.ports.bus import EventBus
from owncast_core.ports.clock import Clock, IdGenerator
from owncast_core.ports.system import EncoderProbe
from owncast_core.services.config import ConfigService


class ChatActionSender(Protocol):
    """The part of the chat service this one needs: post a CHAT_ACTION (``persist=False``:
    shown to connected clients only, as Owncast's ephemeral system actions)."""

    async def send_action(self, body: str, *, persist: bool = True) -> Any: ...


@dataclass(frozen=True, slots=True)
class _Setter:
    key: str
    parse: rules.Parser
    message: str


_SIMPLE: Final[Mapping[str, _Setter]] = {
    "name": _Setter(Keys.SERVER_NAME, rules.parse_string, "changed"),
    "serversummary": _Setter(Keys.SERVER_SUMMARY, rules.parse_string, "changed"),
    "pagecontent": _Setter(Keys.PAGE_CONTENT, rules.parse_string, "changed"),
    "welcomemessage": _Setter(Keys.WELCOME_MESSAGE, rules.parse_trimmed_string, "changed"),
    "offlinemessage": _Setter(Keys.OFFLINE_MESSAGE, rules.parse_trimmed_string, "changed"),
    "customstyles": _Setter(Keys.CUSTOM_STYLES, rules.parse_string, "custom styles updated"),
    "customjavascript": _Setter(Keys.CUSTOM_JAVASCRIPT, rules.parse_string, "custom styles updated"),
    "sockethostoverride": _Setter(Keys.SOCKET_HOST_OVERRIDE, rules.parse_string,
                                  "websocket host override set"),
    "videoservingendpoint": _Setter(Keys.VIDEO_SERVING_ENDPOINT, rules.parse_optional_url,
                                    "custom video serving endpoint updated"),
    "tags": _Setter(Keys.TAGS, rules.parse_tags, "changed"),
    "socialhandles": _Setter(Keys.SOCIAL_HANDLES, rules.parse_social_handles, "social handles updated"),
    "nsfw": _Setter(Keys.NSFW, rules.parse_bool, "changed"),
    "directoryenabled": _Setter(Keys.DIRECTORY_ENABLED, rules.parse_bool, "directory state changed"),
    "hideviewercount": _Setter(Keys.HIDE_VIEWER_COUNT, rules.parse_bool, "hide viewer count setting updated"),
    "disablesearchindexing": _Setter(Keys.DISABLE_SEARCH_INDEXING, rules.parse_bool,
                                     "search indexing support updated"),
    "streamkeys": _Setter(Keys.STREAM_KEYS, rules.parse_stream_keys, "changed"),
    "key": _Setter(Keys.STREAM_KEYS, rules.parse_single_stream_key, "changed"),
    "webserverport": _Setter(Keys.WEB_PORT, rules.parse_port, "HTTP port set"),
    "webserverip": _Setter(Keys.WEB_IP, rules.parse_ip_address, "HTTP listen address set"),
    "rtmpserverport": _Setter(Keys.RTMP_PORT, rules.parse_port, "rtmp port set"),
    "serverurl": _Setter(Keys.SERVER_URL, rules.parse_server_url, "server url set"),
    "video/streamlatencylevel": _Setter(Keys.LATENCY_LEVEL, rules.parse_latency_level, "set stream latency"),
    "video/streamoutputvariants": _Setter(Keys.VIDEO_VARIANTS, rules.parse_variants,
                                          "stream output variants updated"),
    "s3": _Setter(Keys.S3, rules.parse_s3, "storage configuration changed"),
    "externalactions": _Setter(Keys.EXTERNAL_ACTIONS, rules.parse_external_actions,
                               "external actions update"),
    "appearance": _Setter(Keys.APPEARANCE, rules.parse_appearance, "custom appearance variables updated"),
    "chat/disable": _Setter(Keys.CHAT_DISABLED, rules.parse_bool, "chat disabled status updated"),
    "chat/joinmessagesenabled": _Setter(Keys.CHAT_JOIN_MESSAGES_ENABLED, rules.parse_bool,
                                        "chat join message status updated"),
    "chat/establishedusermode": _Setter(Keys.CHAT_ESTABLISHED_USER_MODE, rules.parse_bool,
                                        "established user mode updated"),
    "chat/spamprotectionenabled": _Setter(Keys.CHAT_SPAM_PROTECTION_ENABLED, rules.parse_bool,
                                          "chat spam protection changed"),
    "chat/slurfilterenabled": _Setter(Keys.CHAT_SLUR_FILTER_ENABLED, rules.parse_bool,
                                      "chat message slur filter changed"),
    "chat/forbiddenusernames": _Setter(Keys.FORBIDDEN_USERNAMES, rules.parse_string_list,
                                       "forbidden username list updated"),
    "chat/suggestedusernames": _Setter(Keys.SUGGESTED_USERNAMES, rules.parse_string_list,
                                       "suggested username list updated"),
    "federation/enable": _Setter(Keys.FEDERATION_ENABLED, rules.parse_bool, "federation features saved"),
    "federation/private": _Setter(Keys.FEDERATION_PRIVATE, rules.parse_bool, "federation private saved"),
    "federation/showengagement": _Setter(Keys.FEDERATION_SHOW_ENGAGEMENT, rules.parse_bool,
                                         "federation show engagement saved"),
    "federation/username": _Setter(Keys.FEDERATION_USERNAME, rules.parse_string, "username saved"),
    "federation/livemessage": _Setter(Keys.FEDERATION_GO_LIVE_MESSAGE, rules.parse_string, "message saved"),
    "federation/blockdomains": _Setter(Keys.FEDERATION_BLOCKED_DOMAINS, rules.parse_string_list, "saved"),
    "recordings/enabled": _Setter(Keys.RECORDINGS_ENABLED, rules.parse_bool, "recordings setting updated"),
    "recordings/retention": _Setter(Keys.RECORDINGS_RETENTION, parse_retention, "recordings retention updated"),
    "notifications/discord": _Setter(Keys.DISCORD_CONFIG, rules.parse_discord,
                                     "updated discord config with provided values"),
    "notifications/browser": _Setter(Keys.BROWSER_PUSH_CONFIG, rules.parse_browser_push,
                                     "updated browser push config with provided values"),
}

_SPECIAL: Final = ("streamtitle", "adminpass", "logo", "ffmpegpath", "video/codec")

SETTER_NAMES: Final = tuple(sorted((*_SIMPLE, *_SPECIAL)))
"""Every ``<name>`` of ``POST /api/admin/config/<name>`` this service accepts."""


class AdminConfigService:
    """Applies admin setters (see the module docstring)."""

    def __init__(
        self,
        *,
        config: ConfigService,
        bus: EventBus,
        clock: Clock,
        ids: IdGenerator,
        logo_store: LogoStore,
        encoders: EncoderProbe,
        chat: ChatActionSender | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._config = config
        self._bus = bus
        self._clock = clock
        self._ids = ids
        self._logo_store = logo_store
        self._encoders = encoders
        self._chat = chat
        self._log = logger or logging.getLogger("owncast.admin")

    def attach_chat(self, chat: ChatActionSender) -> None:
        """Late wiring: the chat service posts the stream-title action once it exists."""
        self._chat = chat

    async def apply(self, name: str, body: object) -> str:
        """Run setter ``name`` with ``body`` (the decoded request JSON); returns the message."""
        if name not in _SIMPLE and name not in _SPECIAL:
            raise NotFoundError(f"unknown setting {name!r}")
        if not isinstance(body, dict) or "value" not in body:
            raise ValidationError("unable to parse new value")
        value = body["value"]
        if name in _SIMPLE:
            setter = _SIMPLE[name]
            await self._store(name, {setter.key: setter.parse(value)})
            return setter.message
        if name == "streamtitle":
            return await self.set_stream_title(value)
        if name == "adminpass":
            password = rules.parse_nonempty_string(value)
            await self._config.set_admin_password(password)
            await self._changed(name, (Keys.ADMIN_PASSWORD_HASH,))
            return "changed"
        if name == "logo":
            image = rules.decode_image_data_uri(value)
            filename = await self._logo_store.save(image.data, image.extension)
            await self._store(name, {Keys.LOGO: filename, Keys.LOGO_UUID: self._ids.new_id()})
            return "changed"
        if name == "ffmpegpath":
            path = rules.parse_string(value).strip()
            await self._encoders.verify_ffmpeg(path)
            await self._store(name, {Keys.FFMPEG_PATH: path})
            return "changed"
        codec = rules.parse_nonempty_string(value)
        supported = await self._encoders.supported_codecs()
        if supported and codec not in supported:
            choices = ", ".join(supported)
            raise ValidationError(f"unable to update codec: {codec} is not supported here ({choices})")
        await self._store(name, {Keys.VIDEO_CODEC: codec})
        return "video codec updated"

    async def set_stream_title(self, value: object) -> str:
        """The ``streamtitle`` setter (also used by ``/api/integrations/streamtitle``)."""
        title = rules.parse_string(value)
        await self._store("streamtitle", {Keys.STREAM_TITLE: title})
        if title:
            await self._bus.publish(StreamTitleChanged(title=title, at=self._clock.now()))
            if self._chat is not None:
                try:
                    await self._chat.send_action(f"Stream title changed to **{title}**", persist=False)
                except Exception as exc:  # the title is saved; the chat notice is best-effort
                    self._log.warning("could not announce the new stream title in chat: %s", exc)
        return "changed"

    async def _store(self, name: str, values: dict[str, Any]) -> None:
        await self._config.set_many(values)
        await self._changed(name, tuple(values))

    async def _changed(self, name: str, keys: tuple[str, ...]) -> None:
        await self._bus.publish(ConfigChanged(name=name, keys=keys, at=self._clock.now()))
