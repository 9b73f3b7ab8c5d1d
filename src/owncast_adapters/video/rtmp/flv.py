"""FLV byte stream writing: the file header and tags (Adobe FLV spec, annex E)."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any, Final

from owncast_adapters.video.rtmp import amf0

TAG_AUDIO: Final = 8
TAG_VIDEO: Final = 9
TAG_SCRIPT: Final = 18
_FLAG_AUDIO: Final = 0x04
_FLAG_VIDEO: Final = 0x01


def file_header(*, has_audio: bool, has_video: bool) -> bytes:
    """The 9-byte FLV header followed by PreviousTagSize0 (four zero bytes)."""
    flags = (_FLAG_AUDIO if has_audio else 0) | (_FLAG_VIDEO if has_video else 0)
    return b"FLV\x01" + bytes((flags,)) + struct.pack(">I", 9) + b"\x00\x00\x00\x00"


def tag(tag_type: int, timestamp: int, payload: bytes) -> bytes:
    """One FLV tag and its trailing PreviousTagSize.

    ``timestamp`` (milliseconds) is stored as 24 low bits plus an 8-bit extension, so it is
    taken modulo 2**32. Raises ``ValueError`` for a payload of 16 MiB or more.
    """
    size = len(payload)
    if size > 0xFFFFFF:
        raise ValueError("FLV tag payload must be under 16 MiB")
    timestamp &= 0xFFFFFFFF
    header = struct.pack(
        ">B3s3sB3s",
        tag_type,
        size.to_bytes(3, "big"),
        (timestamp & 0xFFFFFF).to_bytes(3, "big"),
        timestamp >> 24,
        b"\x00\x00\x00",
    )
    return header + payload + struct.pack(">I", 11 + size)


def metadata_tag(metadata: Mapping[str, Any], timestamp: int = 0) -> bytes:
    """A script-data tag carrying ``onMetaData`` with ``metadata`` as an ECMA array."""
    return tag(TAG_SCRIPT, timestamp, amf0.encode("onMetaData", amf0.EcmaArray(metadata)))
