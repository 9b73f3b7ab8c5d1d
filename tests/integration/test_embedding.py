"""Embedding owncast-py as a library: start ``OwncastServer`` in-process and swap adapters by
overriding container providers (the README's "Embedding" example, kept honest)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers

from owncast_core.testing.fakes import FakeTranscoder, InMemoryVideoStorage
from owncast_runners.container import Container
from owncast_runners.server import OwncastServer
from owncast_runners.settings import Settings

pytestmark = pytest.mark.integration


async def test_embedded_server_with_swapped_transcoder_and_storage(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", web_host=("127.0.0.1",), web_port=0,
                        rtmp_host="127.0.0.1", rtmp_port=0)
    container = Container(settings=settings)
    transcoder = FakeTranscoder(bytes_per_segment=20_000)
    storage = InMemoryVideoStorage(settings.hls_dir)
    container.transcoder.override(providers.Object(transcoder))
    container.local_storage.override(providers.Object(storage))

    server = OwncastServer(settings, container)
    await server.start()
    ffmpeg = await asyncio.create_subprocess_exec(
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi",
        "-i", "testsrc2=size=160x120:rate=15", "-t", "20", "-c:v", "libx264", "-preset", "ultrafast",
        "-f", "flv", f"rtmp://127.0.0.1:{server.rtmp_port}/live/abc123",
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.web_port}") as client:
            for _ in range(150):
                if (await client.get("/api/status")).json()["online"]:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("never went online")
            playlist = await client.get("/hls/0/stream.m3u8")
            assert playlist.status_code == 200 and b".ts" in playlist.content
        assert transcoder.sessions and transcoder.sessions[0].received > 0
        assert ("master", "stream.m3u8") in storage.events
    finally:
        if ffmpeg.returncode is None:
            ffmpeg.kill()
        await ffmpeg.wait()
        await server.stop()
