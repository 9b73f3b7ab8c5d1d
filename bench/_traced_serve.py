"""``owncast_runners.cli`` under ``tracemalloc``, for ``bench/soak.py --tracemalloc`` (not a benchmark).

Each SIGUSR1 appends to ``$OWNCAST_TRACE_OUT`` the Python heap traced so far; the first one
takes the baseline, every later one also lists the source lines (and the call stacks) whose
allocations grew most since that baseline. Tracing costs CPU and memory: the RSS figures of a
traced run are not comparable with an untraced one.
"""

from __future__ import annotations

import gc
import os
import runpy
import signal
import sys
import tracemalloc
from types import FrameType

FRAMES = 8


def main() -> None:
    tracemalloc.start(FRAMES)
    out = os.environ["OWNCAST_TRACE_OUT"]
    baseline: list[tracemalloc.Snapshot] = []

    def dump(signum: int, frame: FrameType | None) -> None:
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        current, _ = tracemalloc.get_traced_memory()
        with open(out, "a") as f:
            f.write(f"== Python heap traced: {current / 2**20:.2f} MiB, {len(gc.get_objects())} gc objects\n")
            if not baseline:
                baseline.append(snapshot)
                return
            for stat in snapshot.compare_to(baseline[0], "lineno")[:15]:
                f.write(f"  {stat}\n")
            f.write("-- the largest growth by call stack\n")
            for stat in snapshot.compare_to(baseline[0], "traceback")[:3]:
                f.write(f"  {stat}\n")
                f.writelines(f"      {line}\n" for line in stat.traceback.format()[-2 * FRAMES :])

    signal.signal(signal.SIGUSR1, dump)
    sys.argv = ["owncast", *sys.argv[1:]]
    runpy.run_module("owncast_runners.cli", run_name="__main__")


if __name__ == "__main__":
    main()
