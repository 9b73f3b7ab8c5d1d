"""``HardwareMonitor`` with psutil."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psutil

from owncast_core.domain.stats import HardwareSample


class PsutilHardwareMonitor:
    """Implements ``owncast_core.ports.stats.HardwareMonitor``: CPU (average since the previous
    sample, all cores), virtual memory and the disk holding ``disk_path``; sampled in a worker
    thread."""

    def __init__(self, *, disk_path: str | Path = ".") -> None:
        self._disk_path = str(disk_path)

    async def sample(self) -> HardwareSample:
        return await asyncio.to_thread(self._sample_sync)

    def _sample_sync(self) -> HardwareSample:
        path = self._disk_path
        while not Path(path).exists() and Path(path).parent != Path(path):
            path = str(Path(path).parent)
        return HardwareSample(
            cpu=_clamp(psutil.cpu_percent(interval=None)),
            memory=_clamp(psutil.virtual_memory().percent),
            disk=_clamp(psutil.disk_usage(path).percent),
        )


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, float(value)))
