"""The bounded channel between the decode thread and a variant thread."""

from __future__ import annotations

import threading
import time

import pytest

from owncast_adapters.video.transcoder.channel import BoundedChannel


def test_items_come_out_in_order() -> None:
    channel: BoundedChannel[int] = BoundedChannel(4)
    for i in range(4):
        channel.put(i)
    assert channel.qsize() == 4
    assert [channel.get() for _ in range(4)] == [0, 1, 2, 3]


def test_put_blocks_while_full_until_a_get() -> None:
    channel: BoundedChannel[int] = BoundedChannel(2)
    channel.put(1)
    channel.put(2)
    done = threading.Event()

    def producer() -> None:
        channel.put(3)
        done.set()

    thread = threading.Thread(target=producer)
    thread.start()
    assert not done.wait(0.3)  # full: the third put waits
    assert channel.get() == 1
    assert done.wait(5)
    thread.join()
    assert [channel.get(), channel.get()] == [2, 3]


def test_get_blocks_until_a_put() -> None:
    channel: BoundedChannel[str] = BoundedChannel(1)
    got: list[str] = []
    thread = threading.Thread(target=lambda: got.append(channel.get()))
    thread.start()
    time.sleep(0.1)
    assert got == []
    channel.put("x")
    thread.join(5)
    assert got == ["x"]


def test_many_items_through_a_small_channel_keep_their_order() -> None:
    channel: BoundedChannel[int | None] = BoundedChannel(3)
    received: list[int] = []

    def consumer() -> None:
        while (item := channel.get()) is not None:
            received.append(item)

    thread = threading.Thread(target=consumer)
    thread.start()
    for i in range(10_000):
        channel.put(i)
    channel.put(None)
    thread.join(10)
    assert received == list(range(10_000))


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        BoundedChannel(0)
