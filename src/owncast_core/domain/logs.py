"""Log records of this server, as ``/api/admin/logs`` shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from owncast_core.domain.timefmt import go_time


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log line: ``level`` is logrus-style lower case (``info``, ``warning``, ``error``...)."""

    time: datetime
    level: str
    message: str

    @property
    def is_warning(self) -> bool:
        return self.level in ("warning", "error", "fatal", "panic")

    def to_json(self) -> dict[str, Any]:
        return {"time": go_time(self.time), "level": self.level, "message": self.message}
