"""AMF0 codec: round trips for every type, exact bytes for a few, and malformed input."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from owncast_adapters.video.rtmp import amf0
from owncast_adapters.video.rtmp.errors import RtmpProtocolError

ROUND_TRIP_VALUES: list[Any] = [
    0.0,
    -1.5,
    1e300,
    float("inf"),
    True,
    False,
    "",
    "abc123",
    "héllo wörld ✓",
    "x" * 70_000,  # long string
    None,
    amf0.UNDEFINED,
    amf0.Amf0Date(1_700_000_000_000.0, 0),
    amf0.Amf0Date(-5.0, -60),
    {},
    {"app": "live", "tcUrl": "rtmp://h/live", "fpad": False, "capabilities": 15.0},
    amf0.EcmaArray(),
    amf0.EcmaArray({"width": 320.0, "height": 240.0, "encoder": "Lavf59", "stereo": True}),
    [],
    [1.0, "two", None, [3.0], {"four": 4.0}],
    {"nested": {"deeper": amf0.EcmaArray({"list": [amf0.UNDEFINED, amf0.Amf0Date(1.0)]})}},
    {"": "empty key"},
]


@pytest.mark.parametrize("value", ROUND_TRIP_VALUES, ids=lambda v: type(v).__name__)
def test_round_trip_keeps_value_and_type(value: Any) -> None:
    (decoded,) = amf0.decode(amf0.encode(value))
    assert decoded == value
    assert type(decoded) is type(value)


def test_several_values_decode_in_order() -> None:
    values = ["connect", 1.0, {"app": "live"}, None, amf0.EcmaArray(a=1.0)]
    assert amf0.decode(amf0.encode(*values)) == values


def test_reader_reads_one_value_at_a_time() -> None:
    reader = amf0.Amf0Reader(amf0.encode("onMetaData", 2.0))
    assert reader.read() == "onMetaData"
    assert reader.remaining == 9
    assert reader.read() == 2.0
    assert reader.remaining == 0


def test_exact_bytes_of_each_marker() -> None:
    assert amf0.encode(1.0) == b"\x00" + struct.pack(">d", 1.0)
    assert amf0.encode(3) == b"\x00" + struct.pack(">d", 3.0)  # ints become numbers
    assert amf0.encode(True) == b"\x01\x01"
    assert amf0.encode("ab") == b"\x02\x00\x02ab"
    assert amf0.encode({"a": None}) == b"\x03\x00\x01a\x05\x00\x00\x09"
    assert amf0.encode(amf0.UNDEFINED) == b"\x06"
    assert amf0.encode(amf0.EcmaArray(a=True)) == b"\x08\x00\x00\x00\x01\x00\x01a\x01\x01\x00\x00\x09"
    assert amf0.encode([None]) == b"\x0a\x00\x00\x00\x01\x05"
    assert amf0.encode(amf0.Amf0Date(2.0, 1)) == b"\x0b" + struct.pack(">dh", 2.0, 1)
    assert amf0.encode("é" * 40_000)[:5] == b"\x0c" + struct.pack(">I", 80_000)


def test_ecma_array_count_is_advisory() -> None:
    # FFmpeg and others write a count of 0 and rely on the object-end marker.
    data = b"\x08\x00\x00\x00\x00" + b"\x00\x01w\x00" + struct.pack(">d", 320.0) + b"\x00\x00\x09"
    assert amf0.decode(data) == [{"w": 320.0}]


def test_typed_object_and_xml_document_decode() -> None:
    typed = b"\x10\x00\x03Foo" + b"\x00\x01x\x01\x00" + b"\x00\x00\x09"
    assert amf0.decode(typed) == [{"x": False}]
    assert amf0.decode(b"\x0f\x00\x00\x00\x03<a>") == ["<a>"]


def test_every_truncation_of_a_value_is_rejected() -> None:
    data = amf0.encode(
        {"a": 1.0, "b": [True, "s", amf0.EcmaArray(c=None)], "d": amf0.Amf0Date(1.0), "e": "x" * 70_000}
    )
    for cut in (*range(1, 120), len(data) - 3, len(data) - 1):
        with pytest.raises(RtmpProtocolError):
            amf0.decode(data[:cut])


@pytest.mark.parametrize(
    "data",
    [
        b"\x0d",  # unsupported marker
        b"\x11\x00",  # AVM+ (AMF3) switch is not AMF0
        b"\x07\x00\x01",  # references are not supported
        b"\x09",  # object end outside an object
        b"\x02\x00\x02\xff\xfe",  # invalid UTF-8
        b"\x0a\xff\xff\xff\xff\x05",  # strict array announcing far more items than bytes
        b"\x03\x00\x01a",  # property without a value
        b"\x08\x00\x00\x00\x01\x00\x01a\x05",  # ECMA array without its end marker
    ],
)
def test_malformed_input_raises_protocol_error(data: bytes) -> None:
    with pytest.raises(RtmpProtocolError):
        amf0.decode(data)


def test_nesting_is_bounded() -> None:
    data = b"\x0a\x00\x00\x00\x01" * (amf0.MAX_DEPTH + 5) + b"\x05"
    with pytest.raises(RtmpProtocolError, match="nested"):
        amf0.decode(data)


def test_encoding_an_unsupported_type_raises_type_error() -> None:
    with pytest.raises(TypeError):
        amf0.encode(object())
    with pytest.raises(TypeError):
        amf0.encode({1, 2})
