"""Contract suite for ``ChatTransport`` (one chat connection's outbound side).

Bindings provide ``transport_env``: a ``TransportEnv`` with the transport under test, ``received``
(awaitable: the events the peer has received so far, one string per event, split on newlines),
``stall``/``resume`` (make the peer stop/start reading) and ``peer_closed`` (awaitable: whether
the peer saw the connection close).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from owncast_core.domain.chat import OUTBOUND_QUEUE_LIMIT
from owncast_core.ports.chat import ChatTransport


@dataclass
class TransportEnv:
    transport: ChatTransport
    received: Callable[[], Awaitable[list[str]]]
    stall: Callable[[], None]
    resume: Callable[[], None]
    peer_closed: Callable[[], Awaitable[bool]]


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 3.0) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.01)
    return await check()


class ChatTransportContract:
    @pytest.fixture
    async def transport_env(self) -> TransportEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_events_arrive_in_order(self, transport_env: TransportEnv) -> None:
        env = transport_env
        frames = [f'{{"n":{i}}}' for i in range(50)]
        for frame in frames:
            assert env.transport.send(frame)

        async def all_there() -> bool:
            return len(await env.received()) >= 50

        assert await eventually(all_there)
        assert await env.received() == frames

    async def test_close_delivers_what_was_queued(self, transport_env: TransportEnv) -> None:
        env = transport_env
        env.transport.send('{"last":true}')
        env.transport.close()
        env.transport.close()
        assert env.transport.closed
        assert not env.transport.send('{"after":true}')

        async def closed() -> bool:
            return await env.peer_closed()

        assert await eventually(closed)
        assert await env.received() == ['{"last":true}']

    async def test_a_peer_that_stops_reading_is_dropped(self, transport_env: TransportEnv) -> None:
        env = transport_env
        env.stall()
        big = '{"pad":"' + "x" * 2000 + '"}'
        accepted = 0
        for _ in range(OUTBOUND_QUEUE_LIMIT * 40):
            if not env.transport.send(big):
                break
            accepted += 1
            await asyncio.sleep(0)
        assert env.transport.closed, "a stalled peer must be dropped once its queue is full"
        assert accepted < OUTBOUND_QUEUE_LIMIT * 40
        assert not env.transport.send('{"more":1}')
