"""A real HTTP receiver on 127.0.0.1 for webhook tests (asyncio streams, HTTP/1.1, one request per
connection). ``answers`` scripts the replies: an int status, ``"hang"`` (never answer), or
``"close"`` (drop the connection); when it is empty every request gets ``default``. Replies carry
``reply_body`` (``b"ok"`` unless set, e.g. to JSON for a directory stub) and ``reply_headers``."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class WebhookReceiver:
    default: int | str = 200
    answers: list[int | str] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    reply_body: bytes = b"ok"
    reply_headers: dict[str, str] = field(default_factory=dict)
    _server: asyncio.Server | None = None
    _arrived: asyncio.Condition | None = None
    _hanging: set[asyncio.StreamWriter] = field(default_factory=set)
    _accepted: set[asyncio.StreamWriter] = field(default_factory=set)  # every connection not yet closed
    _stopping: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> WebhookReceiver:
        self._arrived = asyncio.Condition()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and close every connection, also those accepted just before the close
        whose handler has not run yet (a transport left open warns when it is collected, which
        the strict test run turns into an error; senders may still be retrying meanwhile)."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        quiet = 0
        while quiet < 3 and loop.time() < deadline:
            await asyncio.sleep(0.01)  # handlers of just-accepted connections see ``_stopping`` and close
            for writer in list(self._hanging):
                await _close(writer)
            self._hanging.clear()
            # Python 3.11's Server.wait_closed() does not wait for connections; its count does. A
            # connection the loop accepted just before the close may still attach: wait until
            # the count stays at zero for a few ticks.
            idle = self._server is None or getattr(self._server, "_active_count", 0) == 0
            quiet = quiet + 1 if idle else 0
        # Whatever is still open now (a deadline under heavy load) is cut at once, so no
        # transport is left for the garbage collector to warn about.
        for writer in list(self._accepted):
            writer.transport.abort()
        self._accepted.clear()
        await asyncio.sleep(0)  # let the aborted transports' connection_lost run
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        assert self._arrived is not None
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.requests) >= count), timeout)
        return list(self.requests)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._accepted.add(writer)
        if self._stopping:
            await _close(writer)
            self._accepted.discard(writer)
            return
        self._hanging.add(writer)  # every open connection is closed by ``stop``
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            _, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        except (asyncio.IncompleteReadError, ValueError, ConnectionError):
            await _close(writer)
            return
        answer = self.answers.pop(0) if self.answers else self.default
        assert self._arrived is not None
        async with self._arrived:
            self.requests.append(Received(path, headers, body, asyncio.get_running_loop().time()))
            self._arrived.notify_all()
        if answer == "hang":
            if self._stopping:
                await _close(writer)
            return
        if answer == "close":
            await _close(writer)
            return
        extra = "".join(f"{name}: {value}\r\n" for name, value in self.reply_headers.items())
        writer.write(f"HTTP/1.1 {int(answer)} X\r\nContent-Length: {len(self.reply_body)}\r\n{extra}"
                     "Connection: close\r\n\r\n".encode() + self.reply_body)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        await _close(writer)
        self._hanging.discard(writer)
        self._accepted.discard(writer)


async def _close(writer: asyncio.StreamWriter) -> None:
    if writer.is_closing():
        return
    writer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), 1)
