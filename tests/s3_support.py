"""A real S3-compatible server for tests: moto's standalone server in a thread on 127.0.0.1.

``MotoS3`` keeps its port across ``stop()`` / ``start()`` and moto keeps the buckets in this
process, so a test can take S3 away mid-stream and bring the same endpoint back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from owncast_adapters.storage.s3_bucket import S3Settings

REGION = "us-east-1"


class MotoS3:
    def __init__(self, port: int = 0) -> None:
        self.port = port
        self._server: ThreadedMotoServer | None = None
        self._client = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> MotoS3:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        self.port = server.get_host_and_port()[1]
        self._server = server
        return self

    def stop(self) -> None:
        """Stop serving and free the port (connections are refused until ``start``)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            wsgi = server._server  # ThreadedMotoServer.stop leaves the socket open
            if wsgi is not None:
                wsgi.server_close()

    def client(self):  # type: ignore[no-untyped-def]
        """A boto3 client of this server (made once: creating one costs ~0.3 s)."""
        if self._client is None:
            self._client = boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                                        aws_access_key_id="test", aws_secret_access_key="test")
        return self._client

    def new_bucket(self) -> str:
        name = f"owncast-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, **overrides: object) -> S3Settings:
        values: dict[str, object] = {
            "endpoint": self.endpoint, "bucket": bucket, "region": REGION, "access_key": "test",
            "secret": "test", "force_path_style": True,
        }
        values.update(overrides)
        return S3Settings(**values)  # type: ignore[arg-type]

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))


def public_get(url: str) -> bytes | None:
    """What an anonymous viewer gets for ``url`` (``None`` for any non-200 answer)."""
    try:
        answer = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None
    return answer.content if answer.status_code == 200 else None


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    """One moto S3 server for the session (tests use their own buckets; never stop this one)."""
    server = MotoS3().start()
    yield server
    server.stop()


@pytest.fixture
def own_moto_s3() -> Iterator[MotoS3]:
    """A moto S3 server for one test, which may stop and restart it."""
    server = MotoS3().start()
    yield server
    server.stop()
