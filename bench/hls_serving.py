"""HLS serving throughput: owncast-py vs nginx on the same files, in one run.

The server under test and nginx each run pinned to CPU 0 (one worker each); wrk runs pinned to
CPU 1. Both serve a variant playlist and a ~450 KB segment (1.2 Mbps x 3 s). Prints requests/s
and the ratio ours/nginx. Usage: python bench/hls_serving.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

PLAYLIST = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:3
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z
#EXTINF:3.000000,
stream-bench-10.ts
#EXTINF:3.000000,
stream-bench-11.ts
#EXTINF:3.000000,
stream-bench-12.ts
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True, text=True, check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(out)
    return float(match.group(1))


OUR_SERVER = textwrap.dedent('''
    import asyncio, os, sys
    from pathlib import Path
    from owncast_core.ports.video import SegmentInfo
    from owncast_runners.server import OwncastServer
    from owncast_runners.settings import Settings

    async def main(data_dir, port):
        os.sched_setaffinity(0, {0})
        server = OwncastServer(Settings(data_dir=Path(data_dir), web_host=("127.0.0.1",), web_port=port,
                                        rtmp_host="127.0.0.1", rtmp_port=0))
        await server.start()
        storage = server.container.stream().storage
        hls = Path(data_dir) / "hls"
        for n in (10, 11, 12):
            await storage.segment_written(SegmentInfo(0, str(hls / "0" / f"stream-bench-{n}.ts"), 3.0))
        await storage.variant_playlist_written(0, str(hls / "0" / "stream.m3u8"))
        await asyncio.Event().wait()

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
''')


def populate(hls: Path) -> None:
    (hls / "0").mkdir(parents=True, exist_ok=True)
    (hls / "0" / "stream.m3u8").write_text(PLAYLIST)
    for n in (10, 11, 12):
        (hls / "0" / f"stream-bench-{n}.ts").write_bytes(os.urandom(450_000))


def run_ours(root: Path, seconds: int) -> dict[str, float]:
    data = root / "ours"
    populate(data / "hls")  # before start: the server reports these files to its storage
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", OUR_SERVER, str(data), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(base + "/hls/0/stream.m3u8")
        except RuntimeError:
            sys.exit("owncast-py did not start")
        return measure(base + "/hls", seconds)
    finally:
        proc.terminate()
        proc.wait()


def run_nginx(root: Path, seconds: int) -> dict[str, float]:
    port = free_port()
    web = root / "nginx"
    populate(web / "hls")
    conf = root / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the private temp dir
    conf.write_text(f"""
{user}
worker_processes 1;
worker_cpu_affinity 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  types {{ application/x-mpegURL m3u8; video/mp2t ts; }}
  server {{
    listen 127.0.0.1:{port};
    root {web};
    location ~ \\.m3u8$ {{
      add_header Cache-Control "no-cache, no-store, must-revalidate"; add_header Access-Control-Allow-Origin *;
    }}
    location ~ \\.ts$ {{ add_header Cache-Control "public, max-age=3600"; add_header Access-Control-Allow-Origin *; }}
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(base + "/hls/0/stream.m3u8")
        except RuntimeError:
            sys.exit("nginx did not start:\n" + (root / "nginx-error.log").read_text(errors="replace"))
        return measure(base + "/hls", seconds)
    finally:
        proc.terminate()
        proc.wait()


def measure(base: str, seconds: int) -> dict[str, float]:
    assert httpx.get(base + "/0/stream-bench-11.ts").status_code == 200
    return {
        "playlist": wrk(base + "/0/stream.m3u8", seconds, 32),
        "segment": wrk(base + "/0/stream-bench-11.ts", seconds, 16),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    for tool in ("wrk", "nginx", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (apt-get install {tool})")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ours = run_ours(root, args.seconds)
        nginx = run_nginx(root, args.seconds)
    print(f"{'':10}{'owncast-py':>14}{'nginx':>14}{'ratio':>10}")
    for kind in ("playlist", "segment"):
        print(f"{kind:10}{ours[kind]:>12.0f}/s{nginx[kind]:>12.0f}/s{ours[kind] / nginx[kind]:>10.2f}")
    print("targets: segment ratio >= 0.80, playlist ratio >= 0.15")


if __name__ == "__main__":
    main()
