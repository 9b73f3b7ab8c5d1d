"""A decoder for Go's ``encoding/gob`` streams (https://pkg.go.dev/encoding/gob), pure Python.

Owncast stores every configuration value as one gob stream. ``decode_gob(data)`` returns the
first value of such a stream as plain Python: bool, int (Go int/uint of any width), float,
str, bytes (``[]byte``), list (slices and arrays), dict (maps, and structs keyed by Go field
name; fields gob omitted because they held their zero value are filled in with that zero
value, so every declared field is present). A type that encodes itself (``GobEncoder``,
``BinaryMarshaler``, ``TextMarshaler``, e.g. ``time.Time``) decodes to ``GobOpaque`` holding
its type name and raw bytes; ``decode_go_time`` reads ``time.Time``'s bytes.

Malformed input of any kind raises ``GobError`` (one exception type, never ``IndexError`` or
``RecursionError``); lengths are checked against the bytes left and nesting is capped at
``MAX_DEPTH``, so hostile input can neither hang the decoder nor exhaust memory or the stack.
Interface values and complex numbers are refused with ``GobError``: Owncast stores neither.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting of values and type definitions accepted."""

MAX_MESSAGE = 64 * 1024 * 1024
"""Largest single gob message accepted, in bytes."""

MAX_VALUES = 1_000_000
"""Most values (decoded or zero-filled) one ``decode_gob`` call produces: omitted struct fields
are filled with zero values from the type definitions alone, so without a budget a small hostile
input could describe an exponentially large zero value."""

# Predefined type ids (encoding/gob/type.go's table: fixed by the wire format).
_BOOL, _INT, _UINT, _FLOAT, _BYTES, _STRING, _COMPLEX, _INTERFACE = 1, 2, 3, 4, 5, 6, 7, 8
_WIRE_TYPE, _ARRAY_TYPE, _COMMON_TYPE, _SLICE_TYPE, _STRUCT_TYPE, _FIELD_TYPE = 16, 17, 18, 19, 20, 21
_FIELD_TYPE_SLICE, _MAP_TYPE = 22, 23
_FIRST_USER_ID = 65


class GobError(ValueError):
    """The bytes are not a well-formed gob stream (or use a feature this decoder refuses)."""


@dataclass(frozen=True, slots=True)
class GobOpaque:
    """A value its Go type encoded itself (``GobEncode``/``MarshalBinary``/``MarshalText``)."""

    type_name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class _Struct:
    name: str
    fields: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class _Slice:
    elem: int


@dataclass(frozen=True, slots=True)
class _Array:
    elem: int
    length: int


@dataclass(frozen=True, slots=True)
class _Map:
    key: int
    elem: int


@dataclass(frozen=True, slots=True)
class _Opaque:
    name: str


_Wire = _Struct | _Slice | _Array | _Map | _Opaque


class _Reader:
    """A cursor over bytes that refuses to read past the end."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.pos = 0

    @property
    def left(self) -> int:
        return len(self._data) - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or n > self.left:
            raise GobError(f"truncated: need {n} bytes at offset {self.pos}, {self.left} left")
        chunk = self._data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def read_uint(self) -> int:
        first = self.take(1)[0]
        if first < 0x80:
            return first
        count = 256 - first
        if count > 8:
            raise GobError(f"bad unsigned integer length {count} at offset {self.pos - 1}")
        return int.from_bytes(self.take(count), "big")

    def read_int(self) -> int:
        u = self.read_uint()
        return ~(u >> 1) if u & 1 else u >> 1

    def read_float(self) -> float:
        bits = self.read_uint()
        value: float = struct.unpack("<d", bits.to_bytes(8, "big"))[0]
        return value

    def read_bool(self) -> bool:
        u = self.read_uint()
        if u > 1:
            raise GobError(f"bad boolean {u} at offset {self.pos}")
        return u == 1

    def length(self, what: str) -> int:
        n = self.read_uint()
        if n > self.left:
            raise GobError(f"{what} of {n} exceeds the {self.left} bytes left")
        return n

    def read_bytes(self) -> bytes:
        return self.take(self.length("byte string"))

    def read_string(self) -> str:
        raw = self.read_bytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GobError(f"string is not UTF-8: {exc}") from exc


class GobDecoder:
    """Decodes the values of one gob stream, remembering the type definitions it carries."""

    def __init__(self, data: bytes, *, max_values: int = MAX_VALUES) -> None:
        self._stream = _Reader(bytes(data))
        self._types: dict[int, _Wire] = {}
        self._max_values = max_values
        self._budget = max_values

    def _spend(self) -> None:
        self._budget -= 1
        if self._budget < 0:
            raise GobError(f"more than {self._max_values} values")

    def next_value(self) -> Any:
        """The next value of the stream (type definitions before it are consumed)."""
        while True:
            if self._stream.left == 0:
                raise GobError("no value in the gob stream")
            size = self._stream.read_uint()
            if size == 0 or size > MAX_MESSAGE:
                raise GobError(f"bad message length {size}")
            message = _Reader(self._stream.take(size))
            type_id = message.read_int()
            if type_id < 0:
                self._define(-type_id, message)
                continue
            value = self._top_level(type_id, message)
            if message.left:
                raise GobError(f"{message.left} unread bytes after the value")
            return value

    # type definitions ---------------------------------------------------------------------------
    def _define(self, type_id: int, message: _Reader) -> None:
        if type_id < _FIRST_USER_ID:
            raise GobError(f"type definition for reserved id {type_id}")
        if type_id in self._types:
            raise GobError(f"type {type_id} defined twice")
        self._types[type_id] = self._wire_type(message)
        if message.left:
            raise GobError(f"{message.left} unread bytes after type definition {type_id}")

    def _wire_type(self, r: _Reader) -> _Wire:
        # wireType {ArrayT, SliceT, StructT, MapT, GobEncoderT, BinaryMarshalerT, TextMarshalerT}
        field = -1
        found: _Wire | None = None
        while (delta := r.read_uint()) != 0:
            field += delta
            if found is not None:
                raise GobError("type definition with more than one kind")
            if field == 0:
                self._common(r)
                elem, length = 0, 0
                for number, value in self._fields(r, 2):
                    if number == 1:
                        elem = value
                    else:
                        length = value
                found = _Array(elem, length)
            elif field == 1:
                self._common(r)
                found = _Slice(dict(self._fields(r, 1)).get(1, 0))
            elif field == 2:
                found = self._struct_type(r)
            elif field == 3:
                self._common(r)
                pairs = dict(self._fields(r, 2))
                found = _Map(pairs.get(1, 0), pairs.get(2, 0))
            elif field in (4, 5, 6):
                found = _Opaque(self._common_only(r))
            else:
                raise GobError(f"unknown wire type kind {field}")
        if found is None:
            raise GobError("empty type definition")
        return found

    def _common(self, r: _Reader) -> tuple[str, int]:
        """The embedded CommonType (field 0 of array/slice/struct/map types): name and id."""
        if r.read_uint() != 1:
            raise GobError("type definition without its common part")
        name, type_id, field = "", 0, -1
        while (delta := r.read_uint()) != 0:
            field += delta
            if field == 0:
                name = r.read_string()
            elif field == 1:
                type_id = r.read_int()
            else:
                raise GobError(f"unknown CommonType field {field}")
        return name, type_id

    def _common_only(self, r: _Reader) -> str:
        """gobEncoderType {CommonType}: the name; then the struct's end marker."""
        name, _ = self._common(r)
        if r.read_uint() != 0:
            raise GobError("unexpected field in a GobEncoder type")
        return name

    @staticmethod
    def _fields(r: _Reader, last: int) -> list[tuple[int, int]]:
        """Remaining integer fields 1..last of a type struct (after CommonType), to its end."""
        out: list[tuple[int, int]] = []
        field = 0
        while (delta := r.read_uint()) != 0:
            field += delta
            if field > last:
                raise GobError(f"unknown type field {field}")
            out.append((field, r.read_int()))
        return out

    def _struct_type(self, r: _Reader) -> _Struct:
        name, _ = self._common(r)
        fields: list[tuple[str, int]] = []
        field = 0
        while (delta := r.read_uint()) != 0:
            field += delta
            if field != 1:
                raise GobError(f"unknown structType field {field}")
            count = r.length("field list")
            for _ in range(count):
                fname, fid, sub = "", 0, -1
                while (d := r.read_uint()) != 0:
                    sub += d
                    if sub == 0:
                        fname = r.read_string()
                    elif sub == 1:
                        fid = r.read_int()
                    else:
                        raise GobError(f"unknown fieldType field {sub}")
                fields.append((fname, fid))
        return _Struct(name, tuple(fields))

    # values -------------------------------------------------------------------------------------
    def _top_level(self, type_id: int, r: _Reader) -> Any:
        wire = self._types.get(type_id)
        if isinstance(wire, _Struct):
            return self._value(type_id, r, 0)
        # every other top-level value is sent as field 0 of a pretend struct: one zero delta byte
        if r.read_uint() != 0:
            raise GobError("non-struct value without its leading zero")
        return self._value(type_id, r, 0)

    def _value(self, type_id: int, r: _Reader, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise GobError(f"values nested deeper than {MAX_DEPTH}")
        self._spend()
        if type_id == _BOOL:
            return r.read_bool()
        if type_id == _INT:
            return r.read_int()
        if type_id == _UINT:
            return r.read_uint()
        if type_id == _FLOAT:
            return r.read_float()
        if type_id == _BYTES:
            return r.read_bytes()
        if type_id == _STRING:
            return r.read_string()
        if type_id in (_COMPLEX, _INTERFACE):
            raise GobError("complex and interface values are not supported")
        wire = self._types.get(type_id)
        if wire is None:
            raise GobError(f"value of undefined type {type_id}")
        if isinstance(wire, _Struct):
            return self._struct(wire, r, depth)
        if isinstance(wire, _Slice | _Array):
            count = r.read_uint()
            if isinstance(wire, _Array) and count != wire.length:
                raise GobError(f"array of length {wire.length} sent with {count} elements")
            if count > r.left:  # every element takes at least one byte
                raise GobError(f"{count} elements exceed the {r.left} bytes left")
            return [self._value(wire.elem, r, depth + 1) for _ in range(count)]
        if isinstance(wire, _Map):
            count = r.read_uint()
            if count > r.left:
                raise GobError(f"{count} map entries exceed the {r.left} bytes left")
            out: dict[Any, Any] = {}
            for _ in range(count):
                key = self._value(wire.key, r, depth + 1)
                try:
                    out[key] = self._value(wire.elem, r, depth + 1)
                except TypeError as exc:  # an unhashable key (list/dict) cannot be a dict key
                    raise GobError(f"unsupported map key type: {exc}") from exc
            return out
        return GobOpaque(wire.name, r.read_bytes())

    def _struct(self, wire: _Struct, r: _Reader, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        field = -1
        while (delta := r.read_uint()) != 0:
            field += delta
            if field >= len(wire.fields):
                raise GobError(f"field {field} of struct {wire.name!r} which has {len(wire.fields)}")
            name, fid = wire.fields[field]
            out[name] = self._value(fid, r, depth + 1)
        for name, fid in wire.fields:
            if name not in out:
                out[name] = self._zero(fid, depth + 1)
        return out

    def _zero(self, type_id: int, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise GobError(f"types nested deeper than {MAX_DEPTH}")
        self._spend()
        zeros: dict[int, Any] = {_BOOL: False, _INT: 0, _UINT: 0, _FLOAT: 0.0, _BYTES: b"", _STRING: ""}
        if type_id in zeros:
            return zeros[type_id]
        wire = self._types.get(type_id)
        if isinstance(wire, _Struct):
            return {name: self._zero(fid, depth + 1) for name, fid in wire.fields}
        if isinstance(wire, _Slice):
            return []
        if isinstance(wire, _Array):
            if not 0 <= wire.length <= self._max_values:
                raise GobError(f"array type of length {wire.length}")
            return [self._zero(wire.elem, depth + 1) for _ in range(wire.length)]
        if isinstance(wire, _Map):
            return {}
        if isinstance(wire, _Opaque):
            return GobOpaque(wire.name, b"")
        return None


def decode_gob(data: bytes, *, max_values: int = MAX_VALUES) -> Any:
    """The first value of the gob stream ``data`` as plain Python (see the module docstring);
    at most ``max_values`` values are produced (``GobError`` beyond)."""
    try:
        return GobDecoder(data, max_values=max_values).next_value()
    except RecursionError as exc:  # belt and braces: MAX_DEPTH keeps well below the limit
        raise GobError("values nested too deeply") from exc


_GO_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def decode_go_time(data: bytes) -> datetime | None:
    """``time.Time.MarshalBinary`` bytes as an aware datetime; ``None`` for Go's zero time.

    Layout: version (1 or 2), seconds since 0001-01-01 UTC (int64 big-endian), nanoseconds
    (int32), zone offset in minutes (int16, -1 = UTC), and for version 2 one byte of offset
    seconds. Raises ``GobError`` for any other layout.
    """
    if not data or data[0] not in (1, 2) or len(data) != (15 if data[0] == 1 else 16):
        raise GobError("not a Go time value")
    seconds, nanos, offset_min = struct.unpack(">qih", data[1:15])
    if seconds == 0 and nanos == 0:
        return None
    offset = timedelta(minutes=0 if offset_min == -1 else offset_min)
    if data[0] == 2:
        offset += timedelta(seconds=data[15])
    try:
        instant = _GO_EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    except OverflowError as exc:
        raise GobError("Go time outside the supported range") from exc
    return instant.astimezone(timezone(offset)) if offset else instant
