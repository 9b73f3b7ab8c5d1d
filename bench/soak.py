"""Soak: does a long broadcast keep the server bounded? Memory, descriptors, threads, disk.

Starts ``owncast serve`` (as a subprocess, on free loopback ports, in a temporary data dir),
publishes ``--minutes`` of media with the ffmpeg CLI (1280x720@30 ``testsrc2`` + a tone, x264
``veryfast``, keyframe every 2 s, AAC, over RTMP, encoded live with ``-re``) and meanwhile runs a
modest audience. ``--fast`` instead encodes a 60 s clip of the same first and publishes it in a
loop (``-stream_loop -1 -c copy``, no ``-re``), as fast as the server takes it: more media, so
more segments, per wall minute (encoding 720p30 live would cost the publisher a whole core of the
two the server needs). The audience:

- ``--viewers`` HLS players (httpx): load the master playlist, poll their variant playlist every
  half target duration, fetch each new segment once (the newest three on joining, as a player
  at the live edge), ``GET /api/ping`` every 10 s and ``POST /api/metrics/playback`` every 30 s;
- ``--chatters`` chat users: ``POST /api/chat/register``, ``/ws?accessToken=...`` (websockets),
  a ``CHAT`` message every ``--chat-every`` seconds (under the flood guard), reading everything
  the server fans out; a dropped socket is counted and reconnected;
- ``GET /api/status`` every 5 s.

Every ``--interval`` seconds it samples (psutil): RSS, open descriptors and threads of the
server process and of its children (the transcoder, summed), the number and bytes of files
under ``data/hls``, the database file and its ``-wal``/``-shm`` files, the newest segment number a
player saw, and counts HTTP errors (a non-2xx answer or a failed request once the stream is
up; a player's 404 for a segment its playlist named is counted as a *stale* error) and chat
disconnects. After ffmpeg ends it waits for the server to report offline, samples a little
longer, then stops the server with SIGTERM and reports its exit code.

Summary: a least-squares line through the samples from the end of warm-up (``--warmup`` s,
default 120, or a fifth of the publishing time if that is shorter) to the end of publishing,
as growth per wall-clock hour. The verdict is **flat** when that hourly growth is under 5 % of
the quantity's mean level over the window *or* under a small absolute floor (RSS 4 MiB, fds
4, threads 2, HLS files 4, HLS bytes 4 MiB, database 1 MiB, its WAL 1 MiB), else **GROWING**
(a fall is flat: it is growth that would run out of memory or disk over a long stream).
The WAL file grows to SQLite's checkpoint size (~4 MiB) and is then reused, not shrunk: it is
called *bounded* when it grows but never exceeds 4.5 MiB. The database
is expected to grow while people chat (every message is stored until the chat retention
prune); the summary prints its growth per chat message sent so that can be judged. A leak
per segment shows faster with ``--fast`` (more segments per wall hour); the summary prints
media seconds per wall second so hourly figures can be converted.

``--tracemalloc`` runs the server under ``tracemalloc`` (``bench/_traced_serve.py``) and prints
where its Python heap grew between the end of warm-up and the end of publishing: the tool to
find *what* grows once a verdict says GROWING (its RSS figures are not comparable).

Not part of the test run: it reports, it asserts nothing about timings. Takes about
``--minutes`` (+ ~1 min) of wall time in real time; see docs/performance.md.

Usage: ``python bench/soak.py [--minutes 10] [--fast] [--viewers 3] [--chatters 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from _flv import compile_sources
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

MIB = 1024 * 1024
FLAT_SHARE = 0.05  # of the level, per hour
FLOORS = {  # absolute growth per hour that counts as flat whatever the level
    "server_rss": 4 * MIB, "child_rss": 4 * MIB, "server_fds": 4, "child_fds": 4, "server_threads": 2,
    "child_threads": 2, "hls_files": 4, "hls_bytes": 4 * MIB, "db_bytes": 1 * MIB,
    "wal_bytes": 1 * MIB,
}  # fmt: skip
CAPS = {"wal_bytes": 4.5 * MIB}  # SQLite checkpoints at 1000 pages (~4 MiB) and then reuses the file
UNITS = {"server_rss": MIB, "child_rss": MIB, "hls_bytes": MIB, "db_bytes": MIB, "wal_bytes": MIB}


FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
SOURCE = ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
          "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]  # fmt: skip
ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv"]
CLIP_SECONDS = 60  # --fast loops this much media, encoded once before the run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sample:
    t: float
    server_rss: float
    child_rss: float
    server_fds: int
    child_fds: int
    server_threads: int
    child_threads: int
    children: int
    hls_files: int
    hls_bytes: int
    db_bytes: int
    wal_bytes: int
    newest_segment: int
    server_cpu: float
    publishing: bool


@dataclass
class Load:
    """What the simulated audience did and saw (shared by the client tasks)."""

    http: Counter[str] = field(default_factory=Counter)  # "ok", "error <status>", "failed <exc>", "stale"
    segments: int = 0
    segment_bytes: int = 0
    newest_segment: int = -1
    target_duration: float = 0.0
    chat_sent: int = 0
    chat_received: int = 0
    chat_connects: int = 0
    chat_disconnects: int = 0
    chat_refused: Counter[str] = field(default_factory=Counter)
    online_seen: bool = False
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def count(self, response: httpx.Response | None = None, exc: Exception | None = None) -> None:
        if exc is not None:
            self.http[f"failed {type(exc).__name__}"] += 1
        elif response is not None and response.is_success:
            self.http["ok"] += 1
        elif response is not None:
            self.http[f"error {response.status_code} {response.request.url.path.split('/')[1]}"] += 1

    @property
    def errors(self) -> int:
        return sum(n for kind, n in self.http.items() if kind != "ok")


async def pause(load: Load, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(load.stop.wait(), seconds)


async def get(client: httpx.AsyncClient, load: Load, path: str) -> httpx.Response | None:
    try:
        response = await client.get(path)
    except httpx.HTTPError as exc:
        load.count(exc=exc)
        return None
    load.count(response)
    return response


def playlist_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def playlist_tag(text: str, tag: str, default: float) -> float:
    for line in text.splitlines():
        if line.startswith(tag + ":"):
            return float(line.split(":", 1)[1].split(",")[0])
    return default


async def viewer(base: str, index: int, load: Load) -> None:
    """One HLS player at the live edge, as hls.js behaves (poll, fetch new segments, ping)."""
    async with httpx.AsyncClient(base_url=base, timeout=10, headers={"User-Agent": f"soak-viewer-{index}"}) as c:
        while not load.stop.is_set():  # wait for the stream: 404s before it starts are not errors
            response = await c.get("/hls/stream.m3u8") if load.online_seen else None
            if response is not None and response.is_success and playlist_lines(response.text):
                load.count(response)
                break
            await pause(load, 1.0)
        else:
            return
        variants = playlist_lines(response.text)
        variant = variants[index % len(variants)]
        folder = variant.rsplit("/", 1)[0] + "/" if "/" in variant else ""
        seen: set[str] = set()
        first = True
        next_ping = next_metrics = time.monotonic()
        next_master = time.monotonic() + 30
        while not load.stop.is_set():
            target = 2.0
            playlist = await get(c, load, f"/hls/{variant}")
            if playlist is not None and playlist.is_success:
                target = load.target_duration = playlist_tag(playlist.text, "#EXT-X-TARGETDURATION", 2.0)
                sequence = int(playlist_tag(playlist.text, "#EXT-X-MEDIA-SEQUENCE", 0))
                segments = playlist_lines(playlist.text)
                load.newest_segment = max(load.newest_segment, sequence + len(segments) - 1)
                fresh = [s for s in segments if s not in seen]
                if first:
                    seen.update(fresh[:-3])
                    fresh, first = fresh[-3:], False
                for name in fresh:
                    seen.add(name)
                    try:
                        response = await c.get(f"/hls/{folder}{name}")
                    except httpx.HTTPError as exc:
                        load.count(exc=exc)
                        continue
                    if response.status_code == 404:
                        load.http["stale"] += 1  # named by the playlist just fetched, gone already
                    else:
                        load.count(response)
                        load.segments += 1
                        load.segment_bytes += len(response.content)
                if len(seen) > 100:  # a player forgets what slid out of the window
                    seen.intersection_update(segments)
            now = time.monotonic()
            if now >= next_ping:
                await get(c, load, "/api/ping")
                next_ping = now + 10
            if now >= next_metrics:
                try:
                    load.count(await c.post("/api/metrics/playback", json={
                        "bandwidth": 3000 + index, "latency": 4.5, "downloadDuration": 0.2, "errors": 0,
                        "qualityVariantChanges": 0}))  # fmt: skip
                except httpx.HTTPError as exc:
                    load.count(exc=exc)
                next_metrics = now + 30
            if now >= next_master:
                await get(c, load, "/hls/stream.m3u8")
                next_master = now + 30
            await pause(load, max(0.5, target / 2))


async def chatter(base: str, ws_base: str, index: int, every: float, load: Load) -> None:
    """One chat user: registers, keeps a socket open, says something every ``every`` seconds."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as c:
        try:
            response = await c.post("/api/chat/register", json={"displayName": f"soak{index}"})
        except httpx.HTTPError as exc:
            load.count(exc=exc)
            return
        load.count(response)
        if not response.is_success:
            return
        token = response.json()["accessToken"]
    n = 0
    while not load.stop.is_set():
        try:
            async with connect(f"{ws_base}/ws?accessToken={token}") as ws:
                load.chat_connects += 1
                reader = asyncio.create_task(read_chat(ws, load))
                try:
                    while not load.stop.is_set() and not reader.done():
                        await pause(load, every * random.uniform(0.8, 1.2))
                        if load.stop.is_set() or reader.done():
                            break
                        n += 1
                        await ws.send(json.dumps({"type": "CHAT", "body": f"message {n} from soak{index} :)"}))
                        load.chat_sent += 1
                finally:
                    if load.stop.is_set():
                        await ws.close()
                    with contextlib.suppress(ConnectionClosed):
                        await reader
            if not load.stop.is_set():
                load.chat_disconnects += 1
        except (OSError, InvalidStatus, ConnectionClosed) as exc:
            load.chat_refused[type(exc).__name__] += 1
        await pause(load, 1.0)


async def read_chat(ws: object, load: Load) -> None:
    async for frame in ws:  # type: ignore[attr-defined]
        load.chat_received += str(frame).count("\n") + 1


async def status_poller(base: str, load: Load) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10) as c:
        while not load.stop.is_set():
            response = await get(c, load, "/api/status")
            if response is not None and response.is_success and response.json().get("online"):
                load.online_seen = True
            await pause(load, 5.0)


def tree_size(root: Path) -> tuple[int, int]:
    files = size = 0
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except FileNotFoundError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    files += 1
                    size += entry.stat(follow_symlinks=False).st_size
            except FileNotFoundError:  # deleted between listing and stat
                continue
    return files, size


def sample(server: psutil.Process, data: Path, started: float, load: Load, publishing: bool) -> Sample:
    with server.oneshot():
        rss, fds, threads = server.memory_info().rss, server.num_fds(), server.num_threads()
        cpu = server.cpu_times()
    child_rss = child_fds = child_threads = children = 0
    for child in server.children(recursive=True):
        try:
            with child.oneshot():
                child_rss += child.memory_info().rss
                child_fds += child.num_fds()
                child_threads += child.num_threads()
                children += 1
        except psutil.NoSuchProcess:
            continue
    files, size = tree_size(data / "hls")
    db = sum(p.stat().st_size for p in data.glob("owncast.db") if p.is_file())
    wal = sum(p.stat().st_size for p in data.glob("owncast.db-*") if p.is_file())
    return Sample(time.monotonic() - started, rss, child_rss, fds, child_fds, threads, child_threads, children,
                  files, size, db, wal, load.newest_segment, cpu.user + cpu.system, publishing)  # fmt: skip


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares slope (per second) and mean of ``(t, value)``."""
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    slope = sum((t - mean_t) * (v - mean_v) for t, v in points) / var if var else 0.0
    return slope, mean_v


def show(name: str, value: float) -> str:
    unit = UNITS.get(name, 1)
    return f"{value / unit:.1f}" if unit != 1 else f"{value:.0f}"


async def soak(args: argparse.Namespace) -> int:
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="owncast-soak-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        web, rtmp = free_port(), free_port()
        base, ws_base = f"http://127.0.0.1:{web}", f"ws://127.0.0.1:{web}"
        log_path = Path(tmp) / "server.log"
        traced_serve = str(Path(__file__).with_name("_traced_serve.py"))
        runner = [traced_serve] if args.tracemalloc else ["-m", "owncast_runners.cli"]
        cmd = [sys.executable, *runner, "serve", "--data-dir", str(data),
               "--web-host", "127.0.0.1", "--web-port", str(web), "--rtmp-host", "127.0.0.1",
               "--rtmp-port", str(rtmp)]  # fmt: skip
        env = {**os.environ, "OWNCAST_LOG_LEVEL": "INFO", "OWNCAST_TRACE_OUT": str(Path(tmp) / "trace.txt")}
        proc = start_process(cmd, log_path, env=env)
        try:
            return await run(args, proc, data, base, ws_base, rtmp, log_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def run(args: argparse.Namespace, proc: subprocess.Popen[bytes], data: Path, base: str, ws_base: str,
              rtmp: int, log_path: Path) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=2) as c:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await c.get("/api/status")).status_code == 200:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"server did not start:\n{(await asyncio.to_thread(log_path.read_text))[-3000:]}")
            await asyncio.sleep(0.2)
    server = psutil.Process(proc.pid)
    load = Load()
    seconds = int(args.minutes * 60)
    target = f"rtmp://127.0.0.1:{rtmp}/live/abc123"
    if args.fast:  # encoding 720p30 live costs the publisher a whole core: loop a clip made beforehand
        clip = log_path.with_name("clip.flv")
        await asyncio.to_thread(subprocess.run, [*FFMPEG, *SOURCE, "-t", str(CLIP_SECONDS), *ENCODE, str(clip)],
                                check=True)  # fmt: skip
        ffmpeg_cmd = [*FFMPEG, "-stream_loop", "-1", "-i", str(clip), "-t", str(seconds), "-c", "copy", "-f", "flv",
                      target]  # fmt: skip
    else:
        ffmpeg_cmd = [*FFMPEG, "-re", *SOURCE, "-t", str(seconds), *ENCODE, target]
    ffmpeg_log = log_path.with_name("ffmpeg.log")
    print(f"# soak: {args.minutes:g} media minutes, {'as fast as the server takes it' if args.fast else 'real time'}, "
          f"{args.viewers} viewers, {args.chatters} chatters (a message every {args.chat_every:g} s), "
          f"sample every {args.interval:g} s; server pid {proc.pid}", flush=True)  # fmt: skip
    started = time.monotonic()
    ffmpeg = start_process(ffmpeg_cmd, ffmpeg_log)
    tasks = [asyncio.create_task(status_poller(base, load))]
    tasks += [asyncio.create_task(viewer(base, i, load)) for i in range(args.viewers)]
    tasks += [asyncio.create_task(chatter(base, ws_base, i, args.chat_every, load)) for i in range(args.chatters)]
    samples: list[Sample] = []
    next_print = 0.0
    traced = False
    while ffmpeg.poll() is None:
        samples.append(await asyncio.to_thread(sample, server, data, started, load, True))
        if args.tracemalloc and not traced and samples[-1].t >= args.warmup:
            proc.send_signal(signal.SIGUSR1)  # the baseline: growth is counted from here
            traced = True
        if proc.poll() is not None:
            print("server exited during the run", flush=True)
            ffmpeg.kill()
            break
        if samples[-1].t >= next_print:  # a heartbeat, so a long run shows it is alive
            s = samples[-1]
            print(f"  {s.t:6.0f} s  server {s.server_rss / MIB:.1f} MiB  child {s.child_rss / MIB:.1f} MiB  "
                  f"fds {s.server_fds}/{s.child_fds}  hls {s.hls_files} files  segment #{s.newest_segment}  "
                  f"errors {load.errors}", flush=True)  # fmt: skip
            next_print = s.t + 60
        await pause_until(ffmpeg, args.interval)
    publish_end = time.monotonic() - started
    ffmpeg.wait()
    if traced:
        proc.send_signal(signal.SIGUSR1)
    load.stop.set()
    await asyncio.gather(*tasks)
    # The stream ends: the server should go offline and tidy up; keep sampling a little.
    offline_after = None
    async with httpx.AsyncClient(base_url=base, timeout=5) as c:
        for _ in range(int(60 / 0.5)):
            with contextlib.suppress(httpx.HTTPError):
                if not (await c.get("/api/status")).json().get("online"):
                    offline_after = time.monotonic() - started - publish_end
                    break
            await asyncio.sleep(0.5)
    for _ in range(3):
        await asyncio.sleep(args.interval)
        samples.append(await asyncio.to_thread(sample, server, data, started, load, False))
    proc.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.to_thread(proc.wait, 30)
    except subprocess.TimeoutExpired:
        code = None
    report(args, samples, load, publish_end, offline_after, ffmpeg.returncode, ffmpeg_log, code, log_path)
    if traced and (trace := log_path.with_name("trace.txt")).exists():
        print("\ntracemalloc, from the end of warm-up to the end of publishing:")
        print(await asyncio.to_thread(trace.read_text))
    return 0


def start_process(cmd: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:  # the process keeps its own copy of the descriptor
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)


async def pause_until(proc: subprocess.Popen[bytes], seconds: float) -> None:
    """Sleep ``seconds`` or until ``proc`` exits, whichever is first."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        await asyncio.to_thread(proc.wait, seconds)


QUANTITIES = ("server_rss", "child_rss", "server_fds", "child_fds", "server_threads", "child_threads",
              "hls_files", "hls_bytes", "db_bytes", "wal_bytes")  # fmt: skip


def report(args: argparse.Namespace, samples: list[Sample], load: Load, publish_end: float,
           offline_after: float | None, ffmpeg_code: int | None, ffmpeg_log: Path, server_code: int | None,
           log_path: Path) -> None:
    live = [s for s in samples if s.publishing and s.children]  # transcoder running
    print()
    step = max(args.interval, args.table_every)
    print(f"{'t s':>6} {'server MiB':>10} {'child MiB':>9} {'fds srv/child':>13} {'threads':>9} "
          f"{'hls files':>9} {'hls MiB':>7} {'db+wal MiB':>10} {'segment':>7} {'cpu s':>6}")  # fmt: skip
    next_row = 0.0
    for i, s in enumerate(samples):
        if s.t >= next_row or i == len(samples) - 1 or (not s.publishing and samples[i - 1].publishing):
            mark = "" if s.publishing else "  (after publishing)"
            print(f"{s.t:6.0f} {s.server_rss / MIB:10.1f} {s.child_rss / MIB:9.1f} "
                  f"{f'{s.server_fds}/{s.child_fds}':>13} {f'{s.server_threads}/{s.child_threads}':>9} "
                  f"{s.hls_files:9d} {s.hls_bytes / MIB:7.1f} {f'{s.db_bytes / MIB:.2f}+{s.wal_bytes / MIB:.2f}':>10} "
                  f"{s.newest_segment:7d} "
                  f"{s.server_cpu:6.1f}{mark}")  # fmt: skip
            next_row = s.t + step
    print()
    if len(live) < 3:
        print("too few samples while the transcoder ran to fit anything")
        return
    warmup = min(args.warmup, (live[-1].t - live[0].t) / 5 + live[0].t)
    window = [s for s in live if s.t >= warmup]
    span = window[-1].t - window[0].t
    media_speed = args.minutes * 60 / publish_end
    print(f"publishing: {publish_end:.0f} s wall for {args.minutes * 60:.0f} s of media "
          f"({media_speed:.2f}x real time), "
          f"last segment #{live[-1].newest_segment} (target duration {load.target_duration:g} s); "
          f"ffmpeg exit {ffmpeg_code}; offline {offline_after if offline_after is None else f'{offline_after:.1f} s'} "
          f"after ffmpeg ended; server exit on SIGTERM {server_code}")  # fmt: skip
    print(f"fit window: {window[0].t:.0f}-{window[-1].t:.0f} s ({len(window)} samples, warm-up {warmup:.0f} s); "
          f"flat = growth/hour < {FLAT_SHARE:.0%} of level or under the absolute floor")  # fmt: skip
    print(f"{'quantity':<15} {'at warm-up':>10} {'at end':>10} {'mean':>10} {'fit /hour':>10} {'floor':>8}  verdict")
    for name in QUANTITIES:
        points = [(s.t, float(getattr(s, name))) for s in window]
        slope, mean = fit(points)
        per_hour = slope * 3600
        flat = per_hour < max(FLAT_SHARE * abs(mean), FLOORS[name])  # shrinking is not a leak
        verdict = "flat" if flat else "GROWING"
        if not flat and name in CAPS and max(v for _, v in points) <= CAPS[name]:
            verdict = f"bounded (never above {show(name, CAPS[name])})"
        elif not flat and name == "db_bytes":
            verdict += " (chat history: expected, until the 2 h retention prune)"
        unit = " MiB" if name in UNITS else ""
        print(f"{name + unit:<15} {show(name, points[0][1]):>10} {show(name, points[-1][1]):>10} "
              f"{show(name, mean):>10} {show(name, per_hour):>10} {show(name, FLOORS[name]):>8}  "
              f"{verdict}")  # fmt: skip
    after = samples[-1]
    print(f"after the stream ended: {after.hls_files} files / {after.hls_bytes / MIB:.1f} MiB under data/hls, "
          f"{after.children} child processes, server RSS {after.server_rss / MIB:.1f} MiB, fds {after.server_fds}")
    sent_in_window = max(1, load.chat_sent * span / publish_end)
    db_growth = window[-1].db_bytes - window[0].db_bytes  # the WAL is reused after each checkpoint
    print(f"database: {db_growth / 1024:.0f} KiB over the window for ~{sent_in_window:.0f} chat messages "
          f"({db_growth / sent_in_window:.0f} B/message; messages are kept until the retention prune)")
    print(f"viewers: {load.segments} segments fetched ({load.segment_bytes / MIB:.0f} MiB); "
          f"HTTP {load.http['ok']} ok, {load.errors} errors: "
          f"{dict((k, v) for k, v in load.http.items() if k != 'ok') or 'none'}")  # fmt: skip
    print(f"chat: {load.chat_sent} sent, {load.chat_received} frames received, {load.chat_connects} connects, "
          f"{load.chat_disconnects} unexpected disconnects, connection errors {dict(load.chat_refused) or 'none'}")
    ffmpeg_err = ffmpeg_log.read_text(errors="replace").strip()
    if ffmpeg_err:
        print("ffmpeg said:", ffmpeg_err[-800:])
    lines = log_path.read_text(errors="replace").splitlines()
    bad = [line for line in lines if " WARNING " in line or " ERROR " in line or "Traceback" in line]
    print(f"server log: {len(lines)} lines, {len(bad)} warnings/errors")
    for line in bad[:10]:
        print("  ", line[:200])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="media minutes to publish (default 10)")
    parser.add_argument("--fast", action="store_true", help="publish without -re (faster than real time)")
    parser.add_argument("--viewers", type=int, default=3)
    parser.add_argument("--chatters", type=int, default=3)
    parser.add_argument("--chat-every", type=float, default=3.0, help="seconds between a chatter's messages")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=120.0, help="seconds left out of the fit")
    parser.add_argument("--table-every", type=float, default=60.0, help="seconds between table rows")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="run the server under tracemalloc and print where its Python heap grew (slower)")
    sys.exit(asyncio.run(soak(parser.parse_args())))


if __name__ == "__main__":
    main()
