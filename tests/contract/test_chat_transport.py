"""Binding of the ChatTransport contract: the ASGI websocket transport behind real Hypercorn,
read by a raw client that can stop reading."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest

from owncast_core.testing.contracts.chat_transport import ChatTransportContract, TransportEnv
from owncast_core.testing.fakes import RecordingChatTransport
from owncast_runners.web.chat_ws import AsgiWebSocketTransport

from ..integration.chat_app import serving
from ..integration.ws_client import OP_CLOSE, OP_TEXT, RawWebSocket


class _Peer:
    def __init__(self, ws: RawWebSocket) -> None:
        self.ws = ws
        self.events: list[str] = []
        self.closed = False
        self.reading = asyncio.Event()
        self.reading.set()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            while True:
                await self.reading.wait()
                opcode, payload = await self.ws.frame()
                if opcode == OP_TEXT:
                    self.events.extend(payload.decode().split("\n"))
                elif opcode == OP_CLOSE:
                    self.closed = True
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed = True


class TestAsgiWebSocketTransport(ChatTransportContract):
    @pytest.fixture
    async def transport_env(self) -> AsyncIterator[TransportEnv]:
        made: asyncio.Future[AsgiWebSocketTransport] = asyncio.get_running_loop().create_future()

        async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "websocket":
                return
            await receive()
            await send({"type": "websocket.accept"})
            transport = AsgiWebSocketTransport(send, limit=256)
            made.set_result(transport)
            while (await receive())["type"] != "websocket.disconnect":
                pass
            transport.abort(notify=False)

        async with serving(app) as port:
            peer = _Peer(await RawWebSocket.connect(port, "/ws", rcvbuf=4096))
            transport = await asyncio.wait_for(made, 5)

            async def received() -> list[str]:
                return list(peer.events)

            async def peer_closed() -> bool:
                return peer.closed

            yield TransportEnv(
                transport=transport,
                received=received,
                stall=peer.reading.clear,
                resume=peer.reading.set,
                peer_closed=peer_closed,
            )
            peer.task.cancel()
            await peer.ws.close()


class TestRecordingChatTransport(ChatTransportContract):
    @pytest.fixture
    async def transport_env(self) -> TransportEnv:
        transport = RecordingChatTransport(limit=256)

        def stall() -> None:
            transport.auto_drain = False

        def resume() -> None:
            transport.auto_drain = True
            transport.drain()

        async def received() -> list[str]:
            return list(transport.frames)

        async def peer_closed() -> bool:
            return transport.closed

        return TransportEnv(
            transport=transport, received=received, stall=stall, resume=resume, peer_closed=peer_closed
        )
