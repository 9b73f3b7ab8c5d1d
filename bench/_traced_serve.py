"""``owncast_runners.cli`` under ``tracemalloc``, for ``bench/soak.py --tracemalloc`` (not a benchmark).

The first SIGUSR1 starts tracing (from the start, the server took minutes to open its database
under tracemalloc); every later one appends to ``$OWNCAST_TRACE_OUT`` the memory allocated since
then and still held, by source line and by call stack: what a leak after warm-up is made of.
Tracing costs CPU and memory: the RSS figures of a traced run are not comparable with an
untraced one.
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
    out = os.environ["OWNCAST_TRACE_OUT"]
    baseline: list[tracemalloc.Snapshot] = []

    def dump(signum: int, frame: FrameType | None) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start(FRAMES)
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        current, _ = tracemalloc.get_traced_memory()
        with open(out, "a") as f:
            f.write(f"== held since tracing started: {current / 2**20:.2f} MiB; {len(gc.get_objects())} gc objects\n")
            if not baseline:
                baseline.append(snapshot)
                return
            for stat in snapshot.compare_to(baseline[0], "lineno")[:15]:
                f.write(f"  {stat}\n")
            f.write("-- the largest growth by call stack\n")
            for stat in snapshot.compare_to(baseline[0], "traceback")[:8]:
                f.write(f"  {stat}\n")
                f.writelines(f"      {line}\n" for line in stat.traceback.format()[-2 * FRAMES :])

    signal.signal(signal.SIGUSR1, dump)
    sys.argv = ["owncast", *sys.argv[1:]]
    runpy.run_module("owncast_runners.cli", run_name="__main__")


if __name__ == "__main__":
    main()
