"""AdminAuditTrail: who changed what through the admin API (and who was refused), newest first."""

from __future__ import annotations

import logging
from collections import deque
from typing import Final

from owncast_core.domain.admin_accounts import AuditEntry
from owncast_core.ports.clock import Clock

AUDIT_LOGGER: Final = "owncast.audit"
AUDIT_CAPACITY: Final = 500
DENIED_STATUS: Final = 403


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class AdminAuditTrail:
    """Records successful state-changing admin requests, and requests refused for the admin's role.

    ``record`` writes one INFO line ``admin <name>: <METHOD> <path>`` on the ``owncast.audit``
    logger and keeps the entry. ``record_denied`` (signed in, but the role may not use that
    route) keeps an entry with status 403, whatever the method, and writes one WARNING line
    ``admin <name>: <METHOD> <path> denied (<reason>)``; the reason is the entry's ``detail``.
    The newest ``capacity`` entries are kept in memory (a restart starts an empty trail; the log
    lines remain). Only the method and path are ever recorded, never a body or query string
    (bodies carry passwords and keys), plus the ``detail`` a route gives of what it changed
    (``"zoe is now admin"``), appended to the log line in parentheses. Unprintable characters of
    a path or detail (a decoded ``%0A``) are escaped, so one request is always one log line.
    """

    def __init__(self, *, clock: Clock, capacity: int = AUDIT_CAPACITY) -> None:
        self._clock = clock
        self._entries: deque[AuditEntry] = deque(maxlen=capacity)
        self._log = logging.getLogger(AUDIT_LOGGER)

    def record(self, *, admin: str, method: str, path: str, status: int, detail: str = "") -> AuditEntry:
        entry = self._keep(admin=admin, method=method, path=path, status=status, detail=detail)
        if entry.detail:
            self._log.info("admin %s: %s %s (%s)", admin, entry.method, entry.path, entry.detail)
        else:
            self._log.info("admin %s: %s %s", admin, entry.method, entry.path)
        return entry

    def record_denied(self, *, admin: str, method: str, path: str, reason: str) -> AuditEntry:
        entry = self._keep(admin=admin, method=method, path=path, status=DENIED_STATUS, detail=reason)
        self._log.warning("admin %s: %s %s denied (%s)", admin, entry.method, entry.path, entry.detail)
        return entry

    def _keep(self, *, admin: str, method: str, path: str, status: int, detail: str = "") -> AuditEntry:
        entry = AuditEntry(time=self._clock.now(), admin=admin, method=_printable(method), path=_printable(path),
                           status=status, detail=_printable(detail))
        self._entries.append(entry)
        return entry

    def entries(self) -> list[AuditEntry]:
        """The kept entries, newest first."""
        return list(reversed(self._entries))
