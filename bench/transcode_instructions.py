"""Transcode work in instructions: owncast-py's child against the ffmpeg CLI, under valgrind.

``transcode.py`` measures CPU seconds, which this machine's neighbours move by 5-10 % from run
to run, more than the difference being measured. Instructions executed do not depend on them:
this runs both transcoders under ``valgrind --tool=cachegrind --cache-sim=no`` (instruction
counting only, every thread of the process summed; the same run repeated agrees to 0.05 %) on
the same input, with the same commands as ``transcode.py`` (fed as fast as they take it).

Two input lengths are measured (``--seconds``, default 4 and 12): the difference between them,
divided by the difference in length, is the work per media second of a running stream, start-up
(the Python interpreter and the imports of the child, the CLI's own) taken out. Both the totals and this
marginal ratio are printed.

Instructions are not CPU time (SIMD-heavy encoder code retires more per cycle than the
interpreter does), so this complements ``transcode.py`` rather than replacing it. Needs
``valgrind`` (Debian package). Each run takes about 10x the input length per second of media
under valgrind's slowdown; the default takes about 10 minutes for both ladders. Usage:
``python bench/transcode_instructions.py [--seconds 4 12] [--ladder 1|2|both]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _flv import QuietListener, compile_sources
from transcode import LADDERS, cli_command, make_input

from owncast_adapters.video.transcoder import PyAVTranscoder
from owncast_core.domain.stream import BroadcasterDetails, StreamOutputVariant, TranscodeJob, latency_level

# (valgrind 3.19 still prints three lines about the host's cache sizes: harmless.)
VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--quiet"]


def valgrind_command(counts: Path) -> list[str]:
    """valgrind counting instructions into ``counts``."""
    return [*VALGRIND, f"--cachegrind-out-file={counts}"]
SUMMARY = re.compile(rb"^summary:\s+(\d+)", re.MULTILINE)


def instructions(out_file: Path) -> int:
    """Instructions counted in a cachegrind output file (all threads)."""
    match = SUMMARY.search(out_file.read_bytes())
    if match is None:
        raise RuntimeError(f"no summary in {out_file}")
    return int(match.group(1))


def run_cli(variants: tuple[StreamOutputVariant, ...], flv: Path, out: Path, counts: Path) -> int:
    command = [*valgrind_command(counts), *cli_command(variants, latency_level(2), out)]
    with flv.open("rb") as stdin:
        subprocess.run(command, stdin=stdin, check=True)
    return instructions(counts)


def valgrind_python(directory: Path, counts: Path) -> Path:
    """An executable that runs this interpreter under cachegrind (the child's ``python``)."""
    script = directory / "python-under-valgrind"
    valgrind = " ".join(valgrind_command(counts))
    script.write_text(f'#!/bin/sh\nexec {valgrind} {sys.executable} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


async def _run_ours(transcoder: PyAVTranscoder, job: TranscodeJob, data: bytes) -> None:
    listener = QuietListener()
    session = await transcoder.start(job, listener)
    for offset in range(0, len(data), 64 * 1024):
        await session.write(data[offset : offset + 64 * 1024])
    await session.close()
    code = await session.wait()
    if code != 0 or listener.errors:
        raise RuntimeError(f"transcoder failed ({code}): {listener.errors}")


def run_ours(variants: tuple[StreamOutputVariant, ...], flv: Path, out: Path, counts: Path) -> int:
    job = TranscodeJob(
        variants=variants,
        latency=latency_level(2),
        output_dir=str(out),
        details=BroadcasterDetails(remote_addr="bench", connected_at=datetime.now(UTC)),
        segment_prefix="bench",
    )
    python = valgrind_python(out.parent, counts)
    # Under valgrind everything is ~50x slower: generous timeouts, nothing else changes.
    transcoder = PyAVTranscoder(python=str(python), open_timeout=600.0, stop_timeout=3600.0)
    asyncio.run(_run_ours(transcoder, job, flv.read_bytes()))
    return instructions(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, nargs=2, default=[4, 12], metavar=("SHORT", "LONG"))
    parser.add_argument("--ladder", choices=["1", "2", "both"], default="both")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    compile_sources()
    short, long = sorted(args.seconds)
    if short == long:
        raise SystemExit("--seconds needs two different lengths")
    ladders = {name: v for name, v in LADDERS.items() if args.ladder in ("both", str(len(v)))}
    runners = {"cli": run_cli, "ours": run_ours}
    print(f"input: 1280x720@30 H.264 3 Mbps + AAC, {short} s and {long} s; instructions (cachegrind, all threads)")
    print(f"{'ladder':<11} {'run':<5} {f'{short} s':>16} {f'{long} s':>16} {'per media s':>14}")
    with tempfile.TemporaryDirectory(prefix="owncast-bench-ir-") as tmp:
        root = Path(tmp)
        inputs = {}
        for seconds in (short, long):
            inputs[seconds] = root / f"input-{seconds}.flv"
            make_input(inputs[seconds], seconds)
        for name, variants in ladders.items():
            counts: dict[str, dict[int, int]] = {label: {} for label in runners}
            for label, runner in runners.items():
                for seconds, flv in inputs.items():
                    out = root / f"{label}-{len(variants)}-{seconds}" / "hls"
                    out.mkdir(parents=True)
                    counts[label][seconds] = runner(variants, flv, out, out.parent / "cachegrind.out")
                    shutil.rmtree(out.parent)
                per_second = (counts[label][long] - counts[label][short]) / (long - short)
                print(f"{name:<11} {label:<5} {counts[label][short]:16,d} {counts[label][long]:16,d} "
                      f"{per_second:14,.0f}")  # fmt: skip
            ours, cli = counts["ours"], counts["cli"]
            marginal = (ours[long] - ours[short]) / (cli[long] - cli[short])
            print(f"{name:<11} ours/cli instructions: {ours[short] / cli[short]:.3f} ({short} s), "
                  f"{ours[long] / cli[long]:.3f} ({long} s), {marginal:.3f} per media second")  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
