"""End to end: a real ffmpeg publishes to ``owncast serve``; the admin API, webhooks and viewer
statistics follow the stream; settings changed while live apply at the next stream start."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from owncast_core.domain import webhooks as wh

from ..conftest import OwncastProcess
from ..webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")


async def wait_until(check: Callable[[], Any], limit: float, what: str) -> Any:
    deadline = time.monotonic() + limit
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def test_admin_api_follows_a_real_stream(make_owncast: Callable[..., OwncastProcess],
                                               publish: Callable[..., Any], tmp_path: Path) -> None:
    server = make_owncast(env={"OWNCAST_WEBHOOKS_ALLOW_PRIVATE": "true"}).start()
    receiver = await WebhookReceiver().start()
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        r = await client.post("/api/admin/webhooks/create", auth=ADMIN, json={
            "url": receiver.url, "events": ["STREAM_STARTED", "STREAM_STOPPED", "STREAM_TITLE_UPDATED"]})
        hook = r.json()

        publisher = publish(server.rtmp_url + "/abc123", seconds=60, size="320x240")

        async def online() -> bool:
            return bool((await client.get("/api/status")).json()["online"])

        await wait_until(online, 40, "the stream to go online")
        started = json.loads((await receiver.wait_for(1, timeout=10))[0].body)
        assert started["type"] == "STREAM_STARTED" and started["eventData"]["status"]["online"] is True
        first = receiver.requests[0]
        signature = first.headers["x-owncast-signature"]
        assert wh.verify(hook["secret"], first.body, signature, now=int(time.time()))

        status = (await client.get("/api/admin/status", auth=ADMIN)).json()
        details = status["broadcaster"]["streamDetails"]
        assert (details["width"], details["height"]) == (320, 240)
        assert details["videoCodec"] == "H.264" and details["audioCodec"] == "AAC"
        assert status["broadcaster"]["remoteAddr"].startswith("127.0.0.1")
        assert status["currentBroadcast"]["latencyLevel"] == {"level": 2}
        assert [v["videoBitrate"] for v in status["currentBroadcast"]["outputSettings"]] == [1200]
        assert status["online"] is True

        # a viewer fetching the playlist is counted, located and kept by /api/ping
        await client.get("/hls/stream.m3u8", headers={"User-Agent": "e2e-player"})
        await client.get("/api/ping", headers={"User-Agent": "e2e-player"})
        viewers = (await client.get("/api/admin/viewers", auth=ADMIN)).json()
        assert len(viewers) == 1 and viewers[0]["userAgent"] == "e2e-player"
        assert viewers[0]["geo"]["regionName"] == "Localhost"
        status = (await client.get("/api/admin/status", auth=ADMIN)).json()
        assert status["viewerCount"] == 1 and status["sessionPeakViewerCount"] == 1

        # settings changed while live apply at the next start
        assert (await client.post("/api/admin/config/video/streamlatencylevel", auth=ADMIN,
                                  json={"value": 1})).json()["success"]
        variant = {"videoBitrate": 800, "framerate": 24, "cpuUsageLevel": 1, "audioPassthrough": True}
        assert (await client.post("/api/admin/config/video/streamoutputvariants", auth=ADMIN,
                                  json={"value": [variant]})).json()["success"]
        status = (await client.get("/api/admin/status", auth=ADMIN)).json()
        assert status["currentBroadcast"]["latencyLevel"] == {"level": 2}
        assert [v["videoBitrate"] for v in status["currentBroadcast"]["outputSettings"]] == [1200]

        # the admin disconnect drops the publisher; STREAM_STOPPED follows
        assert (await client.get("/api/admin/disconnect", auth=ADMIN)).json()["success"] is True

        async def offline() -> bool:
            return not (await client.get("/api/status")).json()["online"]

        await wait_until(offline, 20, "the stream to go offline")
        got = await receiver.wait_for(2, timeout=10)
        assert [json.loads(r.body)["type"] for r in got] == ["STREAM_STARTED", "STREAM_STOPPED"]
        publisher.wait(timeout=20)

        # the next stream uses the new latency level and variants
        publish(server.rtmp_url + "/abc123", seconds=60, size="320x240")
        await wait_until(online, 40, "the second stream to go online")
        status = (await client.get("/api/admin/status", auth=ADMIN)).json()
        assert status["currentBroadcast"]["latencyLevel"] == {"level": 1}
        assert [v["videoBitrate"] for v in status["currentBroadcast"]["outputSettings"]] == [800]
        assert status["overallPeakViewerCount"] == 1 and status["sessionPeakViewerCount"] == 0
        await client.get("/api/admin/disconnect", auth=ADMIN)
        await wait_until(offline, 20, "the second stream to go offline")
    await receiver.stop()
