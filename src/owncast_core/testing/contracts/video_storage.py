"""Contract suite for ``VideoStorage``.

Bindings provide a ``storage_env`` fixture returning a ``StorageEnv``: the storage under test,
the local HLS root it was built with (where the transcoder writes files) and ``fetch``, which
reads a path relative to the HLS root *the way a viewer gets it* (from ``storage.get`` for a local
storage, from the bucket for S3) and returns ``None`` when the viewer would get a 404.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from owncast_core.errors import NotFoundError
from owncast_core.ports.video import SegmentInfo, VideoStorage

Fetch = Callable[[str], Awaitable[bytes | None]]


@dataclass
class StorageEnv:
    storage: VideoStorage
    root: Path
    fetch: Fetch


def _playlist(segments: list[str], *, ended: bool = False) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1", "#EXT-X-MEDIA-SEQUENCE:0"]
    for name in segments:
        lines += ["#EXTINF:1.000000,", name]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


MASTER = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=1000000,RESOLUTION=640x360\n0/stream.m3u8\n"


async def _write(path: Path, body: bytes) -> str:
    def do() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    await asyncio.to_thread(do)
    return str(path)


async def publish_segment(env: StorageEnv, variant: int, name: str, body: bytes) -> None:
    """Write a segment as the transcoder would, and report it."""
    path = await _write(env.root / str(variant) / name, body)
    await env.storage.segment_written(SegmentInfo(variant=variant, path=path, duration=1.0))


async def publish_playlist(env: StorageEnv, variant: int, segments: list[str]) -> None:
    path = await _write(env.root / str(variant) / "stream.m3u8", _playlist(segments))
    await env.storage.variant_playlist_written(variant, path)


async def publish_master(env: StorageEnv) -> None:
    path = await _write(env.root / "stream.m3u8", MASTER)
    await env.storage.master_playlist_written(path)


def listed(playlist: bytes) -> list[str]:
    return [ln for ln in playlist.decode().splitlines() if ln and not ln.startswith("#")]


class VideoStorageContract:
    """Behaviour every ``VideoStorage`` must have (bind with a ``storage_env`` fixture)."""

    @pytest.fixture
    async def storage_env(self) -> StorageEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def env(self, storage_env: StorageEnv) -> StorageEnv:
        await storage_env.storage.setup()
        return storage_env

    async def test_segments_and_playlists_reach_viewers(self, env: StorageEnv) -> None:
        await publish_segment(env, 0, "stream-a-0.ts", b"segment zero")
        await publish_segment(env, 0, "stream-a-1.ts", b"segment one")
        await publish_playlist(env, 0, ["stream-a-0.ts", "stream-a-1.ts"])
        playlist = await eventually(env.fetch, "0/stream.m3u8")
        assert listed(playlist) == ["stream-a-0.ts", "stream-a-1.ts"]
        assert await env.fetch("0/stream-a-1.ts") == b"segment one"

    async def test_master_playlist_is_served_locally(self, env: StorageEnv) -> None:
        await publish_master(env)
        item = await env.storage.get("stream.m3u8")
        assert item.content_type.lower() == "application/x-mpegurl"
        assert b"#EXT-X-STREAM-INF" in item.body

    async def test_published_playlist_never_names_a_missing_segment(self, env: StorageEnv) -> None:
        for n in range(5):
            await publish_segment(env, 0, f"stream-b-{n}.ts", f"seg {n}".encode())
            await publish_playlist(env, 0, [f"stream-b-{i}.ts" for i in range(max(0, n - 2), n + 1)])
            playlist = await env.fetch("0/stream.m3u8")
            if playlist is None:
                continue
            for name in listed(playlist):
                assert await env.fetch(f"0/{name}") is not None, name

    async def test_variants_are_independent(self, env: StorageEnv) -> None:
        await publish_segment(env, 0, "stream-c-0.ts", b"v0")
        await publish_segment(env, 1, "stream-c-0.ts", b"v1")
        await publish_playlist(env, 0, ["stream-c-0.ts"])
        await publish_playlist(env, 1, ["stream-c-0.ts"])
        await eventually(env.fetch, "1/stream.m3u8")
        assert await env.fetch("0/stream-c-0.ts") == b"v0"
        assert await env.fetch("1/stream-c-0.ts") == b"v1"

    @pytest.mark.parametrize(
        "path", ["../owncast.db", "0/../../etc/passwd", "/etc/passwd", "0/stream.mp4", "thumbnail.jpg", ""]
    )
    async def test_hostile_or_non_hls_paths_are_not_found(self, env: StorageEnv, path: str) -> None:
        with pytest.raises(NotFoundError):
            await env.storage.get(path)

    async def test_stream_ended_finishes_variant_playlists(self, env: StorageEnv) -> None:
        await publish_segment(env, 0, "stream-d-0.ts", b"x")
        await publish_playlist(env, 0, ["stream-d-0.ts"])
        await env.storage.stream_ended(1)
        playlist = await eventually(env.fetch, "0/stream.m3u8", containing=b"#EXT-X-ENDLIST")
        assert playlist.rstrip().endswith(b"#EXT-X-ENDLIST")
        assert listed(playlist) == ["stream-d-0.ts"]

    async def test_setup_forgets_the_previous_broadcast(self, env: StorageEnv) -> None:
        await publish_segment(env, 0, "stream-e-0.ts", b"old")
        await publish_playlist(env, 0, ["stream-e-0.ts"])
        await publish_master(env)
        await eventually(env.fetch, "0/stream.m3u8")
        await env.storage.setup()
        with pytest.raises(NotFoundError):
            await env.storage.get("stream.m3u8")
        assert not (env.root / "0" / "stream-e-0.ts").exists()

    async def test_cleanup_keeps_listed_segments(self, env: StorageEnv) -> None:
        for n in range(4):
            await publish_segment(env, 0, f"stream-f-{n}.ts", b"s")
        await publish_playlist(env, 0, ["stream-f-2.ts", "stream-f-3.ts"])
        await env.storage.cleanup()
        playlist = await eventually(env.fetch, "0/stream.m3u8")
        for name in listed(playlist):
            assert await env.fetch(f"0/{name}") == b"s"

    async def test_newest_playlist_wins(self, env: StorageEnv) -> None:
        for n in range(6):
            await publish_segment(env, 0, f"stream-g-{n}.ts", b"g")
            await publish_playlist(env, 0, [f"stream-g-{i}.ts" for i in range(max(0, n - 2), n + 1)])
        playlist = await eventually(env.fetch, "0/stream.m3u8", containing=b"stream-g-5.ts")
        assert listed(playlist) == ["stream-g-3.ts", "stream-g-4.ts", "stream-g-5.ts"]

    async def test_nothing_is_served_before_the_transcoder_writes(self, env: StorageEnv) -> None:
        for path in ("stream.m3u8", "0/stream.m3u8"):
            with pytest.raises(NotFoundError):
                await env.storage.get(path)
            assert await env.fetch(path) is None

    async def test_stream_ended_skips_variants_never_written(self, env: StorageEnv) -> None:
        await publish_segment(env, 0, "stream-h-0.ts", b"x")
        await publish_playlist(env, 0, ["stream-h-0.ts"])
        await env.storage.stream_ended(3)
        await eventually(env.fetch, "0/stream.m3u8", containing=b"#EXT-X-ENDLIST")
        assert await env.fetch("2/stream.m3u8") is None

    async def test_close_publishes_pending_work(self, env: StorageEnv) -> None:
        await publish_segment(env, 0, "stream-i-0.ts", b"last words")
        await publish_playlist(env, 0, ["stream-i-0.ts"])
        await env.storage.stream_ended(1)
        await env.storage.close()
        playlist = await env.fetch("0/stream.m3u8")
        assert playlist is not None and playlist.rstrip().endswith(b"#EXT-X-ENDLIST")
        assert await env.fetch("0/stream-i-0.ts") == b"last words"

    async def test_close_is_idempotent(self, env: StorageEnv) -> None:
        await env.storage.close()
        await env.storage.close()


async def eventually(fetch: Fetch, path: str, *, containing: bytes = b"",
                     timeout: float = 10.0) -> bytes:
    """Poll ``fetch`` until the file is visible (uploading storages publish asynchronously) and
    contains ``containing``; raise ``AssertionError`` after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = await fetch(path)
        if body is not None and containing in body:
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{path} not published within {timeout} s (last: {body!r})")
        await asyncio.sleep(0.05)


__all__ = [
    "StorageEnv",
    "VideoStorageContract",
    "eventually",
    "listed",
    "publish_master",
    "publish_playlist",
    "publish_segment",
]
