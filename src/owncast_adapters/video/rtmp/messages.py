"""RTMP message types and the builders/parsers for the messages the server exchanges."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from owncast_adapters.video.rtmp import amf0
from owncast_adapters.video.rtmp.errors import RtmpProtocolError


class MessageType(IntEnum):
    """RTMP message type ids (RTMP spec 5.4 and 7.1)."""

    SET_CHUNK_SIZE = 1
    ABORT = 2
    ACKNOWLEDGEMENT = 3
    USER_CONTROL = 4
    WINDOW_ACK_SIZE = 5
    SET_PEER_BANDWIDTH = 6
    AUDIO = 8
    VIDEO = 9
    DATA_AMF3 = 15
    COMMAND_AMF3 = 17
    DATA_AMF0 = 18
    COMMAND_AMF0 = 20
    AGGREGATE = 22


class UserControl(IntEnum):
    """User control event types (RTMP spec 7.1.7)."""

    STREAM_BEGIN = 0
    STREAM_EOF = 1
    SET_BUFFER_LENGTH = 3
    PING_REQUEST = 6
    PING_RESPONSE = 7


CONTROL_CSID: Final = 2
COMMAND_CSID: Final = 3
STREAM_CSID: Final = 5


def set_chunk_size(size: int) -> bytes:
    """Payload of Set Chunk Size."""
    return struct.pack(">I", size & 0x7FFFFFFF)


def u32(value: int) -> bytes:
    """Payload of Acknowledgement / Window Acknowledgement Size (a 32-bit number)."""
    return struct.pack(">I", value & 0xFFFFFFFF)


def set_peer_bandwidth(size: int, limit_type: int = 2) -> bytes:
    """Payload of Set Peer Bandwidth (limit type 2: dynamic)."""
    return struct.pack(">IB", size, limit_type)


def user_control(event: UserControl, value: int) -> bytes:
    """Payload of a user control event carrying one 32-bit value."""
    return struct.pack(">HI", event, value & 0xFFFFFFFF)


def parse_user_control(payload: bytes) -> tuple[int, int]:
    """``(event type, first 32-bit value or 0)``; raises ``RtmpProtocolError`` when too short."""
    if len(payload) < 2:
        raise RtmpProtocolError("user control message shorter than 2 bytes")
    event = struct.unpack_from(">H", payload)[0]
    value = struct.unpack_from(">I", payload, 2)[0] if len(payload) >= 6 else 0
    return int(event), int(value)


@dataclass(frozen=True, slots=True)
class Command:
    """An AMF command: name, transaction id, command object and further arguments."""

    name: str
    transaction_id: float
    command_object: Any
    args: tuple[Any, ...]

    def arg(self, index: int, default: Any = None) -> Any:
        """The ``index``-th argument after the command object, or ``default``."""
        return self.args[index] if index < len(self.args) else default


def amf0_body(type_id: int, payload: bytes) -> bytes:
    """The AMF0 part of a command/data payload (AMF3 variants start with a 0 format byte)."""
    if type_id in (MessageType.COMMAND_AMF3, MessageType.DATA_AMF3) and payload[:1] == b"\x00":
        return payload[1:]
    return payload


def parse_command(type_id: int, payload: bytes) -> Command:
    """Decode a command message; raises ``RtmpProtocolError`` when it is not one."""
    values = amf0.decode(amf0_body(type_id, payload))
    if not values or not isinstance(values[0], str):
        raise RtmpProtocolError("command message does not start with a name")
    tid = values[1] if len(values) > 1 and isinstance(values[1], float) else 0.0
    return Command(values[0], tid, values[2] if len(values) > 2 else None, tuple(values[3:]))


def command(name: str, transaction_id: float, *args: Any) -> bytes:
    """Encode a command (``_result``, ``onStatus``, ...) as an AMF0 payload."""
    return amf0.encode(name, transaction_id, *args)


def on_status(level: str, code: str, description: str) -> bytes:
    """Encode an ``onStatus`` command with its info object."""
    return command("onStatus", 0.0, None, {"level": level, "code": code, "description": description})


def parse_data(type_id: int, payload: bytes) -> list[Any]:
    """Decode a data message, dropping a leading ``@setDataFrame``."""
    values = amf0.decode(amf0_body(type_id, payload))
    if values and values[0] == "@setDataFrame":
        values = values[1:]
    return values


@dataclass(frozen=True, slots=True)
class SubMessage:
    """One audio/video/data message taken out of an aggregate message."""

    type_id: int
    timestamp: int
    payload: bytes


def split_aggregate(timestamp: int, payload: bytes) -> Iterator[SubMessage]:
    """Yield the FLV-tag-shaped sub-messages of an aggregate, rebased to ``timestamp``.

    Raises ``RtmpProtocolError`` for a truncated sub-message.
    """
    offset, base = 0, None
    while offset + 11 <= len(payload):
        type_id = payload[offset]
        size = int.from_bytes(payload[offset + 1 : offset + 4], "big")
        ts = int.from_bytes(payload[offset + 4 : offset + 7], "big") | payload[offset + 7] << 24
        end = offset + 11 + size
        if end > len(payload):
            raise RtmpProtocolError("aggregate sub-message truncated")
        base = ts if base is None else base
        yield SubMessage(type_id, (timestamp + ts - base) & 0xFFFFFFFF, payload[offset + 11 : end])
        offset = end + 4  # skip the back pointer
