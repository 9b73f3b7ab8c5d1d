"""RTMP chunk stream reader/writer on hand-built bytes, plus the small protocol helpers
(stream key, FLV tags, aggregate messages, digest handshake). No sockets."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import struct
from typing import Any, cast

import pytest

from owncast_adapters.video.rtmp import flv, handshake
from owncast_adapters.video.rtmp.chunks import ChunkReader, ChunkWriter, RtmpMessage
from owncast_adapters.video.rtmp.errors import RtmpProtocolError
from owncast_adapters.video.rtmp.messages import split_aggregate
from owncast_adapters.video.rtmp.session import stream_key

EXT = 0xFFFFFF


# -- hand-built chunk bytes (independent of ChunkWriter) ---------------------------------------


def basic(fmt: int, csid: int) -> bytes:
    if csid < 64:
        return bytes((fmt << 6 | csid,))
    if csid < 320:
        return bytes((fmt << 6, csid - 64))
    return bytes((fmt << 6 | 1, (csid - 64) & 0xFF, (csid - 64) >> 8))


def u24(value: int) -> bytes:
    return value.to_bytes(3, "big")


def fmt0(csid: int, ts: int, length: int, type_id: int, sid: int = 1, ext: int | None = None) -> bytes:
    field = EXT if ext is not None else ts
    tail = struct.pack(">I", ext) if ext is not None else b""
    return basic(0, csid) + u24(field) + u24(length) + bytes((type_id,)) + struct.pack("<I", sid) + tail


def fmt1(csid: int, delta: int, length: int, type_id: int) -> bytes:
    return basic(1, csid) + u24(delta) + u24(length) + bytes((type_id,))


def fmt2(csid: int, delta: int, ext: int | None = None) -> bytes:
    tail = struct.pack(">I", ext) if ext is not None else b""
    return basic(2, csid) + u24(EXT if ext is not None else delta) + tail


def fmt3(csid: int, ext: int | None = None) -> bytes:
    return basic(3, csid) + (struct.pack(">I", ext) if ext is not None else b"")


def set_chunk_size(size: int) -> bytes:
    return fmt0(2, 0, 4, 1, sid=0) + struct.pack(">I", size)


def payload(n: int, seed: int = 0) -> bytes:
    return bytes((i * 7 + seed) % 251 for i in range(n))


def feed(data: bytes, **limits: int) -> list[RtmpMessage]:
    return ChunkReader(**limits).feed(data)


# -- headers and timestamps --------------------------------------------------------------------


def test_type0_message_in_one_chunk() -> None:
    (msg,) = feed(fmt0(4, 1234, 5, 8, sid=1) + b"hello")
    assert msg == RtmpMessage(chunk_stream_id=4, type_id=8, stream_id=1, timestamp=1234, payload=b"hello")


def test_message_split_over_continuation_chunks_at_default_size() -> None:
    body = payload(300)
    data = fmt0(6, 0, 300, 9) + body[:128] + fmt3(6) + body[128:256] + fmt3(6) + body[256:]
    (msg,) = feed(data)
    assert msg.payload == body and msg.type_id == 9


def test_type1_type2_type3_headers_accumulate_deltas() -> None:
    data = (
        fmt0(4, 1000, 3, 8)
        + b"aaa"
        + fmt1(4, 23, 4, 8)
        + b"bbbb"
        + fmt2(4, 24)
        + b"cccc"  # same length and type, new delta
        + fmt3(4)
        + b"dddd"  # new message repeating the last delta
    )
    msgs = feed(data)
    assert [m.timestamp for m in msgs] == [1000, 1023, 1047, 1071]
    assert [m.payload for m in msgs] == [b"aaa", b"bbbb", b"cccc", b"dddd"]
    assert all(m.stream_id == 1 and m.type_id == 8 for m in msgs)


def test_type3_after_type0_uses_the_type0_timestamp_as_delta() -> None:
    msgs = feed(fmt0(4, 40, 2, 8) + b"ab" + fmt3(4) + b"cd")
    assert [m.timestamp for m in msgs] == [40, 80]


def test_extended_timestamp_on_type0_and_on_its_continuation_chunks() -> None:
    body = payload(300, seed=3)
    ts = 0x01000000
    data = (
        fmt0(4, 0, 300, 9, ext=ts)
        + body[:128]
        + fmt3(4, ext=ts)
        + body[128:256]
        + fmt3(4, ext=ts)
        + body[256:]
    )
    (msg,) = feed(data)
    assert msg.timestamp == ts
    assert msg.payload == body  # the 4 extended bytes of each continuation were not taken as payload


def test_extended_timestamp_missing_on_continuation_chunks_is_tolerated() -> None:
    body = payload(300, seed=5)
    ts = 0x01000000
    data = fmt0(4, 0, 300, 9, ext=ts) + body[:128] + fmt3(4) + body[128:256] + fmt3(4) + body[256:]
    (msg,) = feed(data)
    assert msg.timestamp == ts and msg.payload == body


def test_extended_delta_on_type2_and_on_a_type3_that_starts_a_message() -> None:
    big = 0x01000000
    data = (
        fmt0(4, 5, 1, 8)
        + b"a"
        + fmt2(4, 0, ext=big)
        + b"b"
        + fmt3(4, ext=big)
        + b"c"
        + fmt1(4, 10, 1, 8)
        + b"d"
    )
    msgs = feed(data)
    assert [m.timestamp for m in msgs] == [5, 5 + big, 5 + 2 * big, 15 + 2 * big]
    assert [m.payload for m in msgs] == [b"a", b"b", b"c", b"d"]


def test_timestamps_wrap_at_32_bits() -> None:
    msgs = feed(fmt0(4, 0, 1, 8, ext=0xFFFFFFF0) + b"a" + fmt2(4, 0x20) + b"b")
    assert [m.timestamp for m in msgs] == [0xFFFFFFF0, 0x10]


def test_interleaved_chunk_streams_reassemble_independently() -> None:
    audio, video = payload(200, 1), payload(300, 2)
    data = (
        fmt0(4, 10, 200, 8)
        + audio[:128]
        + fmt0(6, 20, 300, 9)
        + video[:128]
        + fmt3(6)
        + video[128:256]
        + fmt3(4)
        + audio[128:]
        + fmt3(6)
        + video[256:]
    )
    msgs = feed(data)
    assert [(m.chunk_stream_id, m.type_id, m.timestamp) for m in msgs] == [(4, 8, 10), (6, 9, 20)]
    assert msgs[0].payload == audio and msgs[1].payload == video


def test_two_and_three_byte_basic_headers() -> None:
    msgs = feed(fmt0(100, 1, 1, 8) + b"x" + fmt0(1000, 2, 1, 9) + b"y" + fmt3(1000) + b"z")
    assert [(m.chunk_stream_id, m.payload) for m in msgs] == [(100, b"x"), (1000, b"y"), (1000, b"z")]


def test_byte_by_byte_feeding_gives_the_same_messages() -> None:
    body = payload(700, 9)
    data = (
        set_chunk_size(256)
        + fmt0(4, 0, 700, 9, ext=0x01234567)
        + body[:256]
        + fmt0(5, 7, 2, 8)
        + b"hi"
        + fmt3(4, ext=0x01234567)
        + body[256:512]
        + fmt3(4, ext=0x01234567)
        + body[512:]
        + fmt1(5, 3, 3, 8)
        + b"you"
    )
    whole = feed(data)
    reader = ChunkReader()
    piecewise = [m for i in range(len(data)) for m in reader.feed(data[i : i + 1])]
    assert piecewise == whole
    assert [m.payload for m in whole] == [b"hi", body, b"you"]


# -- protocol control handled by the reader ----------------------------------------------------


def test_set_chunk_size_mid_stream_applies_to_following_chunks() -> None:
    reader = ChunkReader()
    body = payload(1000)
    assert reader.feed(fmt0(4, 0, 3, 8) + b"abc" + set_chunk_size(4096)) == [RtmpMessage(4, 8, 1, 0, b"abc")]
    assert reader.chunk_size == 4096
    (msg,) = reader.feed(fmt0(6, 0, 1000, 9) + body)  # a single chunk now
    assert msg.payload == body


def test_abort_discards_the_partial_message() -> None:
    abort = fmt0(2, 0, 4, 2, sid=0) + struct.pack(">I", 4)
    data = fmt0(4, 0, 300, 9) + payload(128) + abort + fmt0(4, 50, 5, 9) + b"fresh"
    (msg,) = feed(data)
    assert msg.payload == b"fresh" and msg.timestamp == 50


@pytest.mark.parametrize("size", [0, 1025, 0x7FFFFFFF])
def test_chunk_size_outside_the_limit_is_rejected(size: int) -> None:
    with pytest.raises(RtmpProtocolError, match="chunk size"):
        feed(set_chunk_size(size), max_chunk_size=1024)


def test_chunk_size_at_the_limit_is_accepted() -> None:
    reader = ChunkReader(max_chunk_size=1024)
    reader.feed(set_chunk_size(1024))
    assert reader.chunk_size == 1024


def test_message_length_above_the_limit_is_rejected_from_the_header_alone() -> None:
    at_limit = set_chunk_size(1000) + fmt0(4, 0, 1000, 9) + payload(1000)
    assert [len(m.payload) for m in feed(at_limit, max_message_length=1000)] == [1000]
    with pytest.raises(RtmpProtocolError, match="message length"):
        feed(fmt0(4, 0, 1001, 9), max_message_length=1000)


def test_too_many_chunk_streams_is_rejected() -> None:
    data = b"".join(fmt0(csid, 0, 1, 8) + b"x" for csid in range(3, 3 + 5))
    assert len(feed(data, max_chunk_streams=5)) == 5
    with pytest.raises(RtmpProtocolError, match="chunk streams"):
        feed(data + fmt0(20, 0, 1, 8) + b"x", max_chunk_streams=5)


@pytest.mark.parametrize("header", [fmt2(9, 1), fmt3(9)])
def test_type2_or_type3_on_an_unknown_chunk_stream_is_rejected(header: bytes) -> None:
    with pytest.raises(RtmpProtocolError, match="starts with"):
        feed(header + b"xx")


# -- writer ------------------------------------------------------------------------------------


def test_writer_output_is_what_the_spec_says() -> None:
    assert ChunkWriter().encode(3, 20, 0, 0, b"abc") == fmt0(3, 0, 3, 20, sid=0) + b"abc"
    body = payload(300)
    expected = fmt0(4, 0, 300, 9, ext=0x01000000) + body[:128]
    expected += fmt3(4, ext=0x01000000) + body[128:256] + fmt3(4, ext=0x01000000) + body[256:]
    assert ChunkWriter().encode(4, 9, 1, 0x01000000, body) == expected


@pytest.mark.parametrize("chunk_size", [1, 128, 4096])
@pytest.mark.parametrize("timestamp", [0, 0xFFFFFE, 0xFFFFFF, 0xFFFFFFFF])
def test_writer_round_trips_through_the_reader(chunk_size: int, timestamp: int) -> None:
    writer, reader = ChunkWriter(), ChunkReader()
    data = writer.encode(2, 1, 0, 0, struct.pack(">I", chunk_size))
    writer.chunk_size = chunk_size
    body = payload(5000)
    data += writer.encode(70, 9, 1, timestamp, body) + writer.encode(400, 8, 1, 5, b"")
    assert reader.feed(data) == [RtmpMessage(70, 9, 1, timestamp, body), RtmpMessage(400, 8, 1, 5, b"")]


# -- stream key, FLV, aggregate, handshake -----------------------------------------------------


@pytest.mark.parametrize(
    ("app", "name", "key"),
    [
        ("live", "abc123", "abc123"),
        ("live/abc123", "", "abc123"),
        ("live", "abc123?token=secret", "abc123"),
        ("live?x=1", "abc123", "abc123"),
        ("live/", "/abc123/", "abc123"),
        ("app/sub", "k", "k"),
        ("", "", ""),
    ],
)
def test_stream_key_is_the_last_path_segment_without_query(app: str, name: str, key: str) -> None:
    assert stream_key(app, name) == key


def test_flv_header_flags_and_previous_tag_size_zero() -> None:
    assert flv.file_header(has_audio=True, has_video=True) == b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00"
    assert flv.file_header(has_audio=False, has_video=True)[4] == 0x01
    assert flv.file_header(has_audio=True, has_video=False)[4] == 0x04


def test_flv_tag_splits_the_timestamp_into_24_plus_8_bits() -> None:
    tag = flv.tag(flv.TAG_VIDEO, 0x12345678, b"abc")
    header = b"\x09" + b"\x00\x00\x03" + b"\x34\x56\x78" + b"\x12" + b"\x00\x00\x00"
    assert tag == header + b"abc" + struct.pack(">I", 14)


def test_flv_metadata_tag_carries_on_metadata_as_ecma_array() -> None:
    from owncast_adapters.video.rtmp import amf0

    tag = flv.metadata_tag({"width": 320.0})
    assert tag[0] == flv.TAG_SCRIPT
    name, meta = amf0.decode(tag[11:-4])
    assert name == "onMetaData" and meta == {"width": 320.0} and isinstance(meta, amf0.EcmaArray)


def test_aggregate_messages_are_rebased_to_the_message_timestamp() -> None:
    body = flv.tag(8, 1000, b"aa") + flv.tag(9, 1040, b"vvv")
    subs = list(split_aggregate(5000, body))
    assert [(s.type_id, s.timestamp, s.payload) for s in subs] == [(8, 5000, b"aa"), (9, 5040, b"vvv")]
    with pytest.raises(RtmpProtocolError):
        list(split_aggregate(0, body[:-6]))


def _client_c1_with_digest(scheme: int) -> bytes:
    c1 = bytearray(b"\x00\x00\x00\x00" + bytes((9, 0, 124, 2)) + os.urandom(1528))
    pos = handshake.digest_position(bytes(c1), scheme)
    c1[pos : pos + 32] = handshake.compute_digest(bytes(c1), pos, handshake.FP_KEY[:30])
    return bytes(c1)


@pytest.mark.parametrize("scheme", [0, 1])
def test_digest_handshake_answer_validates_like_a_flash_client_checks_it(scheme: int) -> None:
    c1 = _client_c1_with_digest(scheme)
    s1, s2 = handshake.server_response(c1)
    assert len(s1) == len(s2) == 1536 and s1[4] >= 3
    pos = handshake.digest_position(s1, scheme)
    assert s1[pos : pos + 32] == handshake.compute_digest(s1, pos, handshake.FMS_KEY[:36])
    client_pos = handshake.digest_position(c1, scheme)
    key = hmac.new(handshake.FMS_KEY, c1[client_pos : client_pos + 32], hashlib.sha256).digest()
    assert s2[-32:] == hmac.new(key, s2[:-32], hashlib.sha256).digest()


def test_simple_handshake_echoes_c1() -> None:
    c1 = b"\x00" * 8 + os.urandom(1528)
    s1, s2 = handshake.server_response(c1)
    assert s2 == c1 and s1[4:8] == b"\x00\x00\x00\x00"


@pytest.mark.parametrize(("start", "says"), [
    (b"\x16\x03\x01", r"TLS \(rtmps://\) is not supported"),  # OBS set to rtmps://
    (b"GET / HTTP/1.1\r\n", "an HTTP request on the RTMP port"),
    (b"\x06", r"encrypted RTMP \(RTMPE, version 6\) is not supported"),
    (b"\xbe", r"not RTMP \(first byte 190, expected version 3\)"),
])
async def test_a_client_that_does_not_speak_plain_rtmp_is_named(start: bytes, says: str) -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(start + bytes(2000))
    reader.feed_eof()
    with pytest.raises(RtmpProtocolError, match=says):
        await handshake.perform_handshake(reader, cast(Any, None))
