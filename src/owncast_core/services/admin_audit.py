"""AdminAuditTrail: who changed what through the admin API, newest first."""

from __future__ import annotations

import logging
from collections import deque
from typing import Final

from owncast_core.domain.admin_accounts import AuditEntry
from owncast_core.ports.clock import Clock

AUDIT_LOGGER: Final = "owncast.audit"
AUDIT_CAPACITY: Final = 500


class AdminAuditTrail:
    """Records successful state-changing admin requests.

    ``record`` writes one INFO line ``admin <name>: <METHOD> <path>`` on the ``owncast.audit``
    logger and keeps the entry; the newest ``capacity`` entries are kept in memory (a restart
    starts an empty trail; the log lines remain). Only the method and path are ever recorded,
    never a body or query string: bodies carry passwords and keys. Unprintable characters of a
    path (a decoded ``%0A``) are escaped, so one request is always one log line.
    """

    def __init__(self, *, clock: Clock, capacity: int = AUDIT_CAPACITY) -> None:
        self._clock = clock
        self._entries: deque[AuditEntry] = deque(maxlen=capacity)
        self._log = logging.getLogger(AUDIT_LOGGER)

    def record(self, *, admin: str, method: str, path: str, status: int) -> AuditEntry:
        path = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in path)
        entry = AuditEntry(time=self._clock.now(), admin=admin, method=method, path=path, status=status)
        self._entries.append(entry)
        self._log.info("admin %s: %s %s", admin, method, path)
        return entry

    def entries(self) -> list[AuditEntry]:
        """The kept entries, newest first."""
        return list(reversed(self._entries))
