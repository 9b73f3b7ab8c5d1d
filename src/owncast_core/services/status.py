"""StatusService: the server status snapshot shared by the public API, webhooks and integrations."""

from __future__ import annotations

from typing import Any

from owncast_core import __version__
from owncast_core.domain.config import Keys
from owncast_core.domain.timefmt import go_time
from owncast_core.ports.clock import Clock
from owncast_core.services.config import ConfigService
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService


class StatusService:
    """Builds Owncast's status objects from the stream, viewer and config services (no I/O)."""

    def __init__(self, *, stream: StreamService, viewers: ViewerService, config: ConfigService,
                 clock: Clock) -> None:
        self._stream = stream
        self._viewers = viewers
        self._config = config
        self._clock = clock

    def status(self) -> dict[str, Any]:
        """Owncast ``models.Status`` (webhook ``status``, ``/api/integrations/status``)."""
        state = self._stream.status()
        return {
            "online": state.online,
            "viewerCount": self._viewers.count(),
            "overallMaxViewerCount": self._viewers.overall_peak,
            "sessionMaxViewerCount": self._viewers.session_peak,
            "lastConnectTime": go_time(state.last_connect_time),
            "lastDisconnectTime": go_time(state.last_disconnect_time),
            "versionNumber": __version__,
            "streamTitle": self._config.string(Keys.STREAM_TITLE),
        }

    def admin_status(self, health: dict[str, Any] | None) -> dict[str, Any]:
        """``/api/admin/status``: the broadcaster's stream details (RTMP metadata), the output
        settings of the current broadcast, ``health`` (from the stats service) and peaks."""
        state = self._stream.status()
        broadcaster = None
        current = None
        if state.connected and state.details is not None:
            d = state.details
            broadcaster = {
                "remoteAddr": d.remote_addr,
                "time": go_time(d.connected_at),
                "streamDetails": {
                    "width": d.width,
                    "height": d.height,
                    "framerate": d.framerate,
                    "videoBitrate": int(d.video_bitrate),
                    "videoCodec": d.video_codec,
                    "audioBitrate": int(d.audio_bitrate),
                    "audioCodec": d.audio_codec,
                    "encoder": d.encoder,
                },
            }
            current = {"outputSettings": [v.to_json() for v in state.variants],
                       "latencyLevel": {"level": state.latency_level}}
        return {
            "broadcaster": broadcaster,
            "currentBroadcast": current,
            "health": health,
            "online": state.online,
            "viewerCount": self._viewers.count(),
            "overallPeakViewerCount": self._viewers.overall_peak,
            "sessionPeakViewerCount": self._viewers.session_peak,
            "versionNumber": __version__,
            "streamTitle": self._config.string(Keys.STREAM_TITLE),
        }

    def public_status(self) -> dict[str, Any]:
        """``/api/status``: ``viewerCount`` omitted when the streamer hides it."""
        state = self._stream.status()
        payload: dict[str, Any] = {
            "online": state.online,
            "viewerCount": self._viewers.count(),
            "lastConnectTime": go_time(state.last_connect_time),
            "lastDisconnectTime": go_time(state.last_disconnect_time),
            "serverTime": go_time(self._clock.now()),
            "versionNumber": __version__,
            "streamTitle": self._config.string(Keys.STREAM_TITLE),
        }
        if self._config.flag(Keys.HIDE_VIEWER_COUNT):
            del payload["viewerCount"]
        return payload
