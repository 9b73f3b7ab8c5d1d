"""ChatJournal: write-behind persistence of chat messages.

Messages are broadcast first and written right after, in batches: while one batch is being
written, newer messages gather for the next one, so a busy chat costs one database round trip
per batch rather than per message. Readers call ``flush`` first, so history and moderation
always see every message a client saw; ``flush`` on shutdown loses nothing.
"""

from __future__ import annotations

import asyncio
import logging

from owncast_core.domain.chat import ChatRecord
from owncast_core.ports.chat import ChatRepository

MAX_PENDING = 10_000
"""Records kept in memory while the database fails; beyond this the oldest are dropped (logged)."""


class ChatJournal:
    """Buffers ``ChatRecord``s and saves them with one writer task at a time."""

    def __init__(self, *, repository: ChatRepository, logger: logging.Logger | None = None) -> None:
        self._repo = repository
        self._pending: list[ChatRecord] = []
        self._task: asyncio.Task[None] | None = None
        self._log = logger or logging.getLogger("owncast.chat")

    @property
    def pending(self) -> int:
        return len(self._pending)

    def append(self, record: ChatRecord) -> None:
        """Queue ``record``; a writer task starts if none is running."""
        self._pending.append(record)
        if len(self._pending) > MAX_PENDING:
            dropped = len(self._pending) - MAX_PENDING
            del self._pending[:dropped]
            self._log.error("chat storage is failing: dropped %d unsaved messages", dropped)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="chat-journal")

    async def flush(self) -> None:
        """Return once everything appended so far is saved (or the database failed: logged,
        the records stay queued for the next attempt)."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.shield(task)
        if self._pending:
            await self._drain()

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending
            self._pending = []
            try:
                await self._repo.save(batch)
            except Exception:
                self._log.exception("could not save %d chat messages; will retry", len(batch))
                self._pending[:0] = batch
                return
