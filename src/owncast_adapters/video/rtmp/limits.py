"""Limits that bound what one RTMP client can make the server wait for or hold in memory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RtmpLimits:
    """Time and size limits applied to every RTMP connection.

    ``handshake_timeout``: seconds from accept to a successful ``publish`` (handshake, connect
    and publish included). ``no_media_timeout``: a publisher that sends no audio or video for
    this many seconds (counted from its ``publish``) is dropped. A Set Chunk Size above
    ``max_chunk_size`` or a message header announcing more than ``max_message_length`` bytes is
    a protocol error that closes the connection, as is using more than ``max_chunk_streams``
    chunk stream ids.
    """

    handshake_timeout: float = 10.0
    no_media_timeout: float = 10.0
    max_chunk_size: int = 1 << 20
    max_message_length: int = 8 << 20
    max_chunk_streams: int = 64


DEFAULT_LIMITS = RtmpLimits()
