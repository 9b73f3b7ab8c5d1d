"""RTMP ingest: a small asyncio RTMP server that turns publishers into FLV byte streams.

Modules: ``amf0`` (AMF0 codec), ``handshake`` (C0-C2/S0-S2, simple and digest forms),
``chunks`` (chunk stream reader/writer), ``messages`` (message types, commands), ``flv`` (FLV
header and tags), ``connection`` (one client), ``server`` (``RtmpServer``), ``limits``.
"""

from owncast_adapters.video.rtmp.errors import RtmpProtocolError
from owncast_adapters.video.rtmp.limits import RtmpLimits
from owncast_adapters.video.rtmp.server import RtmpServer

__all__ = ["RtmpLimits", "RtmpProtocolError", "RtmpServer"]
