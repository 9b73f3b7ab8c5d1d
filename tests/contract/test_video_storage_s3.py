"""The VideoStorage contract bound to ``S3VideoStorage`` against a real S3-compatible server
(moto's standalone server on loopback), plus what is specific to S3 storage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from owncast_adapters.storage.s3 import S3VideoStorage
from owncast_adapters.storage.s3_bucket import S3Settings
from owncast_core.errors import NotFoundError
from owncast_core.testing.contracts.video_storage import (
    StorageEnv,
    VideoStorageContract,
    eventually,
    listed,
    publish_master,
    publish_playlist,
    publish_segment,
)

from ..s3_support import MotoS3, moto_s3  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


def viewer_fetch(storage: S3VideoStorage, http: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    """Read a path the way a viewer does: the master from this server, the rest from the bucket."""
    settings = storage.settings

    async def fetch(path: str) -> bytes | None:
        if path == "stream.m3u8":
            try:
                return (await storage.get(path)).body
            except NotFoundError:
                return None
        answer = await http.get(f"{settings.public_base}/{settings.hls_prefix}{path}")
        return answer.content if answer.status_code == 200 else None

    return fetch


@pytest.fixture
async def s3_env(
    tmp_path: Path, moto_s3: MotoS3, request: pytest.FixtureRequest  # noqa: F811
) -> AsyncIterator[StorageEnv]:
    overrides = getattr(request, "param", {})
    settings = moto_s3.settings(moto_s3.new_bucket(), **{"path_prefix": "streams/main", **overrides})
    storage = S3VideoStorage(settings=settings, hls_dir=tmp_path / "hls", playlist_segments=3, backoff=0.05)
    async with httpx.AsyncClient(timeout=5) as http:
        yield StorageEnv(storage=storage, root=tmp_path / "hls", fetch=viewer_fetch(storage, http))
    await storage.close()


class TestS3VideoStorage(VideoStorageContract):
    @pytest.fixture
    async def storage_env(self, s3_env: StorageEnv) -> StorageEnv:
        return s3_env


def _storage(env: StorageEnv) -> S3VideoStorage:
    assert isinstance(env.storage, S3VideoStorage)
    return env.storage


@pytest.fixture
async def env(s3_env: StorageEnv) -> StorageEnv:
    await s3_env.storage.setup()
    return s3_env


async def test_keys_headers_and_acl_follow_owncast(env: StorageEnv, moto_s3: MotoS3) -> None:  # noqa: F811
    settings = _storage(env).settings
    await publish_segment(env, 0, "stream-k-0.ts", b"segment")
    await publish_playlist(env, 0, ["stream-k-0.ts"])
    await eventually(env.fetch, "0/stream.m3u8")
    client = moto_s3.client()
    assert moto_s3.keys(settings.bucket) == [
        "streams/main/hls/0/stream-k-0.ts", "streams/main/hls/0/stream.m3u8"
    ]
    playlist = client.head_object(Bucket=settings.bucket, Key="streams/main/hls/0/stream.m3u8")
    assert playlist["ContentType"] == "application/x-mpegURL"
    assert playlist["CacheControl"] == "no-cache, no-store, must-revalidate"
    segment = client.head_object(Bucket=settings.bucket, Key="streams/main/hls/0/stream-k-0.ts")
    assert segment["ContentType"] == "video/mp2t"
    assert segment["CacheControl"].startswith("max-age=")
    grants = client.get_object_acl(Bucket=settings.bucket, Key="streams/main/hls/0/stream-k-0.ts")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") and g["Permission"] == "READ"
               for g in grants)


@pytest.mark.parametrize("s3_env", [{"acl": "private", "path_prefix": ""}], indirect=True)
async def test_acl_override_and_no_prefix(env: StorageEnv, moto_s3: MotoS3) -> None:  # noqa: F811
    settings = _storage(env).settings
    await publish_segment(env, 0, "stream-p-0.ts", b"segment")
    await publish_playlist(env, 0, ["stream-p-0.ts"])
    await env.storage.close()  # waits for the uploads
    assert moto_s3.keys(settings.bucket) == ["hls/0/stream-p-0.ts", "hls/0/stream.m3u8"]
    assert await env.fetch("0/stream-p-0.ts") is None  # anonymous viewers are refused
    grants = moto_s3.client().get_object_acl(Bucket=settings.bucket, Key="hls/0/stream-p-0.ts")["Grants"]
    assert not any("AllUsers" in g["Grantee"].get("URI", "") for g in grants)


async def test_master_points_at_the_bucket_and_only_it_is_served_locally(env: StorageEnv) -> None:
    settings = _storage(env).settings
    await publish_segment(env, 0, "stream-m-0.ts", b"segment")
    await publish_playlist(env, 0, ["stream-m-0.ts"])
    await publish_master(env)
    master = (await env.storage.get("stream.m3u8")).body.decode()
    variant_url = f"{settings.endpoint}/{settings.bucket}/streams/main/hls/0/stream.m3u8"
    assert listed(master.encode()) == [variant_url]
    await eventually(env.fetch, "0/stream.m3u8")
    async with httpx.AsyncClient() as http:
        assert (await http.get(variant_url)).status_code == 200
    for path in ("0/stream.m3u8", "0/stream-m-0.ts"):
        with pytest.raises(NotFoundError):
            await env.storage.get(path)


@pytest.mark.parametrize("s3_env", [{"serving_endpoint": "https://cdn.example.com/live/"}], indirect=True)
async def test_serving_endpoint_rewrites_the_master(env: StorageEnv) -> None:
    await publish_master(env)
    master = (await env.storage.get("stream.m3u8")).body
    assert listed(master) == ["https://cdn.example.com/live/streams/main/hls/0/stream.m3u8"]


async def test_local_segment_is_deleted_after_upload(env: StorageEnv) -> None:
    await publish_segment(env, 0, "stream-l-0.ts", b"segment")
    await publish_playlist(env, 0, ["stream-l-0.ts"])
    await eventually(env.fetch, "0/stream.m3u8")
    assert not (env.root / "0" / "stream-l-0.ts").exists()


async def test_cleanup_keeps_the_newest_playlist_size_plus_twenty(env: StorageEnv, moto_s3: MotoS3) -> None:  # noqa: F811
    settings = _storage(env).settings
    names = [f"stream-z-{n}.ts" for n in range(30)]
    for n, name in enumerate(names):
        await publish_segment(env, 0, name, b"s")
        if n % 10 == 9:  # stay under the pending-upload bound (which would drop the oldest)
            while _storage(env).pending_segments:  # noqa: ASYNC110 - polling an adapter counter
                await asyncio.sleep(0.01)
    await publish_playlist(env, 0, names[-3:])
    await eventually(env.fetch, "0/stream.m3u8")
    await env.storage.cleanup()
    kept = [k.rsplit("/", 1)[-1] for k in moto_s3.keys(settings.bucket) if k.endswith(".ts")]
    assert sorted(kept, key=lambda n: int(n[9:-3])) == names[-23:]


async def test_force_path_style_reaches_a_named_host(tmp_path: Path, moto_s3: MotoS3) -> None:  # noqa: F811
    # ``*.localhost`` does not resolve here, so only path-style addressing can reach the bucket.
    bucket = moto_s3.new_bucket()
    settings = moto_s3.settings(bucket, endpoint=f"http://localhost:{moto_s3.port}", force_path_style=True)
    storage = S3VideoStorage(settings=settings, hls_dir=tmp_path / "hls", backoff=0.01)
    await storage.setup()
    env = StorageEnv(storage, tmp_path / "hls", fetch=lambda path: asyncio.sleep(0, None))
    await publish_segment(env, 0, "stream-h-0.ts", b"s")
    await storage.close()
    assert moto_s3.keys(bucket) == ["hls/0/stream-h-0.ts"]


def test_settings_from_owncast_json() -> None:
    settings = S3Settings.from_json({
        "enabled": True, "endpoint": "https://s3.example.com/", "accessKey": "AK", "secret": "SK",
        "bucket": "b", "region": "r", "acl": "", "forcePathStyle": True, "pathPrefix": "/p/",
        "servingEndpoint": "",
    }, fallback_serving_endpoint="https://cdn.example.com")
    assert settings.hls_prefix == "p/hls/"
    assert settings.public_base == "https://cdn.example.com"
    assert settings.object_acl == "public-read"
    assert settings.force_path_style
    assert "SK" not in repr(settings)
