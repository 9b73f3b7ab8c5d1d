"""RTMP chunk stream: a sans-I/O reader that turns bytes into messages, and a writer.

Timestamps (RTMP spec 5.3.1.2 as FFmpeg and librtmp read them): a type-0 header carries the
absolute timestamp, types 1 and 2 a delta, and a type-3 header that starts a new message repeats
the previous header's timestamp field as a delta (after a type-0 header that field is its
absolute timestamp). A field of 0xFFFFFF means a 4-byte extended timestamp follows; it is then
also present on type-3 chunks of that chunk stream, both on those that start a message and on
continuation chunks (the latter are detected, since some old encoders leave them out).
Absolute timestamps are kept modulo 2**32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from owncast_adapters.video.rtmp.errors import RtmpProtocolError

DEFAULT_CHUNK_SIZE: Final = 128
EXTENDED: Final = 0xFFFFFF
MASK32: Final = 0xFFFFFFFF
TYPE_SET_CHUNK_SIZE: Final = 1
TYPE_ABORT: Final = 2
_HEADER_SIZES: Final = (11, 7, 3, 0)
_NEED_MORE: Final[tuple[bool, None]] = (False, None)
_PARTIAL: Final[tuple[bool, None]] = (True, None)


@dataclass(frozen=True, slots=True)
class RtmpMessage:
    """One reassembled RTMP message; ``timestamp`` is absolute (32-bit, milliseconds)."""

    chunk_stream_id: int
    type_id: int
    stream_id: int
    timestamp: int
    payload: bytes


@dataclass(slots=True)
class _ChunkStream:
    timestamp: int = 0  # absolute timestamp of the current/last message
    field: int = 0  # last timestamp field (resolved if extended): fmt3 reuses it as a delta
    extended: bool = False  # last header used the extended timestamp
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    partial: bytearray | None = None  # payload of a message in progress


class ChunkReader:
    """Reassembles messages from the client's chunk stream (bytes after the handshake).

    ``feed`` takes any slice of the byte stream and returns the messages completed by it, in
    order. Set Chunk Size (type 1) and Abort (type 2) are applied here and not returned. Raises
    ``RtmpProtocolError`` for a chunk size outside 1..``max_chunk_size``, a message longer than
    ``max_message_length``, more than ``max_chunk_streams`` chunk streams, or a header that
    refers to a chunk stream with no earlier type-0/1 header; the reader is unusable afterwards.
    """

    def __init__(
        self,
        *,
        max_chunk_size: int = 1 << 20,
        max_message_length: int = 8 << 20,
        max_chunk_streams: int = 64,
    ) -> None:
        self._max_chunk_size = max_chunk_size
        self._max_length = max_message_length
        self._max_streams = max_chunk_streams
        self._chunk_size = DEFAULT_CHUNK_SIZE
        self._streams: dict[int, _ChunkStream] = {}
        self._buf = bytearray()
        self._pos = 0
        self._in_flight = 0  # announced length of all messages in progress

    @property
    def chunk_size(self) -> int:
        """The current incoming chunk size (128 until the client sets another)."""
        return self._chunk_size

    def feed(self, data: bytes) -> list[RtmpMessage]:
        """Consume ``data``; return the messages it completes."""
        self._buf += data
        out: list[RtmpMessage] = []
        while True:
            progressed, message = self._next_chunk()
            if not progressed:
                break
            if message is not None and not self._control(message):
                out.append(message)
        del self._buf[: self._pos]
        self._pos = 0
        return out

    def _control(self, message: RtmpMessage) -> bool:
        if message.type_id == TYPE_SET_CHUNK_SIZE:
            size = _u32(message.payload, "Set Chunk Size") & 0x7FFFFFFF
            if not 1 <= size <= self._max_chunk_size:
                raise RtmpProtocolError(f"chunk size {size} outside 1..{self._max_chunk_size}")
            self._chunk_size = size
            return True
        if message.type_id == TYPE_ABORT:
            stream = self._streams.get(_u32(message.payload, "Abort"))
            if stream is not None and stream.partial is not None:
                self._in_flight -= stream.length
                stream.partial = None
            return True
        return False

    def _next_chunk(self) -> tuple[bool, RtmpMessage | None]:
        """Parse one whole chunk: ``(consumed, completed message or None)``.

        Nothing is consumed (``(False, None)``) until the whole chunk is in the buffer.
        """
        buf, p, end = self._buf, self._pos, len(self._buf)
        if p >= end:
            return _NEED_MORE
        fmt, csid = buf[p] >> 6, buf[p] & 0x3F
        p += 1
        if csid < 2:
            extra = 1 if csid == 0 else 2
            if p + extra > end:
                return _NEED_MORE
            csid = 64 + buf[p] + (buf[p + 1] << 8 if extra == 2 else 0)
            p += extra
        if p + _HEADER_SIZES[fmt] > end:
            return _NEED_MORE
        stream = self._streams.get(csid)
        if stream is None:
            if fmt >= 2:
                raise RtmpProtocolError(f"chunk stream {csid} starts with a type-{fmt} header")
            if len(self._streams) >= self._max_streams:
                raise RtmpProtocolError(f"more than {self._max_streams} chunk streams")
            stream = _ChunkStream()
        length, type_id, stream_id = stream.length, stream.type_id, stream.stream_id
        continuing = fmt == 3 and stream.partial is not None
        field_value = stream.field
        extended = stream.extended
        if fmt <= 2:
            field_value = buf[p] << 16 | buf[p + 1] << 8 | buf[p + 2]
            extended = field_value == EXTENDED
            if fmt <= 1:
                length = buf[p + 3] << 16 | buf[p + 4] << 8 | buf[p + 5]
                type_id = buf[p + 6]
            if fmt == 0:
                stream_id = struct.unpack_from("<I", buf, p + 7)[0]
            p += _HEADER_SIZES[fmt]
        if extended:
            if p + 4 > end:
                return _NEED_MORE
            ext = struct.unpack_from(">I", buf, p)[0]
            if not continuing:
                field_value = ext
                p += 4
            elif ext == stream.field:  # present on this continuation chunk
                p += 4
        if length > self._max_length:
            raise RtmpProtocolError(f"message length {length} above the limit {self._max_length}")
        done = len(stream.partial) if continuing and stream.partial is not None else 0
        take = min(self._chunk_size, length - done)
        if p + take > end:
            return _NEED_MORE
        # The chunk is complete: commit.
        payload = bytes(buf[p : p + take])
        self._pos = p + take
        self._streams[csid] = stream
        if not continuing:
            if stream.partial is not None:  # a new header interrupts an unfinished message
                self._in_flight -= stream.length
            stream.timestamp = field_value if fmt == 0 else (stream.timestamp + field_value) & MASK32
            stream.field, stream.extended = field_value, extended
            stream.length, stream.type_id, stream.stream_id = length, type_id, stream_id
            if take == length:
                stream.partial = None
                return True, RtmpMessage(csid, type_id, stream_id, stream.timestamp, payload)
            self._in_flight += length
            if self._in_flight > 2 * self._max_length:
                raise RtmpProtocolError("too many large messages in progress at once")
            stream.partial = bytearray(payload)
            return _PARTIAL
        assert stream.partial is not None
        stream.partial += payload
        if len(stream.partial) < length:
            return _PARTIAL
        whole = bytes(stream.partial)
        stream.partial = None
        self._in_flight -= length
        return True, RtmpMessage(csid, type_id, stream_id, stream.timestamp, whole)


def _u32(payload: bytes, what: str) -> int:
    if len(payload) < 4:
        raise RtmpProtocolError(f"{what} message shorter than 4 bytes")
    value: int = struct.unpack_from(">I", payload)[0]
    return value


def _basic_header(fmt: int, csid: int) -> bytes:
    if 2 <= csid <= 63:
        return bytes((fmt << 6 | csid,))
    if 64 <= csid <= 319:
        return bytes((fmt << 6, csid - 64))
    if 320 <= csid <= 65599:
        return bytes((fmt << 6 | 1, (csid - 64) & 0xFF, (csid - 64) >> 8))
    raise ValueError(f"chunk stream id {csid} outside 2..65599")


class ChunkWriter:
    """Splits outgoing messages into chunks of ``chunk_size`` bytes.

    Every message starts with a type-0 header (absolute timestamp) and continues with type-3
    chunks; timestamps of 0xFFFFFF and above use the extended field on every chunk.
    """

    def __init__(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.chunk_size = chunk_size

    def encode(self, csid: int, type_id: int, stream_id: int, timestamp: int, payload: bytes) -> bytes:
        """Return the chunks carrying one message."""
        timestamp &= MASK32
        extended = timestamp >= EXTENDED
        ext = struct.pack(">I", timestamp) if extended else b""
        header = (
            _basic_header(0, csid)
            + (min(timestamp, EXTENDED)).to_bytes(3, "big")
            + len(payload).to_bytes(3, "big")
            + bytes((type_id,))
            + struct.pack("<I", stream_id)
            + ext
        )
        out = [header, payload[: self.chunk_size]]
        continuation = _basic_header(3, csid) + ext
        for start in range(self.chunk_size, len(payload), self.chunk_size):
            out += (continuation, payload[start : start + self.chunk_size])
        return b"".join(out)
