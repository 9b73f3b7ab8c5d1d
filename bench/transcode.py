"""Transcode CPU: owncast-py's PyAV child against the ffmpeg CLI with Owncast's command, one run.

Makes a 1280x720@30 FLV (H.264 + AAC, ``--seconds`` long) with ffmpeg, then for a 1-variant
and a 2-variant ladder (Owncast defaults: 1200 kbps @24 fps veryfast with audio copy, plus
480p 800 kbps) transcodes it to HLS (3 s segments) with:

- ours: ``PyAVTranscoder``, the file written into the session with ``write()`` as fast as the
  child takes it;
- cli:  the ffmpeg CLI with Owncast v0.2's x264 argument shape (reference section 4.2) reading
  the same bytes on stdin and writing HLS into a temp dir instead of HTTP PUT.

With ``--paced`` both are fed at the input's own pace instead (each FLV tag when its
timestamp comes due, as an RTMP publisher delivers it): what a live stream costs, where every
packet wakes threads whose caches went cold in between.

CPU is measured on the child processes (``RUSAGE_CHILDREN`` deltas around each run); the
parent's own CPU for feeding ours is printed separately. Prints CPU seconds per media second,
the realtime factor and the ratio ours/cli. Runs alternate (cli, ours, cli, ...) and the
best of ``--repeat`` is kept, since other load on the machine only adds CPU time; the ratio of
medians and the median of paired ratios (each ours run against the cli run just before it)
are printed too, as the machine's noise is larger than the differences measured, with a 95 %
confidence interval for that median (distribution-free: binomial order statistics, from 6
runs) and how many pairs are under the 0.95 target. Usage:
``python bench/transcode.py [--seconds 20] [--repeat 5] [--paced] [--ladder 1|2|both]``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from _flv import QuietListener, compile_sources, paced_tags, paced_tags_async

from owncast_adapters.video.transcoder import PyAVTranscoder
from owncast_core.domain.stream import (
    BroadcasterDetails,
    LatencyLevel,
    StreamOutputVariant,
    TranscodeJob,
    latency_level,
    x264_preset,
)
from owncast_core.ports.video import SegmentInfo

SOURCE = StreamOutputVariant(video_bitrate=1200, framerate=24, cpu_usage_level=2, audio_passthrough=True)
LOW = StreamOutputVariant(
    scaled_height=480, video_bitrate=800, framerate=24, cpu_usage_level=2, audio_passthrough=True
)
LADDERS = {"1 variant": (SOURCE,), "2 variants": (SOURCE, LOW)}


@dataclass
class Run:
    child_cpu: float
    parent_cpu: float
    wall: float
    child_sys: float  # the kernel's part of child_cpu


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def children_sys() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_input(path: Path, seconds: int) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "veryfast", "-b:v", "3000k", "-g", "60", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-f", "flv", str(path)],
        check=True,
    )  # fmt: skip


def cli_command(variants: tuple[StreamOutputVariant, ...], latency: LatencyLevel, out: Path) -> list[str]:
    """Owncast v0.2's ffmpeg arguments for x264 variants (HLS to local files, not HTTP PUT)."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "warning", "-i", "pipe:0"]
    for i, v in enumerate(variants):
        fps, kbps = v.effective_framerate, v.effective_video_bitrate
        gop = str(fps * latency.segment_seconds)
        cmd += ["-map", "v:0", f"-c:v:{i}", "libx264", f"-b:v:{i}", f"{kbps}k",
                f"-maxrate:v:{i}", f"{round(kbps * 1.06)}k", f"-bufsize:v:{i}", f"{round(kbps * 1.2)}k",
                f"-g:v:{i}", gop, f"-keyint_min:v:{i}", gop, f"-r:v:{i}", str(fps),
                f"-x264-params:v:{i}", "scenecut=0:open_gop=0", f"-profile:v:{i}", "high"]  # fmt: skip
        if v.scaled_width or v.scaled_height:
            scale = f"scale={v.scaled_width or -2}:{v.scaled_height or -2}"
            cmd += ["-sws_flags", "bilinear", f"-filter:v:{i}", scale]
        cmd += ["-map", "a:0?", f"-c:a:{i}", "copy", "-preset", x264_preset(v.cpu_usage_level)]
    cmd += ["-var_stream_map", " ".join(f"v:{i},a:{i}" for i in range(len(variants))),
            "-f", "hls", "-hls_time", str(latency.segment_seconds),
            "-hls_list_size", str(latency.playlist_segments),
            "-hls_flags", "program_date_time+independent_segments+omit_endlist",
            "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-sc_threshold", "0",
            "-master_pl_name", "stream.m3u8",
            "-hls_segment_filename", str(out / "%v" / "stream-bench-%d.ts"),
            "-max_muxing_queue_size", "400", str(out / "%v" / "stream.m3u8")]  # fmt: skip
    return cmd


def run_cli(
    variants: tuple[StreamOutputVariant, ...], latency: LatencyLevel, flv: Path, out: Path, paced: bool
) -> Run:
    cpu0, sys0, wall0 = children_cpu(), children_sys(), time.perf_counter()
    if not paced:
        with flv.open("rb") as stdin:
            subprocess.run(cli_command(variants, latency, out), stdin=stdin, check=True)
        return Run(children_cpu() - cpu0, 0.0, time.perf_counter() - wall0, children_sys() - sys0)
    process = subprocess.Popen(cli_command(variants, latency, out), stdin=subprocess.PIPE)
    assert process.stdin is not None
    for _kind, tag in paced_tags(flv.read_bytes()):
        process.stdin.write(tag)
        process.stdin.flush()
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError(f"ffmpeg failed ({process.returncode})")
    return Run(children_cpu() - cpu0, 0.0, time.perf_counter() - wall0, children_sys() - sys0)


class CountingListener(QuietListener):
    def __init__(self) -> None:
        super().__init__()
        self.segments = 0

    async def segment_written(self, segment: SegmentInfo) -> None:
        self.segments += 1


async def _run_ours(job: TranscodeJob, data: bytes, paced: bool) -> CountingListener:
    listener = CountingListener()
    session = await PyAVTranscoder().start(job, listener)
    if paced:
        async for _kind, tag in paced_tags_async(data):
            await session.write(tag)
    else:
        for offset in range(0, len(data), 64 * 1024):
            await session.write(data[offset : offset + 64 * 1024])
    await session.close()
    code = await session.wait()
    if code != 0 or listener.errors or not listener.segments:
        raise RuntimeError(f"transcoder failed ({code}): {listener.errors}")
    return listener


def run_ours(
    variants: tuple[StreamOutputVariant, ...], latency: LatencyLevel, flv: Path, out: Path, paced: bool
) -> Run:
    job = TranscodeJob(
        variants=variants,
        latency=latency,
        output_dir=str(out),
        details=BroadcasterDetails(remote_addr="bench", connected_at=datetime.now(UTC)),
        segment_prefix="bench",
    )
    data = flv.read_bytes()
    cpu0, sys0, parent0, wall0 = children_cpu(), children_sys(), self_cpu(), time.perf_counter()
    asyncio.run(_run_ours(job, data, paced))
    return Run(children_cpu() - cpu0, self_cpu() - parent0, time.perf_counter() - wall0, children_sys() - sys0)


def best(runs: list[Run]) -> Run:
    """The run with the least child CPU: other load on the machine only ever adds to it."""
    return min(runs, key=lambda r: r.child_cpu)


TARGET = 0.95  # issue #2: ours <= 0.95x the CLI's CPU per media second


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """A ``confidence`` interval for the median of ``values`` that assumes nothing about their
    distribution: the order statistics k and n-1-k (0-based), where k is the largest count with
    P(Binomial(n, 1/2) <= k) <= (1 - confidence) / 2. ``None`` for too few values (n < 6 at 95 %)."""
    ordered = sorted(values)
    n = len(ordered)
    tail = (1 - confidence) / 2
    k, cumulative = -1, 0.0
    for j in range(n):
        cumulative += math.comb(n, j) / 2**n
        if cumulative > tail:
            break
        k = j
    if k < 0:
        return None
    return ordered[k], ordered[n - 1 - k]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=20, help="length of the test input")
    parser.add_argument("--repeat", type=int, default=5, help="runs per configuration (alternating)")
    parser.add_argument("--paced", action="store_true", help="feed both at the input's own pace (live)")
    parser.add_argument(
        "--ladder", choices=["1", "2", "both"], default="both", help="variants in the ladder (default: both ladders)"
    )
    args = parser.parse_args()
    compile_sources()
    latency = latency_level(2)
    runners = {"cli": run_cli, "ours": run_ours}
    with tempfile.TemporaryDirectory(prefix="owncast-bench-") as tmp:
        root = Path(tmp)
        flv = root / "input.flv"
        make_input(flv, args.seconds)
        print(f"input: {args.seconds} s 1280x720@30 H.264 3 Mbps + AAC, {flv.stat().st_size / 1e6:.1f} MB; "
              f"HLS {latency.segment_seconds} s segments; {'paced' if args.paced else 'as fast as possible'}; "
              f"best of {args.repeat} (min child CPU)")  # fmt: skip
        print(f"{'ladder':<11} {'run':<5} {'cpu s':>7} {'cpu/media s':>12} {'realtime x':>11} "
              f"{'parent cpu':>11}  all cpu s")  # fmt: skip
        ladders = {name: v for name, v in LADDERS.items() if args.ladder in ("both", str(len(v)))}
        for name, variants in ladders.items():
            runs: dict[str, list[Run]] = {label: [] for label in runners}
            for i in range(args.repeat):
                for label, runner in runners.items():
                    out = root / f"{label}-{len(variants)}-{i}"
                    out.mkdir()
                    runs[label].append(runner(variants, latency, flv, out, args.paced))
                    shutil.rmtree(out)
            for label in runners:
                run = best(runs[label])
                every = " ".join(f"{r.child_cpu:.2f} ({r.child_sys:.2f} sys)" for r in runs[label])
                print(f"{name:<11} {label:<5} {run.child_cpu:7.2f} {run.child_cpu / args.seconds:12.3f} "
                      f"{args.seconds / run.wall:11.2f} {run.parent_cpu:11.2f}  {every}")  # fmt: skip
            ours, cli = best(runs["ours"]), best(runs["cli"])
            medians = statistics.median(r.child_cpu for r in runs["ours"]) / statistics.median(
                r.child_cpu for r in runs["cli"]
            )
            # Each ours run against the cli run just before it: both met about the same load.
            ratios = [o.child_cpu / c.child_cpu for o, c in zip(runs["ours"], runs["cli"], strict=True)]
            paired = statistics.median(ratios)
            print(f"{name:<11} ours/cli CPU: {ours.child_cpu / cli.child_cpu:.3f} "
                  f"(with the parent's feeding: {(ours.child_cpu + ours.parent_cpu) / cli.child_cpu:.3f}; "
                  f"ratio of medians: {medians:.3f}; median of paired ratios: {paired:.3f})")  # fmt: skip
            interval = median_interval(ratios)
            if interval is None:
                print(f"{name:<11} (too few runs for a 95 % interval of the paired median: use --repeat 6 or more)")
            else:
                low, high = interval
                under = sum(r < TARGET for r in ratios)
                print(f"{name:<11} paired median {paired:.3f}, 95 % interval [{low:.3f}, {high:.3f}] "
                      f"(target {TARGET}); {under}/{len(ratios)} pairs under {TARGET}")  # fmt: skip


if __name__ == "__main__":
    main()
