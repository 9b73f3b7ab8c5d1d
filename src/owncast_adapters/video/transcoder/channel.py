"""A bounded FIFO between two threads, built on the C-implemented ``queue.SimpleQueue``.

``queue.Queue`` is pure Python (a lock and two conditions): every ``put``/``get`` runs a dozen
Python lines and several lock operations, and the decode thread hands over one batch per
picture. Two ``SimpleQueue`` s (items, and free slots) give the same blocking behaviour in C.
"""

from __future__ import annotations

import queue
from typing import Generic, TypeVar

T = TypeVar("T")


class BoundedChannel(Generic[T]):
    """FIFO of at most ``capacity`` items: ``put`` blocks while it is full, ``get`` while it is
    empty. Any number of threads may put and get; order is first in, first out."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._items: queue.SimpleQueue[T] = queue.SimpleQueue()
        self._free: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(capacity):
            self._free.put(None)

    def put(self, item: T) -> None:
        """Add ``item``, waiting for a free slot."""
        self._free.get()
        self._items.put(item)

    def get(self) -> T:
        """Remove and return the oldest item, waiting for one."""
        item = self._items.get()
        self._free.put(None)
        return item

    def qsize(self) -> int:
        """Items waiting (a snapshot)."""
        return self._items.qsize()
