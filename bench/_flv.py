"""FLV helpers shared by the benchmarks (not a benchmark itself: ``./run bench`` skips ``_*.py``)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

FLV_VIDEO_TAG = 9


def flv_tags(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """``(tag type, timestamp ms, bytes)`` per FLV tag; the file header comes as type 0."""
    header_size = struct.unpack(">I", data[5:9])[0] + 4  # header + PreviousTagSize0
    yield 0, 0, data[:header_size]
    pos = header_size
    while pos + 11 <= len(data):
        kind = data[pos] & 0x1F
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        stamp = int.from_bytes(data[pos + 4 : pos + 7], "big") | (data[pos + 7] << 24)
        end = pos + 11 + size + 4
        yield kind, stamp, data[pos:end]
        pos = end
