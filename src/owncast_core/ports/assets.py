"""Files the streamer uploads through the admin API (the logo)."""

from __future__ import annotations

from typing import Protocol


class LogoStore(Protocol):
    """Keeps the uploaded logo in the data directory.

    ``save`` writes ``data`` as ``logo<extension>`` atomically (readers never see a partial
    file), removes logos of other extensions, and returns the file name (e.g. ``logo.png``). It
    raises ``StorageError`` when the file cannot be written. It never blocks the event loop.
    """

    async def save(self, data: bytes, extension: str) -> str: ...
