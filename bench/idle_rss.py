"""Idle memory of ``owncast serve`` vs a bare Starlette-on-Hypercorn app, in one run.

Starts each as a subprocess on free loopback ports, lets it settle, reads VmRSS from /proc.
Target: owncast-py idle RSS < 120 MB. Usage: python bench/idle_rss.py
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

BARE_APP = textwrap.dedent('''
    import asyncio, sys
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def status(request):
        return JSONResponse({"online": False})

    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[1]}"]
    asyncio.run(serve(Starlette(routes=[Route("/api/status", status)]), config))
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def measure(cmd: list[str], port: int, settle: float = 5.0) -> float:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        for _ in range(20):
            httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=1)
        time.sleep(settle)
        return rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        ours = measure([sys.executable, "-m", "owncast_runners.cli", "serve", "--data-dir", tmp,
                        "--web-host", "127.0.0.1", "--web-port", str(port), "--rtmp-host", "127.0.0.1",
                        "--rtmp-port", str(free_port())], port)
        port = free_port()
        bare = measure([sys.executable, "-c", BARE_APP, str(port)], port)
    print(f"owncast serve idle RSS: {ours:.1f} MB")
    print(f"bare Starlette+Hypercorn: {bare:.1f} MB (ratio {ours / bare:.2f})")
    print(f"target < 120 MB: {'met' if ours < 120 else 'MISSED'}")


if __name__ == "__main__":
    main()
