"""The master playlist, written once every variant knows what it produces."""

from __future__ import annotations

import threading
from collections.abc import Callable

from owncast_adapters.video.transcoder.events import MasterPlaylistWritten, TranscoderEvent
from owncast_adapters.video.transcoder.playlists import master_playlist_text, write_atomically
from owncast_core.ports.video import VariantInfo


class MasterPlaylistPublisher:
    """Collects one ``VariantInfo`` per variant (from their threads) and, when the last one
    arrives, writes ``path`` atomically and emits ``MasterPlaylistWritten``. Thread-safe.

    ``report`` raises ``OSError`` when the file cannot be written.
    """

    def __init__(self, path: str, variant_count: int, emit: Callable[[TranscoderEvent], None]) -> None:
        self._path = path
        self._count = variant_count
        self._emit = emit
        self._lock = threading.Lock()
        self._infos: dict[int, VariantInfo] = {}
        self._written = False

    def report(self, info: VariantInfo) -> None:
        """Record what variant ``info.index`` produces; write the master once all are in."""
        with self._lock:
            self._infos[info.index] = info
            if self._written or len(self._infos) < self._count:
                return
            variants = tuple(self._infos[i] for i in sorted(self._infos))
            write_atomically(self._path, master_playlist_text(variants).encode())
            self._written = True
        self._emit(MasterPlaylistWritten(self._path, variants))
