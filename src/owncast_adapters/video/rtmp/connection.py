"""One RTMP client connection: socket I/O, handshake, timeouts, protocol control, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from owncast_adapters.video.rtmp.chunks import ChunkReader, ChunkWriter, RtmpMessage
from owncast_adapters.video.rtmp.errors import RtmpProtocolError
from owncast_adapters.video.rtmp.handshake import PACKET_SIZE, perform_handshake
from owncast_adapters.video.rtmp.limits import RtmpLimits
from owncast_adapters.video.rtmp.messages import (
    CONTROL_CSID,
    MessageType,
    UserControl,
    parse_user_control,
    u32,
    user_control,
)
from owncast_adapters.video.rtmp.session import (
    MEDIA_TYPES,
    SERVER_WINDOW,
    EndConnection,
    PublishSession,
    State,
)
from owncast_core.errors import TranscoderGone
from owncast_core.ports.video import IngestHandler

_READ_SIZE = 1 << 16


class RtmpConnection:
    """Serves one client until it hangs up, misbehaves, times out or is aborted.

    ``run`` never raises for client behaviour: it logs why the connection ended, closes the sink
    (exactly once, if ``begin`` returned one) and the socket. ``abort`` (and ``hang_up``, the
    callback handed to ``IngestHandler.begin``) ends it from outside; it is synchronous and safe
    to call at any time, any number of times, including after the connection ended.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        handler: IngestHandler,
        limits: RtmpLimits,
        now: Callable[[], datetime],
        logger: logging.Logger,
    ) -> None:
        self._reader, self._writer, self._limits, self._log = reader, writer, limits, logger
        peer = writer.get_extra_info("peername")
        self.remote_addr: str = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        self._chunks = ChunkReader(
            max_chunk_size=limits.max_chunk_size,
            max_message_length=limits.max_message_length,
            max_chunk_streams=limits.max_chunk_streams,
        )
        self._out = ChunkWriter()
        self._session = PublishSession(
            handler=handler,
            send=self._send,
            remote_addr=self.remote_addr,
            now=now,
            hang_up=self.hang_up,
            logger=logger,
        )
        self._deadline = 0.0
        self._bytes_in = self._last_ack = self._client_window = 0
        self._task: asyncio.Task[None] | None = None
        self._finishing = False
        self._abort_reason: str | None = None

    def abort(self, reason: str = "dropped by the stream service") -> None:
        """End this connection soon (cancels its task unless it is finishing or inside ``begin``)."""
        if self._abort_reason is None:
            self._abort_reason = reason
        task = self._task
        if task is not None and not task.done() and not self._finishing and not self._session.in_begin:
            task.cancel()

    def hang_up(self) -> None:
        """The callback the stream service gets to drop this publisher."""
        self.abort("dropped by the stream service")

    async def run(self) -> None:
        """Serve the connection to its end (see the class docstring)."""
        self._task = asyncio.current_task()
        try:
            self._check_aborted()
            await self._serve()
        except asyncio.CancelledError:
            if self._abort_reason is None or self._task is None:
                raise
            self._task.uncancel()
            self._log.info("RTMP %s: %s", self.remote_addr, self._abort_reason)
        except EndConnection as exc:
            self._log.log(exc.level, "RTMP %s: %s", self.remote_addr, exc)
        except TimeoutError:
            self._log.warning(
                "RTMP %s: handshake, connect and publish not done within %g s",
                self.remote_addr,
                self._limits.handshake_timeout,
            )
        except RtmpProtocolError as exc:
            self._log.warning("RTMP %s: protocol error, closing: %s", self.remote_addr, exc)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self._log.info("RTMP %s: connection lost (%s)", self.remote_addr, type(exc).__name__)
        except TranscoderGone:
            self._log.warning("RTMP %s: transcoder gone, dropping publisher", self.remote_addr)
        except Exception:
            self._log.exception("RTMP %s: unexpected error, closing", self.remote_addr)
        finally:
            await self._finish()

    def _check_aborted(self) -> None:
        if self._abort_reason is not None:
            raise EndConnection(self._abort_reason)

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self._limits.handshake_timeout
        async with asyncio.timeout_at(self._deadline):
            await perform_handshake(self._reader, self._writer)
        self._bytes_in = 1 + 2 * PACKET_SIZE
        session = self._session
        while not session.ended:
            data = await self._read()
            if not data:
                if session.state is not State.CONNECTING:
                    self._log.info("RTMP %s: publisher disconnected", self.remote_addr)
                return
            self._count_in(len(data))
            media_seen = False
            was_connecting = session.state is State.CONNECTING
            for message in self._chunks.feed(data):
                media_seen |= message.type_id in MEDIA_TYPES
                if not self._control(message):
                    await session.handle(message)
                    self._check_aborted()  # a hang_up that arrived during handler.begin
                if session.ended:
                    break
            await session.flush()
            await self._drain()
            if (media_seen or was_connecting) and session.state is not State.CONNECTING:
                self._deadline = loop.time() + self._limits.no_media_timeout

    async def _read(self) -> bytes:
        try:
            async with asyncio.timeout_at(self._deadline):
                return await self._reader.read(_READ_SIZE)
        except TimeoutError:
            if self._session.state is State.CONNECTING:
                raise
            raise EndConnection(
                f"dropping publisher {self.remote_addr}: no audio/video for "
                f"{self._limits.no_media_timeout:g} s",
                logging.WARNING,
            ) from None

    async def _drain(self) -> None:
        try:
            async with asyncio.timeout(self._limits.handshake_timeout):
                await self._writer.drain()
        except TimeoutError:
            raise EndConnection("client stopped reading our replies", logging.WARNING) from None

    def _count_in(self, count: int) -> None:
        """Acknowledge received bytes each time they cross the client's or our own window."""
        self._bytes_in += count
        window = min(w for w in (self._client_window, SERVER_WINDOW) if w > 0)
        if self._bytes_in - self._last_ack >= window:
            self._last_ack = self._bytes_in
            self._send(CONTROL_CSID, MessageType.ACKNOWLEDGEMENT, u32(self._bytes_in), 0)

    def _send(self, csid: int, type_id: int, payload: bytes, stream_id: int) -> None:
        self._writer.write(self._out.encode(csid, type_id, stream_id, 0, payload))
        if type_id == MessageType.SET_CHUNK_SIZE:
            self._out.chunk_size = int.from_bytes(payload[:4], "big")

    def _control(self, message: RtmpMessage) -> bool:
        """Handle a protocol control / user control message; False for anything else."""
        kind, payload = message.type_id, message.payload
        if kind == MessageType.USER_CONTROL:
            event, value = parse_user_control(payload)
            if event == UserControl.PING_REQUEST:
                self._send(CONTROL_CSID, kind, user_control(UserControl.PING_RESPONSE, value), 0)
        elif kind == MessageType.WINDOW_ACK_SIZE:
            if len(payload) < 4:
                raise RtmpProtocolError("Window Acknowledgement Size message shorter than 4 bytes")
            self._client_window = int.from_bytes(payload[:4], "big")
        elif kind not in (MessageType.ACKNOWLEDGEMENT, MessageType.SET_PEER_BANDWIDTH):
            return False
        return True

    async def _finish(self) -> None:
        self._finishing = True
        try:
            await self._session.close()
        except Exception:
            self._log.exception("RTMP %s: closing the stream sink failed", self.remote_addr)
        with contextlib.suppress(Exception):  # the peer may be gone; nothing left to tell it
            async with asyncio.timeout(1.0):
                await self._writer.drain()
        self._writer.close()
