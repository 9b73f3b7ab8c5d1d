"""S3VideoStorage when the bucket misbehaves: retries, give-ups, outages, hangs, timeouts.

The storage talks to a real moto S3 server on loopback through ``Aioboto3Bucket``; a thin
``WatchedStore`` in between injects failures and checks, at every playlist upload, that the
playlist names only segments already in the bucket.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from owncast_adapters.storage.s3 import S3VideoStorage
from owncast_adapters.storage.s3_bucket import Aioboto3Bucket, S3Settings, StoredObject
from owncast_core.errors import StorageError
from owncast_core.ports.video import SegmentInfo

from ..s3_support import MotoS3, own_moto_s3, public_get  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration
LOGGER = "test.s3_faults"


class WatchedStore:
    """An ``ObjectStore`` around the real bucket that can fail or hang puts, and checks that a
    playlist is only ever uploaded after every segment it names."""

    def __init__(self, inner: Aioboto3Bucket) -> None:
        self.inner = inner
        self.fail_keys: dict[str, int] = {}  # key suffix -> failures left (-1: always)
        self.hang = asyncio.Event()
        self.hang.set()
        self.attempts: dict[str, list[float]] = defaultdict(list)
        self.stored: set[str] = set()
        self.playlists: list[tuple[str, bytes]] = []

    async def open(self) -> None:
        await self.inner.open()

    async def put(self, key: str, body: bytes, *, content_type: str, cache_control: str) -> None:
        self.attempts[key].append(time.monotonic())
        await self.hang.wait()
        for suffix, left in self.fail_keys.items():
            if key.endswith(suffix) and left != 0:
                self.fail_keys[suffix] = left - 1 if left > 0 else -1
                raise StorageError(f"injected failure for {key}")
        if key.endswith(".m3u8"):
            folder = key.rsplit("/", 1)[0]
            named = [ln for ln in body.decode().splitlines() if ln and not ln.startswith("#")]
            missing = [n for n in named if f"{folder}/{n}" not in self.stored]
            assert not missing, f"playlist {key} uploaded before its segments {missing}"
        await self.inner.put(key, body, content_type=content_type, cache_control=cache_control)
        self.stored.add(key)
        if key.endswith(".m3u8"):
            self.playlists.append((key, body))

    async def list(self, prefix: str) -> list[StoredObject]:
        return await self.inner.list(prefix)

    async def delete(self, keys: Sequence[str]) -> None:
        await self.inner.delete(keys)

    async def check(self) -> None:
        await self.inner.check()

    async def close(self) -> None:
        await self.inner.close()


class Broadcast:
    """Plays the transcoder: writes segment files and playlists under ``root`` and reports them."""

    def __init__(self, storage: S3VideoStorage, root: Path, window: int = 3) -> None:
        self.storage = storage
        self.root = root
        self.window = window
        self.count = 0
        self.slowest_call = 0.0

    async def next_segment(self, variant: int = 0) -> str:
        n = self.count
        self.count += 1
        folder = self.root / str(variant)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"stream-f-{n}.ts"
        (folder / name).write_bytes(b"x" * 2048 + str(n).encode())
        first = max(0, n + 1 - self.window)
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1", f"#EXT-X-MEDIA-SEQUENCE:{first}"]
        for i in range(first, n + 1):
            lines += ["#EXTINF:1.000000,", f"stream-f-{i}.ts"]
        (folder / "stream.m3u8").write_text("\n".join(lines) + "\n")
        started = time.monotonic()
        await self.storage.segment_written(SegmentInfo(variant, str(folder / name), 1.0))
        await self.storage.variant_playlist_written(variant, str(folder / "stream.m3u8"))
        self.slowest_call = max(self.slowest_call, time.monotonic() - started)
        return name

    def local_segments(self, variant: int = 0) -> int:
        return len(list((self.root / str(variant)).glob("*.ts")))


def segments_named(body: bytes) -> list[str]:
    return [ln for ln in body.decode().splitlines() if ln and not ln.startswith("#")]


async def wait_until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
def settings(own_moto_s3: MotoS3) -> S3Settings:  # noqa: F811
    return own_moto_s3.settings(own_moto_s3.new_bucket(), path_prefix="live")


@pytest.fixture
def log() -> logging.Logger:
    return logging.getLogger(LOGGER)


@dataclass
class Rig:
    storage: S3VideoStorage
    store: WatchedStore
    broadcast: Broadcast


@pytest.fixture
async def rig(tmp_path: Path, settings: S3Settings, log: logging.Logger) -> AsyncIterator[Rig]:
    """A set-up storage (4 pending segments at most, 2 workers, 50 ms backoff) on a watched bucket."""
    store = WatchedStore(Aioboto3Bucket(settings=settings, timeout=2.0))
    storage = S3VideoStorage(settings=settings, hls_dir=tmp_path / "hls", bucket=store, backoff=0.05,
                             max_pending_segments=4, upload_workers=2, drain_timeout=2.0, logger=log)
    await storage.setup()
    yield Rig(storage, store, Broadcast(storage, tmp_path / "hls"))
    await storage.close()


def playlist_url(settings: S3Settings, variant: int = 0) -> str:
    return f"{settings.public_base}/{settings.hls_prefix}{variant}/stream.m3u8"


async def test_failed_uploads_are_retried_with_growing_backoff(
    rig: Rig, settings: S3Settings, caplog: pytest.LogCaptureFixture
) -> None:
    store, broadcast = rig.store, rig.broadcast
    store.fail_keys["stream-f-0.ts"] = 2
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        await broadcast.next_segment()
        await wait_until(lambda: len(store.playlists) == 1)
    tries = store.attempts["live/hls/0/stream-f-0.ts"]
    assert len(tries) == 3
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert gaps[0] >= 0.045 and gaps[1] >= 0.095 and gaps[1] > gaps[0]
    failing = [r.getMessage() for r in caplog.records if "are failing" in r.getMessage()]
    assert failing and settings.bucket in failing[0] and settings.endpoint in failing[0]
    assert any("work again" in r.getMessage() for r in caplog.records)


async def test_gives_up_after_five_tries_and_playlists_skip_the_lost_segment(
    rig: Rig, settings: S3Settings, caplog: pytest.LogCaptureFixture
) -> None:
    store, broadcast = rig.store, rig.broadcast
    store.fail_keys["stream-f-1.ts"] = -1
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(4):
            await broadcast.next_segment()
        await wait_until(lambda: b"stream-f-3.ts" in (public_get(playlist_url(settings)) or b""))
    assert len(store.attempts["live/hls/0/stream-f-1.ts"]) == 5
    give_up = [r.getMessage() for r in caplog.records if "giving up" in r.getMessage()]
    assert give_up and "stream-f-1.ts" in give_up[0] and settings.bucket in give_up[0]
    assert settings.endpoint in give_up[0]
    final = public_get(playlist_url(settings))
    assert final is not None
    assert segments_named(final) == ["stream-f-2.ts", "stream-f-3.ts"]
    assert b"#EXT-X-MEDIA-SEQUENCE:2" in final
    for _, body in store.playlists:
        assert "stream-f-1.ts" not in segments_named(body)
    assert broadcast.local_segments() == 0  # deleted after upload, and after giving up


async def test_outage_keeps_the_stream_going_bounded_and_uploads_resume(
    rig: Rig, settings: S3Settings, own_moto_s3: MotoS3, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    store, broadcast = rig.store, rig.broadcast
    for _ in range(3):
        await broadcast.next_segment()
    await wait_until(lambda: b"stream-f-2.ts" in (public_get(playlist_url(settings)) or b""))

    own_moto_s3.stop()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        most_on_disk = 0
        for _ in range(30):  # 30 segments while S3 refuses connections
            await broadcast.next_segment()
            most_on_disk = max(most_on_disk, broadcast.local_segments())
            await asyncio.sleep(0.02)
    assert broadcast.slowest_call < 0.1, "reporting a segment waited on S3"
    assert most_on_disk <= 4 + 2  # max_pending_segments + workers
    messages = [r.getMessage() for r in caplog.records]
    assert any("are failing" in m and settings.bucket in m and settings.endpoint in m for m in messages)

    own_moto_s3.start()  # same port, same buckets
    for _ in range(3):
        last = await broadcast.next_segment()
    await wait_until(lambda: last.encode() in (public_get(playlist_url(settings)) or b""))
    playlist = public_get(playlist_url(settings))
    assert playlist is not None
    for name in segments_named(playlist):
        assert public_get(playlist_url(settings).replace("stream.m3u8", name)) is not None, name
    await wait_until(lambda: broadcast.local_segments() == 0)
    sequences = [int(b.split(b"#EXT-X-MEDIA-SEQUENCE:")[1].split(b"\n")[0]) for _, b in store.playlists]
    assert sequences == sorted(sequences), "an older playlist overwrote a newer one"


async def test_a_hanging_bucket_never_blocks_the_transcoder(rig: Rig) -> None:
    storage, store, broadcast = rig.storage, rig.store, rig.broadcast
    store.hang.clear()  # every put waits forever
    for _ in range(25):
        await broadcast.next_segment()
    assert broadcast.slowest_call < 1.0  # a blocked call would wait out the 10 s timeout
    assert broadcast.local_segments() <= 4 + 2
    started = time.monotonic()
    await storage.close()  # drain_timeout 2 s, then gives the hung uploads up
    assert time.monotonic() - started < 4
    assert broadcast.local_segments() == 0


async def test_stream_starts_while_the_bucket_is_unreachable(
    tmp_path: Path, settings: S3Settings, own_moto_s3: MotoS3,  # noqa: F811
    log: logging.Logger, caplog: pytest.LogCaptureFixture,
) -> None:
    own_moto_s3.stop()
    storage = S3VideoStorage(settings=settings, hls_dir=tmp_path / "hls", backoff=0.01, logger=log)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await storage.setup()  # does not raise: the stream must be able to go live
        await wait_until(lambda: any(settings.bucket in r.getMessage() for r in caplog.records))
    own_moto_s3.start()
    broadcast = Broadcast(storage, tmp_path / "hls")
    await broadcast.next_segment()
    await storage.close()
    assert public_get(playlist_url(settings)) is not None


async def test_requests_time_out_instead_of_hanging(settings: S3Settings) -> None:
    done = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await done.wait()  # accept, read nothing, never answer
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    bucket = Aioboto3Bucket(settings=S3Settings(**{**_fields(settings), "endpoint": f"http://127.0.0.1:{port}"}),
                            timeout=0.5)
    await bucket.open()
    started = time.monotonic()
    with pytest.raises(StorageError, match=rf"{settings.bucket}.*127\.0\.0\.1:{port}"):
        await bucket.put("hls/0/x.ts", b"x", content_type="video/mp2t", cache_control="max-age=1")
    assert time.monotonic() - started < 3
    await bucket.close()
    done.set()
    server.close()
    await server.wait_closed()


def _fields(settings: S3Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in S3Settings.__dataclass_fields__}
