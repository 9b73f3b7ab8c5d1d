"""What a publisher's commands and media mean: NetConnection/NetStream commands, the key
check, and the FLV byte stream handed to the ingest handler's sink. No socket I/O here."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from owncast_adapters.video.rtmp import amf0, flv
from owncast_adapters.video.rtmp.chunks import RtmpMessage
from owncast_adapters.video.rtmp.messages import (
    COMMAND_CSID,
    CONTROL_CSID,
    STREAM_CSID,
    Command,
    MessageType,
    UserControl,
    command,
    on_status,
    parse_command,
    parse_data,
    set_chunk_size,
    set_peer_bandwidth,
    split_aggregate,
    u32,
    user_control,
)
from owncast_adapters.video.rtmp.start import StartGate
from owncast_core.domain.stream import BroadcasterDetails
from owncast_core.errors import OwncastError, StreamAlreadyLive, StreamKeyRejected
from owncast_core.ports.video import IngestHandler, StreamSink

SERVER_WINDOW = 2_500_000
OUT_CHUNK_SIZE = 4096
MEDIA_TYPES = (MessageType.AUDIO, MessageType.VIDEO, MessageType.AGGREGATE)
ALREADY_LIVE = "stream already running; can not overtake an existing stream"

Send = Callable[[int, int, bytes, int], None]
"""``send(chunk stream id, message type, payload, message stream id)`` queues one message."""


def stream_key(app: str, name: str) -> str:
    """The stream key a publisher used: last path segment of ``app/name``, query removed.

    ``stream_key("live", "abc123") == stream_key("live/abc123", "") == "abc123"``.
    """
    path = f"{app.split('?', 1)[0]}/{name.split('?', 1)[0]}".strip("/")
    return path.rsplit("/", 1)[-1]


class EndConnection(Exception):
    """Raised to end the connection on purpose; the message is logged at ``level``."""

    def __init__(self, message: str, level: int = logging.INFO) -> None:
        super().__init__(message)
        self.level = level


class State(enum.Enum):
    """Where a publisher is: before an accepted ``publish``, waiting for metadata, or live."""

    CONNECTING = enum.auto()
    PUBLISHING = enum.auto()
    LIVE = enum.auto()


class PublishSession:
    """Handles the non-control messages of one connection.

    Replies go out through ``send``. ``handle`` raises ``EndConnection`` when the publisher must
    be dropped (rejected key, refused play) and lets sink errors (``TranscoderGone``) through.
    FLV bytes gather until ``flush`` writes them to the sink; ``close`` closes the sink once.
    ``in_begin`` is true while ``handler.begin`` runs (the connection must not cancel then).
    """

    def __init__(
        self,
        *,
        handler: IngestHandler,
        send: Send,
        remote_addr: str,
        now: Callable[[], datetime],
        hang_up: Callable[[], None],
        logger: logging.Logger,
    ) -> None:
        self._handler, self._send, self._now, self._hang_up, self._log = handler, send, now, hang_up, logger
        self.remote_addr = remote_addr
        self.state = State.CONNECTING
        self.ended = False
        self.in_begin = False
        self._app = ""
        self._stream_id = 1
        self._metadata: dict[str, Any] = {}
        self._sink: StreamSink | None = None
        self._gate: StartGate | None = None
        self._pending = bytearray()

    async def handle(self, message: RtmpMessage) -> None:
        """Act on one audio, video, aggregate, data or command message."""
        kind, payload = message.type_id, message.payload
        if kind in (MessageType.AUDIO, MessageType.VIDEO):
            await self._media(kind, message.timestamp, payload)
        elif kind in (MessageType.DATA_AMF0, MessageType.DATA_AMF3):
            await self._data(parse_data(kind, payload), message.timestamp)
        elif kind in (MessageType.COMMAND_AMF0, MessageType.COMMAND_AMF3):
            self._command(parse_command(kind, payload), message.stream_id)
        elif kind == MessageType.AGGREGATE:
            for sub in split_aggregate(message.timestamp, payload):
                if sub.type_id in (MessageType.AUDIO, MessageType.VIDEO):
                    await self._media(sub.type_id, sub.timestamp, sub.payload)
                elif sub.type_id == MessageType.DATA_AMF0:
                    await self._data(parse_data(sub.type_id, sub.payload), sub.timestamp)

    async def flush(self) -> None:
        """Write the FLV bytes gathered so far to the sink (waits while the consumer is behind)."""
        if self._pending and self._sink is not None:
            data, self._pending = bytes(self._pending), bytearray()
            await self._sink.write(data)

    async def close(self) -> None:
        """Close the sink if ``begin`` returned one, after what the start gate still held (the
        publisher left before every stream began); later calls do nothing."""
        if self._gate is not None and not self._gate.is_open and self._sink is not None:
            self._pending += self._gate.release()
            try:
                await self.flush()
            except Exception as exc:  # the transcoder may be gone: closing the sink still matters
                self._log.debug("RTMP %s: last FLV bytes not written: %s", self.remote_addr, exc)
        sink, self._sink = self._sink, None
        if sink is not None:
            await sink.close()

    async def _media(self, kind: int, timestamp: int, payload: bytes) -> None:
        if self.state is State.CONNECTING:
            return
        if self.state is State.PUBLISHING:
            await self._go_live()
        assert self._gate is not None
        self._pending += self._gate.offer(kind, timestamp, flv.tag(kind, timestamp, payload))

    async def _data(self, values: list[Any], timestamp: int) -> None:
        if self.state is State.CONNECTING or not values or values[0] != "onMetaData":
            return
        metadata = dict(values[1]) if len(values) > 1 and isinstance(values[1], dict) else {}
        if self.state is State.PUBLISHING:
            self._metadata = metadata
            await self._go_live()
        else:
            assert self._gate is not None
            self._pending += self._gate.offer(flv.TAG_SCRIPT, timestamp, flv.metadata_tag(metadata, timestamp))

    async def _go_live(self) -> None:
        details = BroadcasterDetails.from_metadata(
            self._metadata, remote_addr=self.remote_addr, connected_at=self._now()
        )
        self.in_begin = True
        try:
            self._sink = await self._handler.begin(details, self._hang_up)
        except StreamAlreadyLive:
            self._status("error", "NetStream.Publish.BadName", ALREADY_LIVE)
            raise EndConnection("rejected publish: a stream is already live", logging.WARNING) from None
        except OwncastError as exc:
            self._status("error", "NetStream.Publish.Failed", "could not start the broadcast")
            raise EndConnection(f"could not start the broadcast: {exc}", logging.ERROR) from exc
        finally:
            self.in_begin = False
        self.state = State.LIVE
        self._log.debug("RTMP %s: live, %s", self.remote_addr, details.describe())  # the handler logs it
        # The FLV header goes out once every announced stream has begun (see StartGate).
        announced = frozenset(
            kind for kind, on in ((flv.TAG_AUDIO, details.has_audio), (flv.TAG_VIDEO, details.has_video)) if on
        )
        self._gate = StartGate(announced, flv.metadata_tag(self._metadata), logger=self._log, who=self.remote_addr)

    def _command(self, cmd: Command, stream_id: int) -> None:
        name, tid = cmd.name, cmd.transaction_id
        if name == "connect":
            props = cmd.command_object if isinstance(cmd.command_object, dict) else {}
            self._app = str(props.get("app") or "")
            self._send(CONTROL_CSID, MessageType.WINDOW_ACK_SIZE, u32(SERVER_WINDOW), 0)
            self._send(CONTROL_CSID, MessageType.SET_PEER_BANDWIDTH, set_peer_bandwidth(SERVER_WINDOW), 0)
            self._send(CONTROL_CSID, MessageType.SET_CHUNK_SIZE, set_chunk_size(OUT_CHUNK_SIZE), 0)
            info = {
                "level": "status",
                "code": "NetConnection.Connect.Success",
                "description": "Connection succeeded.",
                "objectEncoding": 0.0,
            }
            self._reply(command("_result", tid, {"fmsVer": "FMS/3,0,1,123", "capabilities": 31.0}, info))
        elif name in ("releaseStream", "FCPublish") and tid:
            self._reply(command("_result", tid, None, amf0.UNDEFINED))
        elif name == "createStream":
            self._reply(command("_result", tid, None, float(self._stream_id)))
        elif name == "publish":
            self._publish(str(cmd.arg(0) or ""), stream_id)
        elif name in ("FCUnpublish", "deleteStream", "closeStream") and self.state is not State.CONNECTING:
            self.ended = True
            self._log.info("RTMP %s: publisher ended the stream (%s)", self.remote_addr, name)
        elif name == "play":
            self._stream_id = stream_id
            self._status("error", "NetStream.Play.Failed", "playback is not supported")
            raise EndConnection("refused play: this server only accepts publishers")

    def _reply(self, payload: bytes) -> None:
        self._send(COMMAND_CSID, MessageType.COMMAND_AMF0, payload, 0)

    def _status(self, level: str, code: str, description: str) -> None:
        payload = on_status(level, code, description)
        self._send(STREAM_CSID, MessageType.COMMAND_AMF0, payload, self._stream_id)

    def _publish(self, name: str, stream_id: int) -> None:
        if self.state is not State.CONNECTING:
            return
        self._stream_id = stream_id
        try:
            self._handler.authorize(stream_key(self._app, name), self.remote_addr)
        except StreamKeyRejected:
            self._status("error", "NetStream.Publish.BadName", "invalid stream key")
            raise EndConnection("rejected publish: invalid stream key", logging.DEBUG) from None
        except StreamAlreadyLive:
            self._status("error", "NetStream.Publish.BadName", ALREADY_LIVE)
            raise EndConnection("rejected publish: a stream is already live", logging.DEBUG) from None
        begin = user_control(UserControl.STREAM_BEGIN, stream_id)
        self._send(CONTROL_CSID, MessageType.USER_CONTROL, begin, 0)
        self._status("status", "NetStream.Publish.Start", "Publishing live.")
        self.state = State.PUBLISHING
        self._log.info("RTMP %s: publish accepted", self.remote_addr)
