"""RtmpServer against real sockets on 127.0.0.1 and the real ffmpeg CLI as publisher."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import shutil
import struct
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from owncast_adapters.video.rtmp import RtmpLimits, RtmpServer, amf0
from owncast_adapters.video.transcoder.pipeline import open_input
from owncast_core.domain.stream import BroadcasterDetails
from owncast_core.errors import StreamAlreadyLive, StreamKeyRejected, TranscoderError, TranscoderGone
from owncast_core.ports.video import StreamSink

from .media import make_flv
from .rtmp_client import RawRtmpClient

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="needs ffmpeg and ffprobe"
    ),
]

KEY = "abc123"
LOGGER = "test.rtmp_ingest"


class RecordingSink:
    """Collects the FLV byte stream into a file and counts closes."""

    def __init__(self, path: Path, handler: RecordingHandler) -> None:
        self.path = path
        self._file = path.open("wb")
        self._handler = handler
        self.writes = 0
        self.close_calls = 0
        self.closed = asyncio.Event()

    async def write(self, data: bytes) -> None:
        self.writes += 1
        if self.writes > self._handler.fail_after_writes:
            raise TranscoderGone("transcoder exited")
        self._file.write(data)

    async def close(self) -> None:
        self.close_calls += 1
        if not self._file.closed:
            self._file.close()
        self._handler.live = False
        self.closed.set()


class RecordingHandler:
    """An ``IngestHandler`` accepting only ``abc123``, one broadcast at a time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.live = False
        self.fail_after_writes = 1 << 30
        self.authorized: list[str] = []
        self.details: list[BroadcasterDetails] = []
        self.sinks: list[RecordingSink] = []
        self.hang_ups: list[Callable[[], None]] = []
        self.begun = asyncio.Event()

    def authorize(self, key: str, remote_addr: str) -> None:
        if key != KEY:
            raise StreamKeyRejected("invalid stream key")
        if self.live:
            raise StreamAlreadyLive("stream already running")
        self.authorized.append(remote_addr)

    async def begin(self, details: BroadcasterDetails, hang_up: Callable[[], None]) -> StreamSink:
        if self.live:
            raise StreamAlreadyLive("stream already running")
        self.live = True
        sink = RecordingSink(self.directory / f"broadcast-{len(self.sinks)}.flv", self)
        self.details.append(details)
        self.sinks.append(sink)
        self.hang_ups.append(hang_up)
        self.begun.set()
        return sink


@pytest.fixture
async def handler(tmp_path: Path) -> RecordingHandler:
    return RecordingHandler(tmp_path)


async def _start(handler: RecordingHandler, **limits: Any) -> RtmpServer:
    server = RtmpServer(
        handler=handler,
        host="127.0.0.1",
        port=0,
        limits=RtmpLimits(**limits),
        logger=logging.getLogger(LOGGER),
    )
    await server.start()
    return server


@pytest.fixture
async def server(handler: RecordingHandler) -> AsyncIterator[RtmpServer]:
    server = await _start(handler, handshake_timeout=2.0, no_media_timeout=2.0)
    yield server
    await server.stop()


def _ffmpeg_args(port: int, key: str = KEY, *, seconds: float = 4, realtime: bool = False) -> list[str]:
    return [
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        *(["-re"] if realtime else []),
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=44100",
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "30",
        "-c:a",
        "aac",
        "-f",
        "flv",
        f"rtmp://127.0.0.1:{port}/live/{key}",
    ]


async def _ffmpeg(args: list[str], limit: float = 20) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), limit)
    except TimeoutError:
        proc.kill()
        await proc.communicate()
        raise
    assert proc.returncode is not None
    return proc.returncode, err.decode(errors="replace")


def _packets(path: Path) -> dict[str, list[tuple[float, float]]]:
    """(pts, duration) in seconds per codec type, as ffprobe reads the file."""
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_packets",
            "-show_entries",
            "packet=codec_type,pts_time,duration_time",
            "-of",
            "json",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=20,
    ).stdout
    per_type: dict[str, list[tuple[float, float]]] = {}
    for packet in json.loads(out)["packets"]:
        per_type.setdefault(packet["codec_type"], []).append(
            (float(packet["pts_time"]), float(packet.get("duration_time", 0)))
        )
    return per_type


async def test_ffmpeg_publish_with_the_right_key_yields_a_clean_flv(
    server: RtmpServer, handler: RecordingHandler
) -> None:
    rc, err = await _ffmpeg(_ffmpeg_args(server.port))
    assert rc == 0, err
    sink = handler.sinks[0]
    await asyncio.wait_for(sink.closed.wait(), 5)

    assert len(handler.details) == 1
    details = handler.details[0]
    assert (details.width, details.height, details.framerate) == (320, 240, 30)
    assert (details.video_codec, details.audio_codec) == ("H.264", "AAC")
    assert "Lavf" in details.encoder
    assert details.remote_addr == "127.0.0.1"
    assert sink.close_calls == 1

    data = sink.path.read_bytes()
    assert data[:5] == b"FLV\x01\x05"  # audio + video flags
    packets = _packets(sink.path)
    assert set(packets) == {"audio", "video"}
    spans = {}
    for kind, items in packets.items():
        pts = [p for p, _ in items]
        assert all(b > a for a, b in itertools.pairwise(pts)), f"{kind} pts not monotonic"
        spans[kind] = pts[-1] + items[-1][1] - pts[0]
    audio_pts = [p for p, _ in packets["audio"]]
    steps = {round(b - a, 3) for a, b in itertools.pairwise(audio_pts)}
    assert steps <= {0.023, 0.024}, f"uneven AAC packet spacing: {sorted(steps)}"
    assert 3.8 <= spans["video"] <= 4.2 and 3.8 <= spans["audio"] <= 4.2, spans
    assert abs(spans["audio"] - spans["video"]) <= 0.2, spans


async def test_wrong_key_is_refused_and_not_logged(
    server: RtmpServer, handler: RecordingHandler, caplog: pytest.LogCaptureFixture
) -> None:
    # The handler (StreamService) tells the streamer; the server adds a debug line, key-free too.
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        rc, err = await _ffmpeg(_ffmpeg_args(server.port, "wrongkey987"))
    assert rc != 0
    assert "invalid stream key" in err
    assert handler.details == [] and handler.authorized == []
    assert "rejected" in caplog.text and "127.0.0.1" in caplog.text
    assert all(r.levelno <= logging.DEBUG for r in caplog.records if "rejected" in r.getMessage())
    assert "wrongkey987" not in caplog.text


async def test_second_publisher_is_refused_while_one_is_live(
    server: RtmpServer, handler: RecordingHandler
) -> None:
    first = await RawRtmpClient.open(server.port)
    try:
        info = await first.connect_and_publish()
        assert info["code"] == "NetStream.Publish.Start"
        await first.send_metadata({"width": 640.0, "height": 360.0, "videocodecid": 7.0})
        await asyncio.wait_for(handler.begun.wait(), 5)

        rc, err = await _ffmpeg(_ffmpeg_args(server.port))
        assert rc != 0
        assert "stream already running; can not overtake an existing stream" in err
        assert len(handler.details) == 1 and handler.details[0].width == 640
    finally:
        await first.close()
    await asyncio.wait_for(handler.sinks[0].closed.wait(), 5)
    assert handler.sinks[0].close_calls == 1


async def test_garbage_is_dropped_and_the_server_keeps_serving(
    server: RtmpServer, handler: RecordingHandler
) -> None:
    garbage = [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(4000),
        b"\x03" + os.urandom(1536) + os.urandom(1536) + os.urandom(6000),
        b"\x03" + os.urandom(1536) + os.urandom(1536) + b"\x03" + b"\xff" * 11,  # 16 MiB message header
    ]
    for blob in garbage:
        client = await RawRtmpClient.open(server.port, read_timeout=4)
        client.writer.write(blob)
        await client.writer.drain()
        assert await client.wait_closed_by_server(), "server kept a garbage connection open"
        await client.close()
    rc, err = await _ffmpeg(_ffmpeg_args(server.port, seconds=1))
    assert rc == 0, err
    assert len(handler.details) == 1


async def test_silent_publisher_is_dropped_after_no_media_timeout(
    handler: RecordingHandler, caplog: pytest.LogCaptureFixture
) -> None:
    server = await _start(handler, no_media_timeout=0.5)
    try:
        with caplog.at_level(logging.INFO, logger=LOGGER):
            # One that never sends metadata: begin is never called.
            silent = await RawRtmpClient.open(server.port, read_timeout=3)
            assert (await silent.connect_and_publish())["code"] == "NetStream.Publish.Start"
            started = time.monotonic()
            assert await silent.wait_closed_by_server()
            assert 0.4 <= time.monotonic() - started < 2.5
            await silent.close()
            assert handler.details == []

            # One that sends metadata (so begin is called), then nothing.
            quiet = await RawRtmpClient.open(server.port, read_timeout=3)
            await quiet.connect_and_publish()
            await quiet.send_metadata({"width": 320.0, "audiocodecid": 10.0})
            assert await quiet.wait_closed_by_server()
            await quiet.close()
        await asyncio.wait_for(handler.sinks[0].closed.wait(), 2)
        assert handler.sinks[0].close_calls == 1
        assert "dropping publisher 127.0.0.1: no audio/video for 0.5 s" in caplog.text
    finally:
        await server.stop()


async def test_hang_up_drops_the_publisher(server: RtmpServer, handler: RecordingHandler) -> None:
    publish = asyncio.create_task(_ffmpeg(_ffmpeg_args(server.port, seconds=20, realtime=True)))
    await asyncio.wait_for(handler.begun.wait(), 10)
    handler.hang_ups[0]()
    rc, _ = await asyncio.wait_for(publish, 10)
    assert rc != 0
    await asyncio.wait_for(handler.sinks[0].closed.wait(), 2)
    assert handler.sinks[0].close_calls == 1
    handler.hang_ups[0]()  # late calls are harmless
    assert handler.sinks[0].close_calls == 1


async def test_transcoder_gone_drops_the_publisher(server: RtmpServer, handler: RecordingHandler) -> None:
    handler.fail_after_writes = 3
    rc, _ = await _ffmpeg(_ffmpeg_args(server.port, seconds=20, realtime=True), limit=10)
    assert rc != 0
    assert handler.sinks[0].writes == 4  # the failing write was the last one tried
    assert handler.sinks[0].close_calls == 1


async def test_stop_closes_active_connections(handler: RecordingHandler) -> None:
    server = await _start(handler)
    idle = await RawRtmpClient.open(server.port, read_timeout=3)  # connected, never handshakes
    publish = asyncio.create_task(_ffmpeg(_ffmpeg_args(server.port, seconds=20, realtime=True)))
    await asyncio.wait_for(handler.begun.wait(), 10)
    await asyncio.wait_for(server.stop(), 5)
    rc, _ = await asyncio.wait_for(publish, 10)
    assert rc != 0
    assert handler.sinks[0].close_calls == 1
    assert await idle.wait_closed_by_server()
    await idle.close()


async def test_ffmpeg_player_passes_the_digest_handshake_and_is_told_playback_is_unsupported(
    server: RtmpServer, handler: RecordingHandler
) -> None:
    # FFmpeg checks the server's digest and S2 signature when it plays; publishers do not.
    args = [
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-i",
        f"rtmp://127.0.0.1:{server.port}/live/{KEY}",
        "-f",
        "null",
        "-",
    ]
    rc, err = await _ffmpeg(args, limit=10)
    assert rc != 0
    assert "playback is not supported" in err
    assert "validating failed" not in err and "Signature mismatch" not in err
    assert handler.details == []


def _flv_tags(data: bytes) -> list[tuple[int, int, bytes]]:
    """(type, timestamp, payload) of every tag after the 13-byte FLV preamble."""
    tags, offset = [], 13
    while offset < len(data):
        size = int.from_bytes(data[offset + 1 : offset + 4], "big")
        ts = int.from_bytes(data[offset + 4 : offset + 7], "big") | data[offset + 7] << 24
        tags.append((data[offset], ts, data[offset + 11 : offset + 11 + size]))
        assert int.from_bytes(data[offset + 11 + size : offset + 15 + size], "big") == 11 + size
        offset += 15 + size
    return tags


async def test_raw_publisher_gets_ping_and_ack_replies_and_its_media_in_the_flv(
    server: RtmpServer, handler: RecordingHandler
) -> None:
    client = await RawRtmpClient.open(server.port)
    try:
        info = await client.connect_and_publish(app="live/abc123?x=1", key="")  # key inside the app
        assert info["code"] == "NetStream.Publish.Start"
        await client.send_metadata({"audiocodecid": 10.0, "audiodatarate": 128.0})
        await client.send(5, struct.pack(">I", 4000), csid=2)  # Window Acknowledgement Size
        await client.send(4, struct.pack(">HI", 6, 1234), csid=2)  # ping request
        pong = await client.next_message(4)
        assert pong.payload == struct.pack(">HI", 7, 1234)

        frames = [(i * 23, b"\xaf\x01" + os.urandom(500)) for i in range(20)]
        for ts, body in frames:
            await client.send(8, body, stream_id=1, timestamp=ts, csid=4)
        ack = await client.next_message(3)
        assert struct.unpack(">I", ack.payload)[0] >= 4000
        await client.call("FCUnpublish", None, "")
        await client.call("deleteStream", None, 1.0)
        await asyncio.wait_for(handler.sinks[0].closed.wait(), 5)
    finally:
        await client.close()

    details = handler.details[0]
    assert (details.has_audio, details.has_video, details.audio_codec) == (True, False, "AAC")
    data = handler.sinks[0].path.read_bytes()
    assert data[:13] == b"FLV\x01\x04\x00\x00\x00\x09\x00\x00\x00\x00"  # audio-only flags
    tags = _flv_tags(data)
    assert tags[0][0] == 18 and amf0.decode(tags[0][2]) == [
        "onMetaData",
        {"audiocodecid": 10.0, "audiodatarate": 128.0},
    ]
    assert [(t, ts, body) for t, ts, body in tags[1:]] == [(8, ts, body) for ts, body in frames]
    assert handler.sinks[0].close_calls == 1


async def test_a_failing_begin_refuses_the_publisher(server: RtmpServer, handler: RecordingHandler) -> None:
    async def broken_begin(details: BroadcasterDetails, hang_up: Callable[[], None]) -> StreamSink:
        raise TranscoderError("no encoder")

    handler.begin = broken_begin  # type: ignore[method-assign]
    client = await RawRtmpClient.open(server.port)
    try:
        await client.connect_and_publish()
        await client.send_metadata({"width": 320.0})
        status = await client.next_command()
        assert status[0] == "onStatus" and status[3]["code"] == "NetStream.Publish.Failed"
        assert await client.wait_closed_by_server()
    finally:
        await client.close()


async def _publish_tags(port: int, metadata: dict[str, Any], tags: list[tuple[int, int, bytes]]) -> None:
    """Publish FLV tags (type, timestamp, payload) as RTMP messages, then end the stream."""
    client = await RawRtmpClient.open(port)
    try:
        await client.publish_tags(metadata, tags, KEY)
    finally:
        await client.close()


def _audio_from(tags: list[tuple[int, int, bytes]], start_ms: int) -> list[tuple[int, int, bytes]]:
    """The tags with the audio beginning only at ``start_ms``: its sequence header then."""
    (header,) = [t for t in tags if t[0] == 8 and t[2][1] == 0]
    late = [t for t in tags if t[0] != 8 or (t[2][1] == 1 and t[1] >= start_ms)]
    first_audio = next(i for i, t in enumerate(late) if t[0] == 8)
    return [*late[:first_audio], (8, late[first_audio][1], header[2]), *late[first_audio:]]


async def test_audio_that_begins_late_is_in_the_flv_the_transcoder_opens(
    server: RtmpServer, handler: RecordingHandler, tmp_path: Path
) -> None:
    source = make_flv(tmp_path / "source.flv", seconds=5, size="640x360")
    tags = [t for t in _flv_tags(source.read_bytes()) if t[0] in (8, 9)]
    # Sound starts 3 s (far more than the transcoder's 32 KB probe) after the picture.
    await _publish_tags(server.port, {"width": 640.0, "videocodecid": 7.0, "audiocodecid": 10.0},
                        _audio_from(tags, 3000))
    await asyncio.wait_for(handler.begun.wait(), 5)
    await asyncio.wait_for(handler.sinks[0].closed.wait(), 5)

    recorded = handler.sinks[0].path
    assert recorded.read_bytes()[4] == 0x05  # the header announces audio and video
    # The transcoder's own probing finds both streams at open: the audio cannot be missed.
    container = open_input(str(recorded))
    try:
        assert {s.type for s in container.streams} == {"video", "audio"}
    finally:
        container.close()
    kinds = [t[0] for t in _flv_tags(recorded.read_bytes())]
    assert kinds.count(9) == [t[0] for t in tags].count(9) and 8 in kinds  # nothing lost while held


async def test_announced_audio_that_never_comes_in_time_is_left_out(
    handler: RecordingHandler, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = make_flv(tmp_path / "source.flv", seconds=8, size="320x240")
    tags = [t for t in _flv_tags(source.read_bytes()) if t[0] in (8, 9)]
    server = await _start(handler, handshake_timeout=2.0, no_media_timeout=2.0)
    try:
        with caplog.at_level(logging.INFO, logger=LOGGER):
            await _publish_tags(server.port, {"width": 320.0, "audiocodecid": 10.0}, _audio_from(tags, 6000))
            await asyncio.wait_for(handler.begun.wait(), 5)
            await asyncio.wait_for(handler.sinks[0].closed.wait(), 5)
    finally:
        await server.stop()
    recorded = handler.sinks[0].path
    assert recorded.read_bytes()[4] == 0x01  # video only: the transcoder does not wait for audio
    kinds = [t[0] for t in _flv_tags(recorded.read_bytes())]
    assert 8 not in kinds and kinds.count(9) == [t[0] for t in tags].count(9)
    assert "announced audio but sent none in the first 5 s; going live without it" in caplog.text
    assert "audio began after the broadcast had started without it" in caplog.text
