"""An owncast-py server in this process for integration tests: loopback only, ports picked free
by the OS, a real SQLite file in ``data_dir``, the fake transcoder unless told otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from dependency_injector import providers

from owncast_core.testing.fakes import FakeTranscoder
from owncast_runners.container import Container
from owncast_runners.server import OwncastServer
from owncast_runners.settings import Settings


def loopback_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a server on 127.0.0.1 with free web and RTMP ports."""
    return Settings(data_dir=data_dir, web_host=("127.0.0.1",), web_port=0, rtmp_host="127.0.0.1", rtmp_port=0,
                    **overrides)


@dataclass
class InProcess:
    server: OwncastServer
    container: Container
    client: httpx.AsyncClient  # to the server's web port


@asynccontextmanager
async def running_server(
    data_dir: Path, *, configure: Callable[[Container], None] | None = None, fake_transcoder: bool = True,
    **settings: Any,
) -> AsyncIterator[InProcess]:
    """Start the server (``configure`` adjusts the container before), yield it with a client;
    stop both afterwards."""
    container = Container(settings=loopback_settings(data_dir, **settings))
    if fake_transcoder:
        container.transcoder.override(providers.Object(FakeTranscoder(bytes_per_segment=20_000)))
    if configure is not None:
        configure(container)
    server = OwncastServer(container.settings(), container)
    await server.start()
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.web_port}", timeout=10)
    try:
        yield InProcess(server, container, client)
    finally:
        await client.aclose()
        await server.stop()
