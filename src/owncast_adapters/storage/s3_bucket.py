"""One S3-compatible bucket through aioboto3, and the settings that describe it.

``Aioboto3Bucket`` is the only module here that talks to botocore: each call is a single try
(retries are the upload queue's job) bounded to 10 s as a whole, and every botocore /
network error comes out as ``owncast_core.errors.StorageError`` naming the bucket and endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import aioboto3
import aiohttp
from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from owncast_core.errors import StorageError

DEFAULT_ACL = "public-read"
TIMEOUT_SECONDS = 10.0
DELETE_BATCH = 1000  # DeleteObjects accepts at most 1000 keys


@dataclass(frozen=True, slots=True)
class S3Settings:
    """Owncast's ``s3`` config object, typed. ``secret`` never appears in ``repr``.

    ``public_base`` is where viewers fetch objects: ``serving_endpoint`` when set, else
    ``<endpoint>/<bucket>`` (path-style, as Owncast does).
    """

    endpoint: str
    bucket: str
    region: str = ""
    access_key: str = ""
    secret: str = field(default="", repr=False)
    acl: str = ""
    force_path_style: bool = False
    path_prefix: str = ""
    serving_endpoint: str = ""

    @classmethod
    def from_json(cls, value: Mapping[str, Any], *, fallback_serving_endpoint: str = "") -> S3Settings:
        """Build from the stored JSON (``{"endpoint", "accessKey", "secret", "bucket", ...}``).

        Raises ``StorageError`` when ``endpoint`` or ``bucket`` is missing.
        """
        def text(name: str) -> str:
            raw = value.get(name)
            return raw.strip() if isinstance(raw, str) else ""

        settings = cls(
            endpoint=text("endpoint").rstrip("/"),
            bucket=text("bucket"),
            region=text("region"),
            access_key=text("accessKey"),
            secret=text("secret"),
            acl=text("acl"),
            force_path_style=bool(value.get("forcePathStyle")),
            path_prefix=text("pathPrefix").strip("/"),
            serving_endpoint=(text("servingEndpoint") or fallback_serving_endpoint.strip()).rstrip("/"),
        )
        if not settings.endpoint or not settings.bucket:
            raise StorageError("S3 storage needs an endpoint and a bucket")
        return settings

    @property
    def hls_prefix(self) -> str:
        """The key prefix of HLS objects: ``[pathPrefix/]hls/``."""
        return f"{self.path_prefix}/hls/" if self.path_prefix else "hls/"

    @property
    def recordings_prefix(self) -> str:
        """The key prefix of archived recordings, beside the HLS one: ``[pathPrefix/]recordings/``."""
        return f"{self.path_prefix}/recordings/" if self.path_prefix else "recordings/"

    @property
    def public_base(self) -> str:
        return (self.serving_endpoint or f"{self.endpoint.rstrip('/')}/{self.bucket}").rstrip("/")

    @property
    def object_acl(self) -> str:
        return self.acl or DEFAULT_ACL

    def describe(self) -> str:
        return f"S3 bucket {self.bucket!r} at {self.endpoint}"


def s3_client(
    settings: S3Settings, *, connect_timeout: float, read_timeout: float, max_attempts: int = 1,
    signature_version: str | None = None,
) -> contextlib.AbstractAsyncContextManager[Any]:
    """An aiobotocore S3 client for ``settings`` (enter it to use it; creating it makes no
    request). ``max_attempts`` 1: no retry inside botocore. ``signature_version`` ``"s3v4"``
    makes presigned URLs SigV4 ones (botocore's default presigns the legacy way)."""
    session = aioboto3.Session(
        aws_access_key_id=settings.access_key or None,
        aws_secret_access_key=settings.secret or None,
        region_name=settings.region or "us-east-1",
    )
    config = AioConfig(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": max_attempts},
        # Many S3-compatible services reject the newer default checksum headers.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path" if settings.force_path_style else "auto"},
        signature_version=signature_version,
    )
    client: contextlib.AbstractAsyncContextManager[Any] = session.client(
        "s3", endpoint_url=settings.endpoint, config=config)
    return client


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    last_modified: datetime


class ObjectStore(Protocol):
    """The few bucket operations ``S3VideoStorage`` needs; all raise ``StorageError``."""

    async def open(self) -> None: ...

    async def put(self, key: str, body: bytes, *, content_type: str, cache_control: str) -> None: ...

    async def list(self, prefix: str) -> list[StoredObject]: ...

    async def delete(self, keys: Sequence[str]) -> None: ...

    async def check(self) -> None:
        """Raise ``StorageError`` unless the bucket answers."""
        ...

    async def close(self) -> None: ...


class Aioboto3Bucket:
    """``ObjectStore`` for one bucket of an S3-compatible service (see the module docstring).

    Objects are written with the configured ACL (default ``public-read``). ``open`` creates the
    client (no network); ``close`` releases it and is idempotent.
    """

    def __init__(self, *, settings: S3Settings, timeout: float = TIMEOUT_SECONDS) -> None:
        self._settings = settings
        self._timeout = timeout
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Any = None

    async def open(self) -> None:
        if self._client is not None:
            return
        s = self._settings
        stack = contextlib.AsyncExitStack()
        try:
            self._client = await stack.enter_async_context(
                s3_client(s, connect_timeout=self._timeout, read_timeout=self._timeout)
            )
        except (BotoCoreError, ValueError) as exc:
            await stack.aclose()
            raise StorageError(f"cannot use {s.describe()}: {exc}") from exc
        self._stack = stack

    async def put(self, key: str, body: bytes, *, content_type: str, cache_control: str) -> None:
        async with self._translated(f"upload {key}"):
            await self._require().put_object(
                Bucket=self._settings.bucket, Key=key, Body=body, ACL=self._settings.object_acl,
                ContentType=content_type, CacheControl=cache_control,
            )

    async def list(self, prefix: str) -> list[StoredObject]:
        found: list[StoredObject] = []
        async with self._translated(f"list {prefix}"):
            pages = self._require().get_paginator("list_objects_v2").paginate(
                Bucket=self._settings.bucket, Prefix=prefix
            )
            async for page in pages:
                found += [StoredObject(o["Key"], o["LastModified"]) for o in page.get("Contents", ())]
        return found

    async def delete(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start:start + DELETE_BATCH]
            async with self._translated(f"delete {len(batch)} objects"):
                answer = await self._require().delete_objects(
                    Bucket=self._settings.bucket,
                    Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
                )
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise StorageError(
                    f"{self._settings.describe()} refused to delete {len(errors)} objects "
                    f"(first {first.get('Key')}: {first.get('Code')} {first.get('Message')})"
                )

    async def check(self) -> None:
        async with self._translated("reach the bucket"):
            await self._require().head_bucket(Bucket=self._settings.bucket)

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()

    def _require(self) -> Any:
        if self._client is None:
            raise StorageError(f"{self._settings.describe()} is not open")
        return self._client

    @contextlib.asynccontextmanager
    async def _translated(self, action: str) -> AsyncIterator[None]:
        try:
            # botocore's read timeout does not cover a PUT waiting for "100 Continue": bound
            # every call as a whole, as Owncast's 10 s HTTP client timeout does.
            async with asyncio.timeout(self._timeout):
                yield
        except TimeoutError as exc:
            raise StorageError(
                f"cannot {action} in {self._settings.describe()}: no answer within {self._timeout:g} s"
            ) from exc
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError) as exc:
            raise StorageError(f"cannot {action} in {self._settings.describe()}: {exc}") from exc
