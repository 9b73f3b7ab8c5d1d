"""LogHistoryBuffer: the server's own recent log records, for ``/api/admin/logs``."""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import UTC, datetime

from owncast_core.domain.logs import LogEntry

_LEVELS = {"WARNING": "warning", "CRITICAL": "fatal"}


class LogHistoryBuffer(logging.Handler):
    """Implements ``owncast_core.ports.stats.LogHistory`` as a ``logging.Handler``: attach it to
    a logger and the last ``capacity`` records are kept (thread-safe; formatting happens at emit
    time, so arguments are not retained)."""

    def __init__(self, capacity: int = 1000, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._records: deque[LogEntry] = deque(maxlen=capacity)
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message = f"{message}: {record.exc_info[1]}"
        except Exception:  # a broken log call must not break the caller
            self.handleError(record)
            return
        level = _LEVELS.get(record.levelname, record.levelname.lower())
        entry = LogEntry(datetime.fromtimestamp(record.created, UTC), level, message)
        with self._guard:
            self._records.append(entry)

    def entries(self, *, warnings_only: bool = False) -> list[LogEntry]:
        with self._guard:
            items = list(self._records)
        return [e for e in items if not warnings_only or e.is_warning]
