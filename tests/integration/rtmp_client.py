"""A tiny raw RTMP publisher for tests: simple handshake, connect, createStream, publish, and
hand-made metadata/media messages, so tests can do what ffmpeg never does (stop sending)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from owncast_adapters.video.rtmp import amf0
from owncast_adapters.video.rtmp.chunks import ChunkReader, ChunkWriter, RtmpMessage

COMMAND = 20
DATA = 18


class RawRtmpClient:
    """One client connection; every read is bounded by ``timeout`` seconds."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self.reader, self.writer, self.timeout = reader, writer, timeout
        self._out = ChunkWriter()
        self._in = ChunkReader()
        self._tid = 0.0
        self.received: list[RtmpMessage] = []
        self._queue: list[RtmpMessage] = []

    @classmethod
    async def open(cls, port: int, read_timeout: float = 5.0) -> RawRtmpClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, read_timeout)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass

    async def handshake(self) -> None:
        c1 = b"\x00" * 8 + os.urandom(1528)
        self.writer.write(b"\x03" + c1)
        s0s1s2 = await asyncio.wait_for(self.reader.readexactly(1 + 2 * 1536), self.timeout)
        assert s0s1s2[0] == 3 and s0s1s2[1 + 1536 :] == c1, "simple handshake must echo C1 as S2"
        self.writer.write(s0s1s2[1:1537])  # C2 echoes S1
        await self.writer.drain()

    async def send(
        self, type_id: int, payload: bytes, *, stream_id: int = 0, timestamp: int = 0, csid: int = 3
    ) -> None:
        self.writer.write(self._out.encode(csid, type_id, stream_id, timestamp, payload))
        await self.writer.drain()

    async def call(self, name: str, *args: Any, stream_id: int = 0) -> float:
        self._tid += 1
        await self.send(COMMAND, amf0.encode(name, self._tid, *args), stream_id=stream_id)
        return self._tid

    async def next_message(self, type_id: int) -> RtmpMessage:
        """The next message of ``type_id`` the server sends (all go to ``received`` too)."""
        while True:
            while self._queue:
                message = self._queue.pop(0)
                self.received.append(message)
                if message.type_id == type_id:
                    return message
            data = await asyncio.wait_for(self.reader.read(65536), self.timeout)
            if not data:
                raise ConnectionError("server closed the connection")
            self._queue.extend(self._in.feed(data))

    async def next_command(self) -> list[Any]:
        """The next command message the server sends, decoded."""
        return amf0.decode((await self.next_message(COMMAND)).payload)

    async def connect_and_publish(self, app: str = "live", key: str = "abc123") -> dict[str, Any]:
        """Handshake, connect, createStream and publish; returns the onStatus info object."""
        await self.handshake()
        await self.call("connect", {"app": app, "type": "nonprivate", "tcUrl": f"rtmp://127.0.0.1/{app}"})
        reply = await self.next_command()
        assert reply[0] == "_result" and reply[3]["code"] == "NetConnection.Connect.Success", reply
        await self.call("createStream", None)
        reply = await self.next_command()
        assert reply[0] == "_result" and reply[3] == 1.0, reply
        await self.call("publish", None, key, "live", stream_id=1)
        status = await self.next_command()
        assert status[0] == "onStatus", status
        info: dict[str, Any] = status[3]
        return info

    async def send_metadata(self, metadata: dict[str, Any]) -> None:
        payload = amf0.encode("@setDataFrame", "onMetaData", amf0.EcmaArray(metadata))
        await self.send(DATA, payload, stream_id=1, csid=4)

    async def publish_tags(self, metadata: dict[str, Any], tags: list[tuple[int, int, bytes]], key: str) -> None:
        """Connect, publish ``metadata`` and FLV tags (type, timestamp, payload) as RTMP
        messages, then end the stream as OBS does (FCUnpublish, deleteStream)."""
        await self.connect_and_publish(key=key)
        await self.send_metadata(metadata)
        for kind, ts, payload in tags:
            await self.send(kind, payload, stream_id=1, timestamp=ts, csid=4 if kind == 8 else 6)
        await self.call("FCUnpublish", None, key)
        await self.call("deleteStream", None, 1.0)

    async def wait_closed_by_server(self) -> bool:
        """True when the server closes the connection within ``timeout`` (data is discarded)."""
        try:
            async with asyncio.timeout(self.timeout):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True
