"""``RtmpServer``: the asyncio listener that runs one ``RtmpConnection`` per client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from owncast_adapters.video.rtmp.connection import RtmpConnection
from owncast_adapters.video.rtmp.limits import DEFAULT_LIMITS, RtmpLimits
from owncast_core.ports.video import IngestHandler


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RtmpServer:
    """Accepts RTMP publishers and feeds each accepted broadcast to an ``IngestHandler``.

    Every client runs in its own task; whatever one client does (garbage, timeouts, protocol
    errors) is logged with its address and closes only that connection. A publisher's stream
    key is checked with ``handler.authorize`` at ``publish``; once its metadata (or first audio
    or video) arrives, ``handler.begin`` returns the sink that receives the FLV byte stream:
    header, one ``onMetaData`` script tag, then every audio/video message as a tag with its
    absolute timestamp. The sink is closed exactly once when the publisher ends for any reason.
    """

    def __init__(
        self,
        *,
        handler: IngestHandler,
        host: str = "0.0.0.0",
        port: int = 1935,
        limits: RtmpLimits = DEFAULT_LIMITS,
        now: Callable[[], datetime] = _utc_now,
        logger: logging.Logger | None = None,
    ) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._limits = limits
        self._now = now
        self._log = logger or logging.getLogger(__name__)
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], RtmpConnection] = {}

    @property
    def port(self) -> int:
        """The listening port (the bound one once started, useful with ``port=0``)."""
        return self._port

    async def start(self) -> None:
        """Bind and start accepting; raises ``OSError`` when the address is unavailable."""
        if self._server is not None:
            raise RuntimeError("RtmpServer already started")
        self._server = await asyncio.start_server(self._accept, self._host, self._port)
        sockets = self._server.sockets
        if sockets:
            self._port = int(sockets[0].getsockname()[1])
        self._log.info("RTMP server listening on %s:%d", self._host, self._port)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = RtmpConnection(
            reader, writer, handler=self._handler, limits=self._limits, now=self._now, logger=self._log
        )
        task = asyncio.get_running_loop().create_task(connection.run())
        self._connections[task] = connection

        def done(finished: asyncio.Task[None]) -> None:
            self._connections.pop(finished, None)
            writer.close()  # idempotent; covers a task cancelled before it ever ran

        task.add_done_callback(done)

    async def stop(self) -> None:
        """Stop listening, end every connection (closing open sinks) and wait for them."""
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            self._connections[task].abort("server stopping")
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
