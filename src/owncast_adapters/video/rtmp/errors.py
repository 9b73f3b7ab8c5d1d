"""The error raised for bytes that break the RTMP, AMF0 or handshake rules."""

from __future__ import annotations


class RtmpProtocolError(ValueError):
    """A peer sent something malformed or beyond a limit; the connection must be closed.

    The message describes the problem and never contains stream keys or payload bytes.
    """
