"""Chat fan-out: owncast-py's /ws vs a minimal ``websockets.broadcast()`` server, in one run.

N clients connect; M chat messages per second go in (spread over senders that stay under the
flood guard); every message is delivered to all N clients. Each server runs as a subprocess
pinned to CPU 0, the load generator (raw-socket clients, cheap to run) pinned to CPU 1. Prints,
for both servers: deliveries/s, server CPU microseconds per delivery, p50/p99 delivery latency
(sampled clients), dropped connections, and the idle memory per connection of owncast-py; then
the ratios. Not part of the test run.

Usage: python bench/chat_fanout.py [--clients 2000] [--rate 25] [--seconds 10] [--senders 40] [--nice -10]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

REFERENCE_SERVER = textwrap.dedent("""
    import asyncio, sys
    from websockets.asyncio.server import broadcast, serve

    clients = set()

    async def handler(ws):
        clients.add(ws)
        await ws.send('{"type":"CONNECTED_USER_INFO"}')
        try:
            async for message in ws:
                broadcast(clients, message)
        finally:
            clients.discard(ws)

    async def main():
        async with serve(handler, "127.0.0.1", int(sys.argv[1]), compression=None, max_queue=None):
            await asyncio.Future()

    asyncio.run(main())
""")

STAMP = re.compile(rb"bench ([0-9]+\.[0-9]+)")
MARKER = b'"type":"CHAT"'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    else:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + data


@dataclass
class Stats:
    deliveries: int = 0
    latencies: list[float] = field(default_factory=list)
    dropped: int = 0
    counting: bool = False


class BenchClient(asyncio.Protocol):
    """A raw websocket client that counts CHAT events and, when probing, measures latency."""

    def __init__(self, stats: Stats, path: str, probe: bool) -> None:
        self.stats = stats
        self.path = path
        self.probe = probe
        self.buf = bytearray()
        self.tail = b""
        self.upgraded = False
        self.ready = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        if self.upgraded and not self.probe:
            # Cheap counting for most clients: markers in the byte stream (a marker split across
            # two reads is found through the kept tail, which is too short to hold a whole one).
            chunk = self.tail + data
            if self.stats.counting:
                self.stats.deliveries += chunk.count(MARKER)
            self.tail = chunk[-(len(MARKER) - 1) :]
            return
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(RuntimeError(bytes(buf[:200]).decode("latin-1")))
                return
            del buf[: end + 4]
            self.upgraded = True
            if not self.probe:
                self.ready.set_result(None)
                self.tail = bytes(buf)
                buf.clear()
                return
        pos = 0
        size = len(buf)
        while size - pos >= 2:
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                (length,) = struct.unpack_from("!Q", buf, pos + 2)
                head = 10
            if size - pos < head + length:
                break
            opcode = buf[pos] & 0x0F
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            if opcode == 1:
                if not self.ready.done():
                    self.ready.set_result(None)
                if self.stats.counting:
                    self.stats.deliveries += payload.count(b'"type":"CHAT"')
                    if self.probe:
                        now = time.monotonic()
                        self.stats.latencies.extend(now - float(t) for t in STAMP.findall(payload))
            elif opcode == 9 and self.transport is not None:
                self.transport.write(masked_frame(10, payload))
            elif opcode == 8:
                self.stats.dropped += 1
        if pos:
            del buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before ready"))

    def send_chat(self, body: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            payload = json.dumps({"type": "CHAT", "body": body}, separators=(",", ":")).encode()
            self.transport.write(masked_frame(1, payload))


@dataclass
class Result:
    name: str
    clients: int
    sent: int
    deliveries: int
    seconds: float
    cpu_seconds: float
    latencies: list[float]
    dropped: int
    idle_kb_per_connection: float | None = None
    client_cpu_share: float = 0.0
    server_cpu_share: float = 0.0

    @property
    def per_second(self) -> float:
        return self.deliveries / self.seconds

    @property
    def us_per_delivery(self) -> float:
        return self.cpu_seconds / max(1, self.deliveries) * 1e6

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


async def run_load(
    name: str,
    pid: int,
    port: int,
    paths: list[str],
    *,
    rate: float,
    seconds: float,
    senders: int,
    warmup: float = 2.0,
) -> Result:
    loop = asyncio.get_running_loop()
    stats = Stats()
    clients: list[BenchClient] = []
    before = rss(pid)
    for i, path in enumerate(paths):
        _, client = await loop.create_connection(
            lambda p=path, i=i: BenchClient(stats, p, i % 20 == 0), "127.0.0.1", port
        )
        clients.append(client)
        if i % 100 == 99:
            await asyncio.gather(*(c.ready for c in clients[-100:]))
    await asyncio.gather(*(c.ready for c in clients))
    await asyncio.sleep(1.0)
    idle_kb = (rss(pid) - before) / len(clients) / 1024
    speakers = clients[:: max(1, len(clients) // senders)][:senders]
    proc = psutil.Process(pid)

    async def speak(duration: float) -> int:
        start = time.monotonic()
        n = 0
        while (now := time.monotonic()) - start < duration:
            speakers[n % len(speakers)].send_chat(f"bench {now:.6f}")
            n += 1
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
        return n

    await speak(warmup)
    await asyncio.sleep(0.5)
    stats.counting = True
    cpu0 = sum(proc.cpu_times()[:2])
    me = psutil.Process()
    me0 = sum(me.cpu_times()[:2])
    t0 = time.monotonic()
    sent = await speak(seconds)
    await asyncio.sleep(1.0)  # let the last messages arrive
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    mine = sum(me.cpu_times()[:2]) - me0
    stats.counting = False
    elapsed = time.monotonic() - t0
    for c in clients:
        if c.transport is not None:
            c.transport.close()
    return Result(
        name,
        len(clients),
        sent,
        stats.deliveries,
        elapsed,
        cpu,
        stats.latencies,
        stats.dropped,
        idle_kb,
        client_cpu_share=mine / elapsed,
        server_cpu_share=cpu / elapsed,
    )


def start_owncast(data_dir: Path, prefix: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [
        *prefix,
        "taskset",
        "-c",
        "0",
        sys.executable,
        "-m",
        "owncast_runners.cli",
        "serve",
        "--data-dir",
        str(data_dir),
        "--web-host",
        "127.0.0.1",
        "--web-port",
        str(port),
        "--rtmp-host",
        "127.0.0.1",
        "--rtmp-port",
        str(free_port()),
        "--log-level",
        "WARNING",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    time.sleep(1.0)
    return proc, port


def start_reference(prefix: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [*prefix, "taskset", "-c", "0", sys.executable, "-c", REFERENCE_SERVER, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def deflate_idle_kb(pid: int, port: int, token: str, count: int) -> float:
    """Idle memory per connection when clients negotiate permessage-deflate, as browsers do."""
    from websockets.asyncio.client import connect

    before = rss(pid)
    sockets = []
    for _ in range(count):
        ws = await connect(f"ws://127.0.0.1:{port}/ws?accessToken={token}")  # compression offered
        await ws.recv()
        sockets.append(ws)
    await asyncio.sleep(1.0)
    kb = (rss(pid) - before) / count / 1024
    for ws in sockets:
        await ws.close()
    return kb


def register(port: int, users: int) -> list[str]:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        return [
            http.post("/api/chat/register", json={"displayName": f"bench{i}"}).json()["accessToken"]
            for i in range(users)
        ]


def report(results: list[Result]) -> None:
    print(
        f"{'server':<22}{'clients':>8}{'msgs in':>9}{'deliv/s':>10}{'CPU us/deliv':>14}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'dropped':>9}{'idle KB/conn':>14}{'srv CPU':>9}{'gen CPU':>9}"
    )
    for r in results:
        idle = f"{r.idle_kb_per_connection:.1f}" if r.idle_kb_per_connection is not None else "-"
        print(
            f"{r.name:<22}{r.clients:>8}{r.sent:>9}{r.per_second:>10.0f}{r.us_per_delivery:>14.2f}"
            f"{r.percentile(0.5):>8.1f}{r.percentile(0.99):>8.1f}{r.dropped:>9}{idle:>14}"
            f"{r.server_cpu_share:>9.0%}{r.client_cpu_share:>9.0%}"
        )
    if len(results) == 2:
        ours, ref = results
        print(
            "ratio owncast-py / websockets.broadcast: CPU per delivery "
            f"x{ours.us_per_delivery / ref.us_per_delivery:.2f}, "
            f"p99 x{ours.percentile(0.99) / max(ref.percentile(0.99), 1e-9):.2f}"
        )
        expected = ours.sent * ours.clients
        print(
            f"owncast-py delivered {ours.deliveries} of {expected} expected "
            f"({100 * ours.deliveries / max(1, expected):.1f}%); "
            f"targets: <= 15 us/delivery, p99 < 250 ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=25.0, help="chat messages per second in")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=40)
    parser.add_argument("--only", choices=["owncast", "reference"], default=None)
    parser.add_argument(
        "--deflate-clients",
        type=int,
        default=300,
        help="idle memory with N clients negotiating permessage-deflate (0: skip)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run servers and load generator at this nice level (negative needs root)",
    )
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    prefix = ["nice", "-n", str(args.nice)] if args.nice else []
    if args.nice:
        os.nice(args.nice)
    results: list[Result] = []
    if args.only in (None, "owncast"):
        with tempfile.TemporaryDirectory() as tmp:
            proc, port = start_owncast(Path(tmp) / "data", prefix)
            try:
                tokens = register(port, 100)
                paths = [f"/ws?accessToken={tokens[i % len(tokens)]}" for i in range(args.clients)]
                results.append(
                    asyncio.run(
                        run_load(
                            "owncast-py",
                            proc.pid,
                            port,
                            paths,
                            rate=args.rate,
                            seconds=args.seconds,
                            senders=args.senders,
                        )
                    )
                )
            finally:
                stop(proc)
    if args.only in (None, "reference"):
        proc, port = start_reference(prefix)
        try:
            result = asyncio.run(
                run_load(
                    "websockets.broadcast",
                    proc.pid,
                    port,
                    ["/"] * args.clients,
                    rate=args.rate,
                    seconds=args.seconds,
                    senders=args.senders,
                )
            )
            result.idle_kb_per_connection = None
            results.append(result)
        finally:
            stop(proc)
    report(results)
    if args.deflate_clients and args.only in (None, "owncast"):
        with tempfile.TemporaryDirectory() as tmp:
            proc, port = start_owncast(Path(tmp) / "data", prefix)
            try:
                token = register(port, 1)[0]
                kb = asyncio.run(deflate_idle_kb(proc.pid, port, token, args.deflate_clients))
                print(
                    f"owncast-py idle memory with permessage-deflate clients: {kb:.1f} KB per connection "
                    f"({args.deflate_clients} clients offering it; the web front declines the extension)"
                )
            finally:
                stop(proc)
    if results:
        print(
            f"p50 latencies (median of probes): {statistics.median(results[0].latencies) * 1000:.1f} ms"
            if results[0].latencies
            else ""
        )


if __name__ == "__main__":
    main()
