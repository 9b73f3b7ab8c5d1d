"""A publisher sending broken media: tags with mutated payloads are published over RTMP to the
real RtmpServer and what it hands on is transcoded by the real transcoder. Whatever is broken,
the broadcast goes on to the end (a fixed seed: the same sessions every run)."""

from __future__ import annotations

import asyncio
import logging
import random
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from owncast_adapters.video.rtmp import RtmpLimits, RtmpServer
from owncast_adapters.video.transcoder import PyAVTranscoder
from owncast_core.domain.stream import StreamOutputVariant

from .media import RecordingListener, make_flv
from .rtmp_client import RawRtmpClient
from .test_rtmp_ingest import KEY, RecordingHandler, _flv_tags
from .test_transcoder import KEEP_ALL, feed, make_job

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg"),
]

SESSIONS = 30
SEED = 20261128
LADDERS = [
    (StreamOutputVariant(framerate=30, video_bitrate=500, cpu_usage_level=0),),
    (
        StreamOutputVariant(framerate=24, video_bitrate=500, cpu_usage_level=0),
        StreamOutputVariant(video_passthrough=True, audio_passthrough=False, audio_bitrate=64),
    ),
]


def mutate(tags: list[tuple[int, int, bytes]], rng: random.Random) -> list[tuple[int, int, bytes]]:
    """About 3 % of the tags get 1-4 bytes changed, mostly among their first 8 (the codec flags,
    packet types, composition times and NAL lengths)."""
    out = []
    for kind, ts, payload in tags:
        if payload and rng.random() < 0.03:
            body = bytearray(payload)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(min(len(body), 8)) if rng.random() < 0.6 else rng.randrange(len(body))
                body[at] = rng.randrange(256)
            payload = bytes(body)
        out.append((kind, ts, payload))
    return out


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[RtmpServer, RecordingHandler]]:
    handler = RecordingHandler(tmp_path)
    server = RtmpServer(
        handler=handler, host="127.0.0.1", port=0, limits=RtmpLimits(handshake_timeout=5.0, no_media_timeout=5.0),
        logger=logging.getLogger("test.hostile_publisher"),
    )  # fmt: skip
    await server.start()
    yield server, handler
    await server.stop()


async def publish(port: int, tags: list[tuple[int, int, bytes]]) -> None:
    client = await RawRtmpClient.open(port)
    try:
        metadata = {"width": 320.0, "height": 240.0, "videocodecid": 7.0, "audiocodecid": 10.0}
        await client.publish_tags(metadata, tags, KEY)
    finally:
        await client.close()


async def transcode(flv: Path, out: Path, ladder: tuple[StreamOutputVariant, ...]) -> RecordingListener:
    listener = RecordingListener()
    session = await PyAVTranscoder().start(make_job(out, *ladder, latency=KEEP_ALL), listener)
    try:
        await asyncio.wait_for(feed(session, flv), 60)
        await session.close()
        await asyncio.wait_for(session.wait(), 60)
    finally:
        await session.stop()
    return listener


async def test_broken_tags_never_end_the_broadcast(
    tmp_path: Path, server: tuple[RtmpServer, RecordingHandler]
) -> None:
    rtmp, handler = server
    source = make_flv(tmp_path / "source.flv", seconds=3, size="320x240", bframes=2)
    tags = [t for t in _flv_tags(source.read_bytes()) if t[0] in (8, 9)]
    rng = random.Random(SEED)
    outcomes = []
    for n in range(SESSIONS):
        handler.begun.clear()
        await publish(rtmp.port, mutate(tags, rng))
        await asyncio.wait_for(handler.begun.wait(), 10)
        sink = handler.sinks[-1]
        await asyncio.wait_for(sink.closed.wait(), 10)
        rec = await transcode(sink.path, tmp_path / f"hls{n}", LADDERS[n % len(LADDERS)])
        outcomes.append((n, rec.returncode, [message for message, _ in rec.of("error")]))
    assert [o for o in outcomes if o[1:] != (0, [])] == []
