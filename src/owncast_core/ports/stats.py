"""Statistics ports: stored viewer counts, hardware sampling, metrics exposition, log history."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from owncast_core.domain.logs import LogEntry
from owncast_core.domain.stats import HardwareSample, TimestampedValue


class StatsRepository(Protocol):
    """Viewer counts sampled over time (``/api/admin/viewersOverTime``).

    Contract (``owncast_core.testing.contracts.stats.StatsRepositoryContract``):
    - ``add_viewer_count`` stores one sample; ``viewer_counts(since)`` returns the samples taken
      at or after ``since``, oldest first, as ``TimestampedValue`` with aware UTC times equal
      to the stored ones (to the microsecond).
    - ``prune(before)`` deletes samples older than ``before`` and returns how many it deleted.
    - Samples survive reopening the same store (persistent adapters).
    """

    async def add_viewer_count(self, at: datetime, count: int) -> None: ...

    async def viewer_counts(self, since: datetime) -> list[TimestampedValue]: ...

    async def prune(self, before: datetime) -> int: ...


class HardwareMonitor(Protocol):
    """Samples machine utilisation.

    ``sample`` returns CPU, memory and disk utilisation in percent (0..100) and never blocks the
    event loop; CPU is the average since the previous call (the first call may report 0).
    """

    async def sample(self) -> HardwareSample: ...


class MetricsExporter(Protocol):
    """Gauges exposed to Prometheus (``/api/admin/prometheus``).

    ``set`` updates a gauge named in ``owncast_core.domain.stats.GAUGES`` (other names raise
    ``KeyError``); ``exposition`` returns the text exposition format and its content type,
    with every gauge present (0 until set).
    """

    def set(self, name: str, value: float) -> None: ...

    def exposition(self) -> tuple[bytes, str]: ...


class LogHistory(Protocol):
    """The server's own recent log records, oldest first, bounded in size.

    ``entries`` returns every kept record; with ``warnings_only`` just warnings and errors.
    """

    def entries(self, *, warnings_only: bool = False) -> list[LogEntry]: ...

