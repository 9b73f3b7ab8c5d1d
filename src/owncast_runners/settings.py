"""Bootstrap settings: where data lives and which ports to listen on.

Resolved once at start-up from, in increasing precedence: defaults, ``OWNCAST_*`` environment
variables, command-line flags. Runtime settings (title, keys, variants...) are not here: they
live in the ConfigRepository and change through the admin API.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from owncast_core.domain.notifications import DEFAULT_DIRECTORY_URL


@dataclass(frozen=True, slots=True)
class Settings:
    """Typed bootstrap settings. Paths are derived from ``data_dir`` unless set explicitly."""

    data_dir: Path = Path("data")
    web_host: tuple[str, ...] = ("0.0.0.0", "::")
    web_port: int = 8080
    rtmp_host: str = "0.0.0.0"
    rtmp_port: int = 1935
    database: Path | None = None
    stream_key: str | None = None
    admin_password: str | None = None
    log_level: str = "INFO"
    backup_interval_seconds: float = 3600.0
    webhooks_allow_private: bool = False
    """Allow webhook URLs on loopback/private addresses (LAN receivers, tests); off by default
    so an admin cannot make the server probe its own network."""
    outbound_allow_private: bool = False
    """Allow go-live notifications (Discord, browser push endpoints), directory pings and
    Fediverse requests to loopback/private addresses, and Fediverse requests over plain
    ``http://`` (tests, LAN setups); off by default, as for webhooks."""
    directory_url: str = DEFAULT_DIRECTORY_URL
    """The Owncast directory pinged while live when the admin enables it (Owncast's YP server)."""
    listen_from_config: frozenset[str] = frozenset()
    """Which of ``web_port``, ``web_host`` and ``rtmp_port`` were given neither as a flag nor in
    the environment: those come from the admin-set runtime config (Owncast: flags win, else the
    stored ``webserverport``/``webserverip``/``rtmpserverport``)."""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def database_path(self) -> Path:
        return self.database if self.database is not None else self.data_dir / "owncast.db"

    @property
    def hls_dir(self) -> Path:
        return self.data_dir / "hls"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backup"

    @property
    def thumbnail_path(self) -> Path:
        return self.data_dir / "thumbnail.jpg"

    @property
    def public_dir(self) -> Path:
        return self.data_dir / "public"

    @property
    def geoip_path(self) -> Path:
        return self.data_dir / "GeoLite2-City.mmdb"

    @property
    def emoji_dir(self) -> Path:
        return self.data_dir / "emoji"

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the given fields replaced; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


ENV_PREFIX = "OWNCAST_"
_ENV_NAMES = {
    "data_dir": "DATA_DIR",
    "web_port": "WEB_PORT",
    "web_host": "WEB_HOST",
    "rtmp_port": "RTMP_PORT",
    "rtmp_host": "RTMP_HOST",
    "database": "DATABASE",
    "stream_key": "STREAM_KEY",
    "admin_password": "ADMIN_PASSWORD",
    "log_level": "LOG_LEVEL",
    "webhooks_allow_private": "WEBHOOKS_ALLOW_PRIVATE",
    "outbound_allow_private": "OUTBOUND_ALLOW_PRIVATE",
    "directory_url": "DIRECTORY_URL",
}


def settings_from_env(environ: Mapping[str, str] | None = None, base: Settings | None = None) -> Settings:
    """Apply ``OWNCAST_*`` variables to ``base``; raises ``ValueError`` naming a bad variable."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, suffix in _ENV_NAMES.items():
        raw = env.get(ENV_PREFIX + suffix)
        if raw is None or raw == "":
            continue
        values[name] = parse_setting(name, raw, variable=ENV_PREFIX + suffix)
    return (base or Settings()).with_overrides(**values)


def parse_setting(name: str, raw: str, *, variable: str) -> Any:
    """Convert a textual setting to its field type (ports checked to be 1..65535)."""
    if name in ("web_port", "rtmp_port"):
        try:
            port = int(raw)
        except ValueError:
            raise ValueError(f"{variable} must be a port number, got {raw!r}") from None
        if not 0 <= port <= 65535:
            raise ValueError(f"{variable} must be between 1 and 65535, got {port}")
        return port
    if name in ("webhooks_allow_private", "outbound_allow_private"):
        flag = raw.strip().lower()
        if flag not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ValueError(f"{variable} must be true or false, got {raw!r}")
        return flag in ("1", "true", "yes", "on")
    if name in ("data_dir", "database"):
        return Path(raw)
    if name == "web_host":
        return tuple(h.strip() for h in raw.split(",") if h.strip())
    return raw


SETTING_NAMES = tuple(f.name for f in fields(Settings))
LISTEN_SETTINGS = ("web_port", "web_host", "rtmp_port")
