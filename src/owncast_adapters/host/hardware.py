"""``HardwareMonitor`` with psutil."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import psutil

from owncast_core.domain.stats import HardwareSample


class PsutilHardwareMonitor:
    """Implements ``owncast_core.ports.stats.HardwareMonitor``: CPU (average since the previous
    sample, all cores), virtual memory and the disk holding ``disk_path``; sampled in a worker
    thread.

    The CPU times of the previous sample are kept here, not left to ``psutil.cpu_percent``: it
    remembers them per thread, and each sample may run on a different worker thread."""

    def __init__(self, *, disk_path: str | Path = ".") -> None:
        self._disk_path = str(disk_path)
        self._lock = threading.Lock()
        self._cpu_times: Any = None  # none before the first sample, which reports 0 (as psutil)

    async def sample(self) -> HardwareSample:
        return await asyncio.to_thread(self._sample_sync)

    def _sample_sync(self) -> HardwareSample:
        path = self._disk_path
        while not Path(path).exists() and Path(path).parent != Path(path):
            path = str(Path(path).parent)
        return HardwareSample(
            cpu=_clamp(self._cpu_percent()),
            memory=_clamp(psutil.virtual_memory().percent),
            disk=_clamp(psutil.disk_usage(path).percent),
        )

    def _cpu_percent(self) -> float:
        """Busy share of all cores since the previous sample (psutil's own arithmetic)."""
        with self._lock:
            before, after = self._cpu_times, psutil.cpu_times()
            self._cpu_times = after
        if before is None:
            return 0.0
        total = _cpu_total(after) - _cpu_total(before)
        idle = _cpu_idle(after) - _cpu_idle(before)
        if total <= 0:
            return 0.0
        return round((total - idle) / total * 100, 1)


def _cpu_total(times: Any) -> float:
    # guest time is already counted in user/nice on Linux
    return float(sum(times)) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)


def _cpu_idle(times: Any) -> float:
    return float(times.idle) + getattr(times, "iowait", 0.0)


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, float(value)))
