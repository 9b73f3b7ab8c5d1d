"""``RecordingArchive`` on the S3-compatible bucket the video storage uses.

Recordings are kept under ``[pathPrefix/]recordings/<id>.mp4``, beside the HLS prefix (whose
cleanup only ever touches ``[pathPrefix/]hls/``). Unlike HLS objects (the configured ACL,
``public-read`` by default) they are uploaded with the ``private`` ACL whatever the settings say:
only the admin download route hands out access, as a presigned (SigV4) GET URL of a few minutes.

A file of up to ``multipart_threshold`` bytes is one PUT; a bigger one is an S3 multipart
upload in parts of ``part_size`` bytes (more for huge files, so no upload needs more than
9,000 of S3's 10,000 parts), ``concurrency`` parts at a time. Parts are read in worker threads,
never on the event loop, and handed to the client as file objects (aiohttp warns, rightly, about
big ``bytes`` bodies), so at most ``concurrency`` parts are held in memory. A failed or
cancelled multipart upload is aborted (best effort); parts an interruption still left behind
(a crash) are aborted before the next attempt at the same key. Each request is retried by
botocore (``max_attempts``), with ``connect_timeout``/``read_timeout`` per request and no limit
on the upload as a whole; every other call is bounded by ``read_timeout`` as a whole. Every
botocore or network error comes out as ``StorageError`` naming the bucket and endpoint.

A fresh client is made per call: the container builds an archive per use from the current S3
settings, and calls are rare (one upload per broadcast, one URL per download click).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError

from owncast_adapters.storage.s3_bucket import S3Settings, s3_client
from owncast_core.domain.recordings import archive_key_for, check_archive_key
from owncast_core.errors import NotFoundError, OwncastError, StorageError

MIB = 1024 * 1024
PART_SIZE = 8 * MIB
MULTIPART_THRESHOLD = 16 * MIB
MAX_PARTS = 9_000  # S3 allows 10,000 parts per upload
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 60.0
ABORT_SECONDS = 5.0  # aborting a failed or cancelled multipart upload (at shutdown, say)
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_OBJECT: dict[str, Any] = {"ContentType": "video/mp4", "ACL": "private"}


class S3RecordingArchive:
    """Finished recordings in an S3 bucket (see the module docstring)."""

    def __init__(
        self,
        *,
        settings: S3Settings,
        part_size: int = PART_SIZE,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        concurrency: int = 4,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        max_attempts: int = 3,
    ) -> None:
        self._settings = settings
        self._part_size = part_size
        self._threshold = multipart_threshold
        self._concurrency = max(1, concurrency)
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._attempts = max(1, max_attempts)

    @property
    def remote(self) -> bool:
        return True

    @property
    def settings(self) -> S3Settings:
        return self._settings

    def describe(self) -> str:
        return self._settings.describe()

    @property
    def location(self) -> str:
        """The bucket's name (not the endpoint: one bucket may be reached through several)."""
        return self._settings.bucket

    def key_for(self, recording_id: str) -> str:
        """``[pathPrefix/]recordings/<id>.mp4`` (``ValidationError`` for a bad id)."""
        return archive_key_for(recording_id, self._settings.path_prefix)

    async def upload(self, recording_id: str, path: str) -> str:
        key = self.key_for(recording_id)
        try:
            size = await asyncio.to_thread(os.path.getsize, path)
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc}") from exc
        async with self._translated(f"upload {key}", bounded=False), self._client() as client:
            await self._abort_unfinished(client, key)
            if size <= self._threshold:
                data = await asyncio.to_thread(_read_part, path, 0, size)
                await client.put_object(Bucket=self._settings.bucket, Key=key, Body=io.BytesIO(data), **_OBJECT)
            else:
                await self._multipart(client, key, path, size)
        return key

    async def _multipart(self, client: Any, key: str, path: str, size: int) -> None:
        bucket = self._settings.bucket
        part_size = max(self._part_size, math.ceil(size / MAX_PARTS))
        numbers = iter(range(1, math.ceil(size / part_size) + 1))
        etags: dict[int, str] = {}
        upload_id = (await client.create_multipart_upload(Bucket=bucket, Key=key, **_OBJECT))["UploadId"]

        async def send_parts() -> None:
            for number in numbers:  # shared by the senders: each part is sent once
                offset = (number - 1) * part_size
                data = await asyncio.to_thread(_read_part, path, offset, min(part_size, size - offset))
                answer = await client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                                  Body=io.BytesIO(data))
                etags[number] = answer["ETag"]

        senders = [asyncio.create_task(send_parts()) for _ in range(self._concurrency)]
        try:
            await asyncio.gather(*senders)
            await client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": [{"ETag": etags[n], "PartNumber": n} for n in sorted(etags)]},
            )
        except BaseException:
            for sender in senders:
                sender.cancel()
            await asyncio.gather(*senders, return_exceptions=True)
            with contextlib.suppress(Exception):
                async with asyncio.timeout(ABORT_SECONDS):
                    await client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise

    async def download_url(self, key: str, *, filename: str, expires_seconds: int) -> str:
        check_archive_key(key)
        async with self._translated(f"make a download link for {key}"), self._client() as client:
            try:
                await client.head_object(Bucket=self._settings.bucket, Key=key)
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) in _MISSING:
                    raise NotFoundError(f"{key} is not in {self.describe()}") from exc
                raise
            url: str = await client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self._settings.bucket, "Key": key, "ResponseContentType": "video/mp4",
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=expires_seconds,
            )
        return url

    async def delete(self, key: str) -> None:
        check_archive_key(key)
        async with self._translated(f"delete {key}"), self._client() as client:
            await client.delete_object(Bucket=self._settings.bucket, Key=key)

    async def _abort_unfinished(self, client: Any, key: str) -> None:
        """Abort multipart uploads of ``key`` an interruption left behind (best effort: some
        S3-compatible services cannot list them; an unreachable bucket fails the upload here)."""
        with contextlib.suppress(ClientError):
            answer = await client.list_multipart_uploads(Bucket=self._settings.bucket, Prefix=key)
            for upload in answer.get("Uploads") or ():
                if upload.get("Key") == key:
                    await client.abort_multipart_upload(Bucket=self._settings.bucket, Key=key,
                                                        UploadId=upload["UploadId"])

    def _client(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return s3_client(self._settings, connect_timeout=self._connect_timeout, read_timeout=self._read_timeout,
                         max_attempts=self._attempts, signature_version="s3v4")

    @contextlib.asynccontextmanager
    async def _translated(self, action: str, *, bounded: bool = True) -> AsyncIterator[None]:
        limit = self._read_timeout if bounded else None
        try:
            async with asyncio.timeout(limit):
                yield
        except OwncastError:
            raise
        except TimeoutError as exc:
            raise StorageError(f"cannot {action} in {self.describe()}: no answer within {self._read_timeout:g} s") \
                from exc
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError, ValueError) as exc:
            raise StorageError(f"cannot {action} in {self.describe()}: {exc}") from exc


def _read_part(path: str, offset: int, length: int) -> bytes:
    """``length`` bytes of ``path`` from ``offset`` (``OSError`` if the file is shorter now)."""
    with open(path, "rb") as source:
        source.seek(offset)
        data = source.read(length)
    if len(data) != length:
        raise OSError(f"{path} changed while it was being uploaded")
    return data
