"""The websocket transport's framing, flushing and slow-peer rules, on a fake ASGI ``send``."""

from __future__ import annotations

import asyncio
from typing import Any

from owncast_runners.web.chat_ws import AsgiWebSocketTransport, FrameFlusher


class FakeSend:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def __call__(self, message: dict[str, Any]) -> None:
        if self.fail:
            raise RuntimeError("peer gone")
        if self.gate is not None:
            await self.gate.wait()
        self.messages.append(message)

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m["type"] == "websocket.send"]


async def settle(seconds: float = 0.0) -> None:
    await asyncio.sleep(seconds)
    for _ in range(5):
        await asyncio.sleep(0)


async def test_events_queued_together_go_out_as_one_newline_joined_frame() -> None:
    send = FakeSend()
    transport = AsgiWebSocketTransport(send)  # type: ignore[arg-type]
    for n in range(3):
        assert transport.send(f'{{"n":{n}}}')
    await settle()
    assert send.texts == ['{"n":0}\n{"n":1}\n{"n":2}']


async def test_spaced_passes_pack_a_burst_but_a_quiet_chat_is_immediate() -> None:
    send = FakeSend()
    transport = AsgiWebSocketTransport(send, flusher=FrameFlusher(0.05, ratio=1e9))  # type: ignore[arg-type]
    transport.send("first")
    await settle()
    assert send.texts == ["first"]
    for n in range(5):
        transport.send(f"burst{n}")
        await settle(0.002)
    assert send.texts == ["first"]
    await settle(0.06)
    assert send.texts == ["first", "burst0\nburst1\nburst2\nburst3\nburst4"]


async def test_a_peer_that_blocks_writes_is_dropped_at_the_queue_limit() -> None:
    send = FakeSend()
    send.gate = asyncio.Event()
    aborted: list[bool] = []
    transport = AsgiWebSocketTransport(send, limit=4, on_abort=lambda: aborted.append(True))  # type: ignore[arg-type]
    transport.send("stuck")  # the write of this one never finishes
    await settle()
    for n in range(4):
        assert transport.send(f"q{n}")
    assert not transport.send("one too many")
    assert transport.closed and transport.aborted and aborted == [True]
    send.gate.set()
    await settle()
    assert "one too many" not in "".join(send.texts)


async def test_close_sends_what_is_queued_then_the_close_frame() -> None:
    send = FakeSend()
    transport = AsgiWebSocketTransport(send)  # type: ignore[arg-type]
    transport.send("bye")
    transport.close()
    await asyncio.wait_for(transport.wait_closed(), 1)
    assert [m["type"] for m in send.messages] == ["websocket.send", "websocket.close"]
    assert not transport.send("late")


async def test_a_failing_write_closes_the_transport_quietly() -> None:
    send = FakeSend()
    send.fail = True
    transport = AsgiWebSocketTransport(send)  # type: ignore[arg-type]
    transport.send("x")
    await settle()
    assert transport.closed and not transport.send("y")
    await asyncio.wait_for(transport.wait_closed(), 1)
