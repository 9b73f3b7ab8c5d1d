"""The gob decoder against values encoded by the real Go ``encoding/gob`` (committed fixtures made
by ``tests/fixtures/owncast_v02/make_fixtures.go``), and against malformed input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from owncast_adapters.owncast_import.gob import GobError, GobOpaque, decode_go_time, decode_gob

FIXTURES = json.loads((Path(__file__).parents[2] / "fixtures" / "owncast_v02" / "gob_values.json").read_text())


def _go_time_text(value: datetime | None) -> str:
    if value is None:
        return ""
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def normalise(value: Any) -> Any:
    """The decoded value in the fixtures' JSON conventions ({"$bytes"}, {"$time"})."""
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, GobOpaque):
        assert value.type_name == "Time"
        return {"$time": _go_time_text(decode_go_time(value.data)) if value.data else ""}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_decodes_what_go_encoded(fixture: dict[str, Any]) -> None:
    decoded = decode_gob(bytes.fromhex(fixture["hex"]))
    assert normalise(decoded) == fixture["expected"]


def test_floats_and_bools_keep_their_python_types() -> None:
    by_name = {f["name"]: bytes.fromhex(f["hex"]) for f in FIXTURES}
    assert isinstance(decode_gob(by_name["http port"]), float)
    assert decode_gob(by_name["nsfw"]) is True
    assert decode_gob(by_name["max uint64"]) == 2**64 - 1
    assert decode_gob(by_name["min int64"]) == -(2**63)


def test_go_time_keeps_the_instant() -> None:
    init = next(f for f in FIXTURES if f["name"] == "server init date")
    value = decode_gob(bytes.fromhex(init["hex"]))["Time"]
    moment = decode_go_time(value.data)
    assert moment == datetime(2022, 11, 30, 7, 0, tzinfo=UTC)
    assert moment is not None and moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 3600


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_every_truncation_raises_gob_error(fixture: dict[str, Any]) -> None:
    data = bytes.fromhex(fixture["hex"])
    for cut in range(len(data)):
        with pytest.raises(GobError):
            decode_gob(data[:cut])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",  # zero-length message
        b"\xff",  # length prefix of 1 byte, missing
        b"\xf7" + b"\x01" * 9,  # a 9-byte integer
        b"\x03\x0c\x00\x7f",  # string claims 127 bytes, has none
        b"\x02\x0e\x00",  # predefined type 7 (complex)
        b"\x02\x10\x00",  # interface type
        b"\x04\xff\x82\x00\x00",  # undefined user type 65
        b"\x03\x02\x00\x05",  # bool of 5
        b"\x04\x0c\x00\x01\xff",  # string that is not UTF-8
        b"\x04\x0c\x00\x00\x00",  # bytes left after the value
        bytes.fromhex("fc7fffffff") + b"\x00",  # message far longer than the data
    ],
)
def test_malformed_input_raises_gob_error(data: bytes) -> None:
    with pytest.raises(GobError):
        decode_gob(data)


def _uint(u: int) -> bytes:
    return bytes([u]) if u < 0x80 else bytes([0xFE]) + u.to_bytes(2, "big")


def _sint(i: int) -> bytes:
    return _uint((~i << 1) | 1 if i < 0 else i << 1)


def _message(body: bytes) -> bytes:
    return _uint(len(body)) + body


def test_self_referencing_slices_stop_at_the_depth_cap() -> None:
    # type 65 = []65: a value nesting 200 one-element slices must fail cleanly, not recurse forever
    definition = _sint(-65) + b"\x02" + b"\x01" + b"\x01\x01S\x01" + _sint(65) + b"\x00" + b"\x01" + _sint(65)
    definition += b"\x00\x00"
    value = _sint(65) + b"\x00" + b"\x01" * 200 + b"\x00"
    with pytest.raises(GobError, match="nested"):
        decode_gob(_message(definition) + _message(value))


def test_random_bytes_never_escape_as_another_error() -> None:
    import random

    rng = random.Random(1234)
    seeds = [bytes.fromhex(f["hex"]) for f in FIXTURES]
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            decode_gob(bytes(data))
        except GobError:
            pass


def _struct_definition(type_id: int, fields: list[tuple[str, int]]) -> bytes:
    # -id, wireType{StructT: {CommonType{Name: "T", Id: id}, Field: [{Name, Id}...]}}
    body = _sint(-type_id) + b"\x03" + b"\x01" + b"\x01\x01T\x01" + _sint(type_id) + b"\x00"
    body += b"\x01" + _uint(len(fields))
    for name, fid in fields:
        body += b"\x01" + _uint(len(name)) + name.encode() + b"\x01" + _sint(fid) + b"\x00"
    return _message(body + b"\x00\x00")


def test_zero_filling_has_a_budget() -> None:
    # 60 struct types, each with two fields of the next: an empty value of the first describes
    # 2**60 zero values. It must fail quickly, not hang or exhaust memory.
    data = b"".join(_struct_definition(65 + i, [("A", 66 + i), ("B", 66 + i)]) for i in range(59))
    data += _struct_definition(65 + 59, [("A", 2)])
    data += _message(_sint(65) + b"\x00")  # a struct value with no fields sent
    with pytest.raises(GobError, match="more than 10000 values"):
        decode_gob(data, max_values=10_000)


def test_an_enormous_array_type_is_refused() -> None:
    # -id, wireType{ArrayT: {CommonType{Name: "A", Id: id}, Elem: int, Len: 2**40}}
    body = _sint(-65) + b"\x01" + b"\x01" + b"\x01\x01A\x01" + _sint(65) + b"\x00"
    body += b"\x01" + _sint(2) + b"\x01" + bytes([0xFA]) + (2**41).to_bytes(6, "big") + b"\x00\x00"
    holder = _struct_definition(66, [("Big", 65)])
    data = _message(body) + holder + _message(_sint(66) + b"\x00")
    with pytest.raises(GobError):
        decode_gob(data)
