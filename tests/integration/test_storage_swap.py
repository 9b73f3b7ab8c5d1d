"""The container's storage Selector follows the ``s3`` setting at each stream start (both ways).

The real container and ``StreamService``, the fake transcoder, an in-memory config and a real
moto S3 server on loopback.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.stream import BroadcasterDetails
from owncast_core.errors import NotFoundError
from owncast_core.services.config import ConfigService
from owncast_core.testing.fakes import FakeTranscoder, InMemoryConfigRepository, PlainPasswordHasher
from owncast_runners.container import Container
from owncast_runners.settings import Settings

from ..s3_support import MotoS3, moto_s3, public_get  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


def details() -> BroadcasterDetails:
    return BroadcasterDetails(remote_addr="127.0.0.1", connected_at=datetime.now(UTC))


async def poll(url: str, containing: bytes, within: float = 10.0) -> bytes:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        body = await asyncio.to_thread(public_get, url)
        if body is not None and containing in body:
            return body
        assert asyncio.get_running_loop().time() < deadline, f"{url} never contained {containing!r}: {body!r}"
        await asyncio.sleep(0.05)


async def test_s3_setting_applies_at_the_next_stream_start_and_back(
    tmp_path: Path, moto_s3: MotoS3  # noqa: F811
) -> None:
    container = Container(settings=Settings(data_dir=tmp_path / "data"))
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    container.config.override(config)
    container.transcoder.override(FakeTranscoder(bytes_per_segment=100))
    stream = container.stream()
    bucket = moto_s3.new_bucket()
    s3 = {"enabled": True, "endpoint": moto_s3.endpoint, "accessKey": "test", "secret": "test",
          "bucket": bucket, "region": "us-east-1", "acl": "", "forcePathStyle": True,
          "pathPrefix": "show", "servingEndpoint": ""}

    # Enabled while offline: the next broadcast goes to the bucket.
    await config.set(Keys.S3, s3)
    sink = await stream.begin(details(), lambda: None)
    await sink.write(b"x" * 300)
    master = (await stream.storage.get("stream.m3u8")).body.decode()
    variant_url = f"{moto_s3.endpoint}/{bucket}/show/hls/0/stream.m3u8"
    assert variant_url in master
    with pytest.raises(NotFoundError):
        await stream.storage.get("0/stream.m3u8")
    await poll(variant_url, b".ts")

    # Switched off mid-stream: this broadcast stays on S3 to its end.
    await config.set(Keys.S3, {**s3, "enabled": False})
    await sink.write(b"x" * 100)
    await sink.close()
    await stream.wait_offline(timeout=5)
    ended = await poll(variant_url, b"#EXT-X-ENDLIST")
    assert ended.count(b".ts") == 3

    # The next broadcast is served locally again.
    sink = await stream.begin(details(), lambda: None)
    await sink.write(b"x" * 200)
    playlist = (await stream.storage.get("0/stream.m3u8")).body
    assert b".ts" in playlist and b"http" not in (await stream.storage.get("stream.m3u8")).body
    await sink.close()
    await stream.wait_offline(timeout=5)
    await stream.storage.close()
