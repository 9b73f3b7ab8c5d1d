"""Shared test fixtures: free loopback ports and a real ``owncast serve`` process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OwncastProcess:
    """``owncast serve`` running as a subprocess on loopback with its own data dir."""

    data_dir: Path
    web_port: int = field(default_factory=free_port)
    rtmp_port: int = field(default_factory=free_port)
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def rtmp_url(self) -> str:
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live"

    def configure(self, values: dict[str, Any]) -> OwncastProcess:
        """Write runtime config into this server's database before it starts (through the
        container, as the server itself opens it)."""
        from owncast_runners.container import Container
        from owncast_runners.settings import Settings

        async def write() -> None:
            container = Container(settings=Settings(data_dir=self.data_dir))
            database = container.database()
            await database.open()
            try:
                await container.config_repository().set_many(values)
            finally:
                await database.close()

        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Its own thread: the caller may have an event loop running (Playwright's sync API does).
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, write()).result()
        return self

    def start(self, timeout: float = 30.0) -> OwncastProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir.parent / f"owncast-{self.web_port}.log"
        cmd = [sys.executable, "-m", "owncast_runners.cli", "serve", "--data-dir", str(self.data_dir),
               "--web-host", "127.0.0.1", "--rtmp-host", "127.0.0.1",
               "--web-port", str(self.web_port), "--rtmp-port", str(self.rtmp_port), *self.args]
        env = {**os.environ, "OWNCAST_LOG_LEVEL": "INFO", **self.env}
        with self.log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"owncast exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/api/status", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"owncast did not start in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait; returns the exit code (kills after ``timeout``)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def status(self) -> dict[str, object]:
        return dict(httpx.get(self.url + "/api/status", timeout=5).json())

    def wait_for(self, online: bool, timeout: float = 30.0) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        status = self.status()
        while status.get("online") is not online:
            if time.monotonic() > deadline:
                raise AssertionError(f"status never became online={online}: {status}\n{self.log()[-3000:]}")
            time.sleep(0.2)
            status = self.status()
        return status


@pytest.fixture
def owncast(tmp_path: Path) -> Iterator[OwncastProcess]:
    """A started server with a fresh data dir; stopped (and checked to exit cleanly) afterwards."""
    server = OwncastProcess(data_dir=tmp_path / "data").start()
    yield server
    code = server.stop()
    assert code == 0, f"owncast exited with {code}:\n{server.log()[-3000:]}"


def ffmpeg_publish(url: str, *, seconds: float = 30.0, size: str = "320x240", rate: int = 30,
                   realtime: bool = True) -> subprocess.Popen[bytes]:
    """Start the ffmpeg CLI publishing a test pattern with a tone to ``url``."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"]
    if realtime:
        cmd.append("-re")
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}", "-f", "lavfi", "-i",
            "sine=frequency=440:sample_rate=44100", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
            "-g", str(rate * 2), "-c:a", "aac", "-f", "flv", url]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def publish() -> Iterator[object]:
    """``publish(url, **kw)`` starts ffmpeg publishing (see ``ffmpeg_publish``); killed afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def start(url: str, **kwargs: object) -> subprocess.Popen[bytes]:
        proc = ffmpeg_publish(url, **kwargs)  # type: ignore[arg-type]
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture
def make_owncast(tmp_path: Path) -> Iterator[object]:
    """``make_owncast(**fields)`` builds (not starts) an ``OwncastProcess``; all are stopped after."""
    made: list[OwncastProcess] = []

    def make(**kwargs: object) -> OwncastProcess:
        kwargs.setdefault("data_dir", tmp_path / f"data{len(made)}")
        server = OwncastProcess(**kwargs)  # type: ignore[arg-type]
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()
