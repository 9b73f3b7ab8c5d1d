"""``RecordingArchive``: the contract bound to the in-memory fake and to ``S3RecordingArchive``
against a real S3-compatible server (moto's standalone server on loopback), what is specific to
S3 (private objects, multipart, key layout, an unreachable bucket), and the local no-op."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from owncast_adapters.storage import s3_recordings
from owncast_adapters.storage.recording_archive import LocalRecordingArchive
from owncast_adapters.storage.s3_recordings import MIB, S3RecordingArchive
from owncast_core.errors import StorageError
from owncast_core.testing.contracts.recording_archive import ArchiveEnv, Fetched, RecordingArchiveContract
from owncast_core.testing.fakes import InMemoryRecordingArchive

from ..s3_support import MotoS3, moto_s3, own_moto_s3  # noqa: F401  (fixtures)

PART = 5 * MIB  # the smallest part S3 (and moto) accepts


class TestInMemoryRecordingArchive(RecordingArchiveContract):
    @pytest.fixture
    def archive_env(self, tmp_path: Path) -> ArchiveEnv:
        archive = InMemoryRecordingArchive(prefix="live")

        async def fetch(url: str) -> Fetched | None:
            body = archive.fetch(url)
            if body is None:
                return None
            filename = url.split("filename=", 1)[1].split("&", 1)[0]
            return body, {"content-type": "video/mp4", "content-disposition": f'attachment; filename="{filename}"'}

        return ArchiveEnv(archive=archive, fetch=fetch, files=tmp_path, big=3 * PART)


def s3_archive(settings: object) -> S3RecordingArchive:
    return S3RecordingArchive(settings=settings, part_size=PART, multipart_threshold=PART,  # type: ignore[arg-type]
                              read_timeout=5, max_attempts=1)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.mark.integration
class TestS3RecordingArchive(RecordingArchiveContract):
    @pytest.fixture
    def archive_env(self, tmp_path: Path, moto_s3: MotoS3, http: httpx.AsyncClient) -> ArchiveEnv:  # noqa: F811
        archive = s3_archive(moto_s3.settings(moto_s3.new_bucket(), path_prefix="streams/main"))

        async def fetch(url: str) -> Fetched | None:
            answer = await http.get(url)
            return (answer.content, dict(answer.headers)) if answer.status_code == 200 else None

        return ArchiveEnv(archive=archive, fetch=fetch, files=tmp_path, big=2 * PART + 1000)


@pytest.mark.integration
async def test_s3_objects_are_private_multipart_and_beside_the_hls_prefix(
    tmp_path: Path, moto_s3: MotoS3, http: httpx.AsyncClient  # noqa: F811
) -> None:
    bucket = moto_s3.new_bucket()
    settings = moto_s3.settings(bucket, path_prefix="streams/main", acl="public-read")
    archive = s3_archive(settings)
    (tmp_path / "big.mp4").write_bytes(os.urandom(2 * PART + 1000))
    key = await archive.upload("20260101-120000-abc", str(tmp_path / "big.mp4"))
    assert key == "streams/main/recordings/20260101-120000-abc.mp4" and key.startswith(settings.recordings_prefix)
    assert settings.recordings_prefix == "streams/main/recordings/" != settings.hls_prefix
    head = moto_s3.client().head_object(Bucket=bucket, Key=key)
    assert head["ETag"].strip('"').endswith("-3")  # three parts: 5 MiB, 5 MiB, the rest
    assert head["ContentType"] == "video/mp4" and head["ContentLength"] == 2 * PART + 1000
    assert (await http.get(f"{settings.endpoint}/{bucket}/{key}")).status_code == 403  # not public, whatever the acl
    url = await archive.download_url(key, filename="x.mp4", expires_seconds=300)
    assert url.startswith(f"{settings.endpoint}/{bucket}/{key}?") and "X-Amz-Expires=300" in url
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url  # (moto checks neither signatures nor expiry)


@pytest.mark.integration
async def test_s3_leftover_parts_of_an_interrupted_upload_are_aborted(tmp_path: Path, moto_s3: MotoS3) -> None:  # noqa: F811
    bucket = moto_s3.new_bucket()
    client = moto_s3.client()
    key = "recordings/20260101-120000-abc.mp4"
    client.create_multipart_upload(Bucket=bucket, Key=key)
    client.create_multipart_upload(Bucket=bucket, Key="recordings/20260101-120000-abcd.mp4")  # another one: kept
    (tmp_path / "a.mp4").write_bytes(b"x" * 1000)
    assert await s3_archive(moto_s3.settings(bucket)).upload("20260101-120000-abc", str(tmp_path / "a.mp4")) == key
    left = [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    assert left == ["recordings/20260101-120000-abcd.mp4"]


@pytest.mark.integration
async def test_s3_a_failed_multipart_upload_is_aborted(
    tmp_path: Path, moto_s3: MotoS3, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    bucket = moto_s3.new_bucket()
    (tmp_path / "big.mp4").write_bytes(b"x" * (3 * PART))
    real = s3_recordings._read_part

    def failing(path: str, offset: int, length: int) -> bytes:
        if offset >= 2 * PART:  # the third part: the disk fails
            raise OSError("input/output error")
        return real(path, offset, length)

    monkeypatch.setattr(s3_recordings, "_read_part", failing)
    with pytest.raises(StorageError, match="input/output error"):
        await s3_archive(moto_s3.settings(bucket)).upload("20260101-120000-abc", str(tmp_path / "big.mp4"))
    assert moto_s3.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert moto_s3.keys(bucket) == []


@pytest.mark.integration
async def test_s3_unreachable_is_a_storage_error_naming_the_bucket(tmp_path: Path, own_moto_s3: MotoS3) -> None:  # noqa: F811
    bucket = own_moto_s3.new_bucket()
    archive = s3_archive(own_moto_s3.settings(bucket))
    (tmp_path / "a.mp4").write_bytes(b"x" * 1000)
    key = await archive.upload("20260101-120000-abc", str(tmp_path / "a.mp4"))
    own_moto_s3.stop()
    for call in (archive.upload("20260101-120000-abc", str(tmp_path / "a.mp4")),
                 archive.download_url(key, filename="a.mp4", expires_seconds=60), archive.delete(key)):
        with pytest.raises(StorageError, match=f"S3 bucket '{bucket}' at http://127.0.0.1:"):
            await call


async def test_the_local_archive_is_a_no_op(tmp_path: Path) -> None:
    archive = LocalRecordingArchive()
    assert not archive.remote
    (tmp_path / "a.mp4").write_bytes(b"x")
    assert await archive.upload("20260101-120000-abc", str(tmp_path / "a.mp4")) == ""
    assert (tmp_path / "a.mp4").read_bytes() == b"x"
    for call in (archive.download_url("recordings/r1.mp4", filename="a.mp4", expires_seconds=60),
                 archive.delete("recordings/r1.mp4")):
        with pytest.raises(StorageError, match="S3 storage is turned off"):
            await call
