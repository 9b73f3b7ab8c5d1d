"""The RTMP handshake, server side: C0/C1/C2 in, S0/S1/S2 out.

Two forms exist. The *simple* one (RTMP spec 5.2) echoes C1 as S2. The *digest* ("complex",
Flash Player 9+) form, sent by FFmpeg and librtmp-based encoders such as OBS, hides an
HMAC-SHA256 digest of C1 at a position derived from C1 itself; a server proves itself by
answering with its own digest in S1 and a signature over S2. We answer digest C1s in kind
(clients that check the server, like FFmpeg when playing, then accept us) and everything else
with the simple echo.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import struct
import time
from typing import Final

from owncast_adapters.video.rtmp.errors import RtmpProtocolError

RTMP_VERSION: Final = 3
PACKET_SIZE: Final = 1536
DIGEST_SIZE: Final = 32

_KEY_TAIL: Final = bytes.fromhex("f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae")
FP_KEY: Final = b"Genuine Adobe Flash Player 001" + _KEY_TAIL  # client key (30-byte public part)
FMS_KEY: Final = b"Genuine Adobe Flash Media Server 001" + _KEY_TAIL  # server key (36-byte public part)
_SERVER_VERSION: Final = bytes((4, 5, 0, 1))

# A digest scheme is where the four bytes that locate the digest live: (base offset, digest base).
_SCHEMES: Final = ((772, 776), (8, 12))


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def digest_position(packet: bytes, scheme: int) -> int:
    """Offset of the 32-byte digest inside a 1536-byte C1/S1 for scheme 0 or 1."""
    base, digest_base = _SCHEMES[scheme]
    return sum(packet[base : base + 4]) % 728 + digest_base


def compute_digest(packet: bytes, position: int, key: bytes) -> bytes:
    """HMAC-SHA256 of ``packet`` without the 32 bytes at ``position``."""
    return _hmac(key, packet[:position] + packet[position + DIGEST_SIZE :])


def find_client_digest(c1: bytes) -> tuple[int, bytes] | None:
    """Return ``(scheme, digest)`` when C1 carries a valid Flash Player digest, else ``None``."""
    for scheme in (0, 1):
        pos = digest_position(c1, scheme)
        digest = c1[pos : pos + DIGEST_SIZE]
        if hmac.compare_digest(compute_digest(c1, pos, FP_KEY[:30]), digest):
            return scheme, digest
    return None


def _timestamp() -> bytes:
    return struct.pack(">I", int(time.monotonic() * 1000) & 0xFFFFFFFF)


def server_response(c1: bytes) -> tuple[bytes, bytes]:
    """Build ``(S1, S2)`` answering ``c1`` (digest form when C1 has a digest, else simple)."""
    if len(c1) != PACKET_SIZE:
        raise ValueError("C1 must be 1536 bytes")
    found = find_client_digest(c1) if c1[4:8] != b"\x00\x00\x00\x00" else None
    if found is None:
        s1 = _timestamp() + b"\x00\x00\x00\x00" + os.urandom(PACKET_SIZE - 8)
        return s1, c1
    scheme, client_digest = found
    server1 = bytearray(_timestamp() + _SERVER_VERSION + os.urandom(PACKET_SIZE - 8))
    pos = digest_position(bytes(server1), scheme)
    server1[pos : pos + DIGEST_SIZE] = compute_digest(bytes(server1), pos, FMS_KEY[:36])
    server2 = os.urandom(PACKET_SIZE - DIGEST_SIZE)
    signature = _hmac(_hmac(FMS_KEY, client_digest), server2)
    return bytes(server1), server2 + signature


async def perform_handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Run the server side of the handshake; raises ``RtmpProtocolError`` for a bad C0.

    ``asyncio.IncompleteReadError`` propagates when the peer hangs up half way. The content of
    C2 is not checked (clients differ in what they echo).
    """
    c0 = await reader.readexactly(1)
    if c0[0] != RTMP_VERSION:
        raise RtmpProtocolError(_not_plain_rtmp(c0[0]))
    c1 = await reader.readexactly(PACKET_SIZE)
    s1, s2 = server_response(c1)
    writer.write(bytes((RTMP_VERSION,)) + s1 + s2)
    await writer.drain()
    await reader.readexactly(PACKET_SIZE)


def _not_plain_rtmp(first: int) -> str:
    """What a client whose first byte is not version 3 most likely is, for the log."""
    if first == 0x16:
        return "TLS (rtmps://) is not supported: publish to rtmp://"
    if first in (6, 8, 9):
        return f"encrypted RTMP (RTMPE, version {first}) is not supported"
    if 0x41 <= first <= 0x5A:  # GET, POST, HEAD, OPTIONS, ...
        return "an HTTP request on the RTMP port"
    return f"not RTMP (first byte {first}, expected version {RTMP_VERSION})"
