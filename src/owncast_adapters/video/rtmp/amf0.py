"""AMF0 encoding and decoding (Action Message Format 0, as used by RTMP commands and FLV).

Python values map to AMF0 markers like this:

==================  =================================================
AMF0                Python
==================  =================================================
number              ``float`` (``int`` is accepted when encoding)
boolean             ``bool``
string/long string  ``str`` (long string chosen when over 65535 bytes)
object              ``dict[str, Any]``
ECMA array          ``EcmaArray`` (a ``dict`` subclass)
strict array        ``list`` (``tuple`` accepted when encoding)
null                ``None``
undefined           ``UNDEFINED``
date                ``Amf0Date``
XML document        ``str`` (decoded only)
typed object        ``dict`` (decoded only; the class name is dropped)
==================  =================================================

Decoding raises ``RtmpProtocolError`` for truncated input, unknown markers, bad UTF-8 and
nesting deeper than ``MAX_DEPTH``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Final

from owncast_adapters.video.rtmp.errors import RtmpProtocolError

NUMBER: Final = 0x00
BOOLEAN: Final = 0x01
STRING: Final = 0x02
OBJECT: Final = 0x03
NULL: Final = 0x05
UNDEFINED_MARKER: Final = 0x06
REFERENCE: Final = 0x07
ECMA_ARRAY: Final = 0x08
OBJECT_END: Final = 0x09
STRICT_ARRAY: Final = 0x0A
DATE: Final = 0x0B
LONG_STRING: Final = 0x0C
XML_DOCUMENT: Final = 0x0F
TYPED_OBJECT: Final = 0x10

MAX_DEPTH: Final = 32
_END_OF_OBJECT: Final = b"\x00\x00\x09"


class Undefined:
    """The AMF0 ``undefined`` value (use the ``UNDEFINED`` instance)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Undefined)

    def __hash__(self) -> int:
        return 0x06


UNDEFINED: Final = Undefined()


class EcmaArray(dict[str, Any]):
    """An associative array that encodes as AMF0 ECMA array (``onMetaData`` uses one)."""


@dataclass(frozen=True, slots=True)
class Amf0Date:
    """An AMF0 date: milliseconds since the Unix epoch and a (reserved) timezone in minutes."""

    timestamp_ms: float
    timezone: int = 0


# ---------------------------------------------------------------- encoding


def encode(*values: Any) -> bytes:
    """Encode values one after another; raises ``TypeError`` for a value AMF0 cannot hold."""
    out = bytearray()
    for value in values:
        _encode_value(out, value, 0)
    return bytes(out)


def _encode_key(out: bytearray, key: str) -> None:
    raw = key.encode("utf-8")
    if len(raw) > 0xFFFF:
        raise TypeError("AMF0 property name longer than 65535 bytes")
    out += struct.pack(">H", len(raw)) + raw


def _encode_value(out: bytearray, value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise TypeError("AMF0 value nested too deeply")
    if value is None:
        out.append(NULL)
    elif isinstance(value, Undefined):
        out.append(UNDEFINED_MARKER)
    elif isinstance(value, bool):
        out += bytes((BOOLEAN, 1 if value else 0))
    elif isinstance(value, (int, float)):
        out.append(NUMBER)
        out += struct.pack(">d", float(value))
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        if len(raw) <= 0xFFFF:
            out.append(STRING)
            out += struct.pack(">H", len(raw))
        else:
            out.append(LONG_STRING)
            out += struct.pack(">I", len(raw))
        out += raw
    elif isinstance(value, Amf0Date):
        out.append(DATE)
        out += struct.pack(">dh", value.timestamp_ms, value.timezone)
    elif isinstance(value, dict):
        if isinstance(value, EcmaArray):
            out.append(ECMA_ARRAY)
            out += struct.pack(">I", len(value))
        else:
            out.append(OBJECT)
        for key, item in value.items():
            _encode_key(out, str(key))
            _encode_value(out, item, depth + 1)
        out += _END_OF_OBJECT
    elif isinstance(value, (list, tuple)):
        out.append(STRICT_ARRAY)
        out += struct.pack(">I", len(value))
        for item in value:
            _encode_value(out, item, depth + 1)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as AMF0")


# ---------------------------------------------------------------- decoding


class Amf0Reader:
    """Reads AMF0 values from ``data`` starting at ``offset`` (advanced as values are read)."""

    def __init__(self, data: bytes, offset: int = 0) -> None:
        self._data = memoryview(data)
        self.offset = offset

    @property
    def remaining(self) -> int:
        """Bytes not read yet."""
        return len(self._data) - self.offset

    def read(self) -> Any:
        """Read one value; raises ``RtmpProtocolError`` when it is malformed or truncated."""
        return self._value(0)

    def read_all(self) -> list[Any]:
        """Read values until the data ends."""
        values = []
        while self.remaining > 0:
            values.append(self._value(0))
        return values

    def _take(self, count: int) -> memoryview:
        end = self.offset + count
        if end > len(self._data):
            raise RtmpProtocolError(f"AMF0 data truncated at byte {self.offset}")
        chunk = self._data[self.offset : end]
        self.offset = end
        return chunk

    def _text(self, length: int) -> str:
        try:
            return str(self._take(length), "utf-8")
        except UnicodeDecodeError as exc:
            raise RtmpProtocolError("AMF0 string is not valid UTF-8") from exc

    def _u16(self) -> int:
        value: int = struct.unpack(">H", self._take(2))[0]
        return value

    def _u32(self) -> int:
        value: int = struct.unpack(">I", self._take(4))[0]
        return value

    def _value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise RtmpProtocolError("AMF0 value nested too deeply")
        marker = self._take(1)[0]
        if marker == NUMBER:
            return struct.unpack(">d", self._take(8))[0]
        if marker == BOOLEAN:
            return self._take(1)[0] != 0
        if marker == STRING:
            return self._text(self._u16())
        if marker in (LONG_STRING, XML_DOCUMENT):
            return self._text(self._u32())
        if marker == NULL:
            return None
        if marker == UNDEFINED_MARKER:
            return UNDEFINED
        if marker == OBJECT:
            return self._properties(dict(), depth)
        if marker == TYPED_OBJECT:
            self._text(self._u16())  # class name
            return self._properties(dict(), depth)
        if marker == ECMA_ARRAY:
            self._u32()  # advisory count; the object-end marker terminates the array
            return self._properties(EcmaArray(), depth)
        if marker == STRICT_ARRAY:
            count = self._u32()
            if count > self.remaining:  # every element takes at least one byte
                raise RtmpProtocolError(f"AMF0 strict array of {count} items is truncated")
            return [self._value(depth + 1) for _ in range(count)]
        if marker == DATE:
            millis, timezone = struct.unpack(">dh", self._take(10))
            return Amf0Date(millis, timezone)
        if marker == OBJECT_END:
            raise RtmpProtocolError("AMF0 object-end marker outside an object")
        raise RtmpProtocolError(f"unsupported AMF0 marker 0x{marker:02x}")

    def _properties(self, target: dict[str, Any], depth: int) -> dict[str, Any]:
        while True:
            key = self._text(self._u16())
            if not key and self.remaining >= 1 and self._data[self.offset] == OBJECT_END:
                self.offset += 1
                return target
            target[key] = self._value(depth + 1)


def decode(data: bytes) -> list[Any]:
    """Decode every value in ``data``; raises ``RtmpProtocolError`` on malformed input."""
    return Amf0Reader(data).read_all()
