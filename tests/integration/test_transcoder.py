"""PyAVTranscoder end to end: FLV files made by the ffmpeg CLI go in through ``write``, the HLS
that comes out is checked with ffprobe, and the listener calls are recorded."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import random
import re
import resource
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from owncast_adapters.video.transcoder import PyAVTranscoder, PyAVTranscodeSession
from owncast_core.domain.stream import BroadcasterDetails, LatencyLevel, StreamOutputVariant, TranscodeJob
from owncast_core.errors import TranscoderGone

from .media import (
    RecordingListener,
    decode_errors,
    decoded_video_frames,
    ffprobe,
    flv_tags,
    join_flv,
    make_flv,
    playlist_segments,
    rewrite_flv_tags,
    shift_flv_timestamps,
    video_packets,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="needs ffmpeg and ffprobe"
    ),
]

QUICK = LatencyLevel(0, 1, 3)  # Owncast's level 0: 1 s segments, 3 listed
KEEP_ALL = LatencyLevel(0, 1, 30)  # 1 s segments, every segment of a short input stays listed
TIMEOUT = 60.0
H264_PROFILES = {"High": 100, "Main": 77, "Baseline": 66, "Constrained Baseline": 66}


@dataclass(frozen=True)
class Media:
    av: Path  # 640x360 @30, 4 s, H.264 + AAC 64k
    video_only: Path
    audio_only: Path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    root = tmp_path_factory.mktemp("media")
    return Media(
        av=make_flv(root / "av.flv"),
        video_only=make_flv(root / "video.flv", seconds=3, audio=False),
        audio_only=make_flv(root / "audio.flv", seconds=3, video=False),
    )


def make_job(
    output_dir: Path,
    *variants: StreamOutputVariant,
    latency: LatencyLevel = QUICK,
    thumbnail: Path | None = None,
    has_audio: bool = True,
    has_video: bool = True,
) -> TranscodeJob:
    details = BroadcasterDetails(
        remote_addr="127.0.0.1",
        connected_at=datetime.now(UTC),
        width=640,
        height=360,
        framerate=30,
        video_bitrate=1000,
        audio_bitrate=64,
        video_codec="H.264",
        audio_codec="AAC",
        has_audio=has_audio,
        has_video=has_video,
    )
    return TranscodeJob(
        variants=variants,
        latency=latency,
        output_dir=str(output_dir),
        details=details,
        segment_prefix="test",
        thumbnail_path=str(thumbnail) if thumbnail else "",
    )


def read(path: Path) -> bytes:
    return path.read_bytes()


async def feed(
    session: PyAVTranscodeSession, path: Path, *, limit: int | None = None, chunk: int = 32 * 1024
) -> None:
    """Write a file (or its first ``limit`` bytes) into the session in chunks."""
    data = read(path)[:limit]
    for start in range(0, len(data), chunk):
        await session.write(data[start : start + chunk])


async def transcode(job: TranscodeJob, flv: Path) -> RecordingListener:
    """Run a whole session: feed the file, close, wait for the exit."""
    listener = RecordingListener()
    session = await PyAVTranscoder().start(job, listener)
    try:
        await asyncio.wait_for(feed(session, flv), TIMEOUT)
        await session.close()
        await asyncio.wait_for(session.wait(), TIMEOUT)
    finally:
        await session.stop()
    assert listener.calls[-1] == ("exited", listener.returncode)
    return listener


def stream_inf(master: Path) -> list[dict[str, str]]:
    """The attributes of every ``#EXT-X-STREAM-INF`` line of a master playlist, plus its URI."""
    lines = master.read_text().splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attrs = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))
            found.append({k: v.strip('"') for k, v in attrs.items()} | {"uri": lines[i + 1]})
    return found


def expected_avc(video_stream: dict[str, object]) -> tuple[int, int]:
    """(profile_idc, level_idc) from ffprobe's description of an H.264 stream."""
    return H264_PROFILES[str(video_stream["profile"])], int(str(video_stream["level"]))


def streams_of(path: Path | str) -> dict[str, dict[str, object]]:
    data = ffprobe(path, "-show_streams")
    return {str(s["codec_type"]): s for s in data["streams"]}


async def test_one_variant_makes_decodable_segments_and_a_matching_master(
    tmp_path: Path, media: Media
) -> None:
    out = tmp_path / "hls"
    job = make_job(out, StreamOutputVariant(scaled_height=360, framerate=30, video_bitrate=800))
    rec = await transcode(job, media.av)
    assert rec.returncode == 0
    assert rec.of("error") == []

    listed = playlist_segments(out / "0" / "stream.m3u8")
    assert len(listed) == 3
    for name in listed:
        streams = streams_of(out / "0" / name)
        video, audio = streams["video"], streams["audio"]
        assert (video["codec_name"], video["pix_fmt"], video["width"], video["height"]) == (
            "h264",
            "yuv420p",
            640,
            360,
        )
        assert (audio["codec_name"], audio["profile"]) == ("aac", "LC")
    assert all(abs(s.duration - 1.0) < 0.01 for s in rec.segments(0)[:-1])

    master = out / "stream.m3u8"
    text = master.read_text()
    assert text.startswith("#EXTM3U\n#EXT-X-VERSION:3\n")
    (inf,) = stream_inf(master)
    profile, level = expected_avc(streams_of(out / "0" / listed[0])["video"])
    assert inf == {
        "BANDWIDTH": str(800_000 + 64_000),
        "RESOLUTION": "640x360",
        "CODECS": f"avc1.{profile:02x}00{level:02x},mp4a.40.2",
        "uri": "0/stream.m3u8",
    }
    ((path, infos),) = rec.of("master_playlist")
    assert path == str(master)
    assert (infos[0].width, infos[0].height, infos[0].bandwidth) == (640, 360, 864_000)
    assert infos[0].codecs == inf["CODECS"]

    # Every segment is announced before a playlist event follows it; the last playlist event
    # comes after the segments that playlist names.
    kinds = [name for name, _ in rec.calls]
    for i, (name, args) in enumerate(rec.calls):
        if name == "segment":
            assert "variant_playlist" in kinds[i + 1 :], f"no playlist event after {args}"
    last_playlist = max(i for i, k in enumerate(kinds) if k == "variant_playlist")
    announced = {
        os.path.basename(s.path) for s in rec.of("segment")[: kinds[:last_playlist].count("segment")]
    }
    assert set(listed) <= announced
    assert all(size > 0 for size in rec.playlist_sizes)


async def test_ladder_keyframes_line_up_on_segment_boundaries(tmp_path: Path, media: Media) -> None:
    out = tmp_path / "hls"
    job = make_job(
        out,
        StreamOutputVariant(framerate=30, video_bitrate=800, cpu_usage_level=1),
        StreamOutputVariant(
            scaled_height=180,
            framerate=15,
            video_bitrate=300,
            cpu_usage_level=1,
            audio_passthrough=False,
            audio_bitrate=96,
        ),
        latency=KEEP_ALL,
    )
    rec = await transcode(job, media.av)
    assert rec.returncode == 0

    keyframes: dict[int, list[float]] = {}
    for variant, fps in ((0, 30), (1, 15)):
        times: list[float] = []
        listed = playlist_segments(out / str(variant) / "stream.m3u8")
        assert len(listed) == 4
        for name in listed:
            packets = video_packets(out / str(variant) / name)
            assert packets[0]["flags"].startswith("K"), f"{variant}/{name} does not start with a keyframe"
            assert [p["flags"].startswith("K") for p in packets].count(True) == 1
            assert len(packets) == fps
            times.append(float(packets[0]["pts_time"]))
        keyframes[variant] = times
    assert keyframes[0] == pytest.approx(keyframes[1], abs=0.001)
    steps = [b - a for a, b in itertools.pairwise(keyframes[0])]
    assert steps == pytest.approx([1.0] * 3, abs=0.001)

    small = streams_of(out / "1" / playlist_segments(out / "1" / "stream.m3u8")[0])
    video, audio = small["video"], small["audio"]
    assert (video["width"], video["height"], video["r_frame_rate"]) == (320, 180, "15/1")
    assert (audio["codec_name"], audio["profile"]) == ("aac", "LC")  # re-encoded at 96k
    infs = stream_inf(out / "stream.m3u8")
    assert [inf["RESOLUTION"] for inf in infs] == ["640x360", "320x180"]
    assert [inf["BANDWIDTH"] for inf in infs] == [str(800_000 + 64_000), str(300_000 + 96_000)]
    assert all(inf["CODECS"].endswith(",mp4a.40.2") for inf in infs)


async def test_passthrough_copies_video_and_audio(tmp_path: Path, media: Media) -> None:
    out = tmp_path / "hls"
    job = make_job(out, StreamOutputVariant(video_passthrough=True, audio_passthrough=True), latency=KEEP_ALL)
    rec = await transcode(job, media.av)
    assert rec.returncode == 0
    listed = playlist_segments(out / "0" / "stream.m3u8")
    assert len(listed) == 2  # the input has a keyframe every 2 s
    source = streams_of(media.av)["video"]
    frames = 0
    for name in listed:
        streams = streams_of(out / "0" / name)
        video = streams["video"]
        assert (video["codec_name"], video["width"], video["height"], video["profile"]) == (
            "h264",
            640,
            360,
            source["profile"],
        )
        assert streams["audio"]["codec_name"] == "aac"
        frames += decoded_video_frames(out / "0" / name)
    assert frames == 120
    (inf,) = stream_inf(out / "stream.m3u8")
    profile, level = expected_avc(source)
    assert re.fullmatch(rf"avc1\.{profile:02x}[0-9a-f]{{2}}{level:02x},mp4a\.40\.2", inf["CODECS"])


async def test_end_of_input_flushes_every_frame(tmp_path: Path, media: Media) -> None:
    out = tmp_path / "hls"
    job = make_job(
        out, StreamOutputVariant(framerate=24, video_bitrate=600, cpu_usage_level=0), latency=KEEP_ALL
    )
    rec = await transcode(job, media.av)
    assert rec.returncode == 0
    listed = playlist_segments(out / "0" / "stream.m3u8")
    frames = sum(decoded_video_frames(out / "0" / name) for name in listed)
    assert frames == pytest.approx(120 * 24 / 30, abs=1)
    # The last segment (written when the input ended) was announced too.
    assert [os.path.basename(s.path) for s in rec.segments(0)] == listed


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_stop_mid_stream_leaves_no_process_and_no_fd(tmp_path: Path, media: Media) -> None:
    job = make_job(tmp_path / "hls", StreamOutputVariant(framerate=30, video_bitrate=800))
    before = open_fds()
    rec = RecordingListener()
    session = await PyAVTranscoder().start(job, rec)
    await feed(session, media.av, limit=media.av.stat().st_size // 2)
    await asyncio.wait_for(session.stop(), 15)

    assert not session.running
    assert session.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(session.pid, 0)
    assert rec.exited.is_set()
    assert open_fds() == before
    with pytest.raises(TranscoderGone):
        await session.write(b"more")
    await session.stop()  # idempotent


async def test_stop_kills_a_child_that_does_not_exit(tmp_path: Path, media: Media) -> None:
    job = make_job(tmp_path / "hls", StreamOutputVariant(framerate=30, video_bitrate=800))
    before = open_fds()
    rec = RecordingListener()
    session = await PyAVTranscoder(stop_timeout=0.5, kill_timeout=0.5).start(job, rec)
    await feed(session, media.av, limit=64 * 1024)
    os.kill(session.pid, signal.SIGSTOP)  # frozen: it can neither flush nor honour SIGTERM
    await asyncio.wait_for(session.stop(), 10)
    assert session.returncode == -signal.SIGKILL
    assert rec.of("exited") == [-signal.SIGKILL]
    assert rec.of("error") == []  # stopped on purpose: not reported as a crash
    assert open_fds() == before


async def test_a_crashed_child_is_reported_as_fatal(tmp_path: Path, media: Media) -> None:
    job = make_job(tmp_path / "hls", StreamOutputVariant(framerate=30, video_bitrate=800))
    rec = RecordingListener()
    session = await PyAVTranscoder().start(job, rec)
    try:
        await feed(session, media.av, limit=64 * 1024)
        os.kill(session.pid, signal.SIGKILL)
        await asyncio.wait_for(rec.exited.wait(), 10)
        with pytest.raises(TranscoderGone):
            await feed(session, media.av)
    finally:
        await session.stop()
    assert rec.calls[-2:] == [
        ("error", ("the transcoder was killed (SIGKILL)", True)),
        ("exited", -signal.SIGKILL),
    ]


async def test_an_encoder_that_cannot_start_is_a_fatal_error(tmp_path: Path, media: Media) -> None:
    job = replace(make_job(tmp_path / "hls", StreamOutputVariant()), video_codec="no_such_encoder")
    rec = RecordingListener()
    session = await PyAVTranscoder().start(job, rec)
    try:
        with contextlib.suppress(TranscoderGone):
            await feed(session, media.av)
            await session.close()
        await asyncio.wait_for(rec.exited.wait(), 20)
    finally:
        await session.stop()
    assert rec.returncode not in (0, None)
    ((message, fatal),) = rec.of("error")
    assert fatal and message.startswith("transcoding variant 0 failed")


async def test_garbage_input_is_a_fatal_error_not_a_hang(tmp_path: Path) -> None:
    job = make_job(tmp_path / "hls", StreamOutputVariant())
    rec = RecordingListener()
    session = await PyAVTranscoder(open_timeout=2.0).start(job, rec)
    garbage = random.Random(7).randbytes(16 * 1024)
    try:
        # Keep the garbage coming (as a broken publisher would) without ever closing the input.
        with pytest.raises(TranscoderGone):
            async with asyncio.timeout(15):
                while True:
                    await session.write(garbage)
                    await asyncio.sleep(0.05)
        await asyncio.wait_for(rec.exited.wait(), 10)
    finally:
        await session.stop()
    assert rec.returncode not in (0, None)
    ((message, fatal),) = rec.of("error")
    assert fatal
    assert "broadcast's stream" in message
    assert rec.of("segment") == []


async def test_input_ending_before_any_media_is_a_fatal_error(tmp_path: Path) -> None:
    job = make_job(tmp_path / "hls", StreamOutputVariant())
    rec = RecordingListener()
    session = await PyAVTranscoder().start(job, rec)
    await session.write(b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00" + random.Random(3).randbytes(4096))
    await session.close()
    assert await asyncio.wait_for(session.wait(), 20) != 0
    ((message, fatal),) = rec.of("error")
    assert fatal and "broadcast's stream" in message
    with pytest.raises(TranscoderGone):
        await session.write(b"more")


@contextlib.contextmanager
def tiny_tmpfs(mountpoint: Path, size: str) -> Iterator[None]:
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=True)


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Children started inside inherit RLIMIT_FSIZE (writes past it fail with EFBIG)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


async def run_until_exit(
    job: TranscodeJob, flv: Path, start_context: contextlib.AbstractContextManager[None]
) -> RecordingListener:
    rec = RecordingListener()
    with start_context:
        session = await PyAVTranscoder().start(job, rec)
    try:
        with contextlib.suppress(TranscoderGone):
            await feed(session, flv)
            await session.close()
        await asyncio.wait_for(rec.exited.wait(), TIMEOUT)
    finally:
        await session.stop()
    return rec


def assert_disk_full_reported(rec: RecordingListener, output_dir: Path) -> None:
    assert rec.returncode not in (0, None)
    errors = rec.of("error")
    assert len(errors) == 1, errors
    message, fatal = errors[0]
    assert fatal
    assert message.startswith("disk full: cannot write HLS segments to ")
    assert str(output_dir) in message
    assert all(size > 0 for size in rec.playlist_sizes), "an empty playlist was announced"


async def test_disk_full_on_a_tiny_tmpfs_is_fatal(tmp_path: Path, media: Media) -> None:
    out = tmp_path / "small"
    with tiny_tmpfs(out, "160k"):
        job = make_job(out, StreamOutputVariant(framerate=30, video_bitrate=2000, cpu_usage_level=0))
        rec = await run_until_exit(job, media.av, contextlib.nullcontext())
        assert_disk_full_reported(rec, out)


async def test_file_size_limit_is_treated_as_disk_full(tmp_path: Path, media: Media) -> None:
    out = tmp_path / "hls"
    job = make_job(out, StreamOutputVariant(framerate=30, video_bitrate=2000, cpu_usage_level=0))
    rec = await run_until_exit(job, media.av, file_size_limit(96 * 1024))
    assert_disk_full_reported(rec, out)


def undecoded_frames(caplog: pytest.LogCaptureFixture) -> tuple[int, int]:
    """``(decoded, left undecoded)`` from the child's end-of-input log line."""
    found = re.search(r"video: (\d+) frames decoded, (\d+) left undecoded", caplog.text)
    assert found, caplog.text
    return int(found.group(1)), int(found.group(2))


async def test_frames_every_variant_drops_are_not_decoded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    flv = make_flv(tmp_path / "bframes.flv", bframes=2)  # 120 frames @30, two of three non-reference
    out = tmp_path / "hls"
    job = make_job(
        out,
        StreamOutputVariant(framerate=24, video_bitrate=600, cpu_usage_level=0),
        StreamOutputVariant(framerate=15, scaled_height=180, video_bitrate=300, cpu_usage_level=0),
        latency=KEEP_ALL,
    )
    with caplog.at_level(logging.INFO):
        rec = await transcode(job, flv)
    assert rec.returncode == 0
    decoded, undecoded = undecoded_frames(caplog)
    # 24 of every 30 frames are shown (the 15 fps variant shows frames of the same slots): the
    # 24 dropped share a slot with a frame decoded in full, and with two B-frames in three, one
    # of each pair is a non-reference frame decoded after its partner, so (nearly) all of them
    # need no decoding; the output loses no frame.
    assert decoded + undecoded == 120 and 20 <= undecoded <= 24
    for variant, fps in ((0, 24), (1, 15)):
        listed = playlist_segments(out / str(variant) / "stream.m3u8")
        frames = sum(decoded_video_frames(out / str(variant) / name) for name in listed)
        assert frames == pytest.approx(120 * fps / 30, abs=1)


async def test_passthrough_decodes_only_keyframes_for_the_thumbnail(
    tmp_path: Path, media: Media, caplog: pytest.LogCaptureFixture
) -> None:
    thumbnail = tmp_path / "thumbnail.jpg"
    job = make_job(tmp_path / "hls", StreamOutputVariant(video_passthrough=True), thumbnail=thumbnail)
    with caplog.at_level(logging.INFO):
        rec = await transcode(job, media.av)
    assert rec.of("thumbnail") == [str(thumbnail)]
    assert streams_of(thumbnail)["video"]["codec_name"] == "mjpeg"
    decoded, undecoded = undecoded_frames(caplog)
    # The keyframes (every 2 s), and the second after the first one for the animated preview.
    assert decoded + undecoded == 120 and 1 + 24 <= decoded <= 1 + 30 + 1
    assert_preview(tmp_path / "preview.gif", (480, 270))


async def test_a_stream_without_keyframes_is_decoded_fully_after_a_while(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Periodic intra refresh: one IDR frame at the start, then none (recovery points only).
    flv = make_flv(tmp_path / "refresh.flv", seconds=25, size="160x90", audio=False, x264_params="intra-refresh=1")
    thumbnail = tmp_path / "thumbnail.jpg"
    job = make_job(tmp_path / "hls", StreamOutputVariant(video_passthrough=True), thumbnail=thumbnail, has_audio=False)
    with caplog.at_level(logging.INFO):
        rec = await transcode(job, flv)
    assert rec.returncode == 0 and thumbnail.exists()
    assert "no keyframe in 600 video packets: decoding every frame" in caplog.text
    decoded, undecoded = undecoded_frames(caplog)
    # The first picture, a second of them for the preview, then (after 600 packets without
    # one) nearly all of the last 120: pictures that refer to skipped ones may be lost.
    assert decoded + undecoded == 750 and decoded >= 120


async def test_thumbnail_is_written(tmp_path: Path, media: Media) -> None:
    thumbnail = tmp_path / "thumbnail.jpg"
    job = make_job(
        tmp_path / "hls", StreamOutputVariant(framerate=30, video_bitrate=800), thumbnail=thumbnail
    )
    rec = await transcode(job, media.av)
    assert rec.of("thumbnail") == [str(thumbnail)]  # the first at once; the next would be 20 s later
    assert thumbnail.read_bytes()[:2] == b"\xff\xd8"
    image = streams_of(thumbnail)["video"]
    assert (image["codec_name"], image["width"], image["height"]) == ("mjpeg", 640, 360)
    assert_preview(tmp_path / "preview.gif", (480, 270))


def assert_preview(path: Path, size: tuple[int, int]) -> None:
    """``path`` is Owncast's preview: a 1 s animated GIF, 8 frames at 8 fps, 480 wide."""
    assert path.read_bytes()[:6] == b"GIF89a"
    data = ffprobe(path, "-count_frames", "-show_streams")
    (gif,) = data["streams"]
    assert (gif["codec_name"], gif["width"], gif["height"]) == ("gif", *size)
    assert (int(gif["nb_read_frames"]), gif["r_frame_rate"]) == (8, "8/1")


async def test_a_small_picture_with_previews_and_two_variants(tmp_path: Path) -> None:
    # The input's own size is the first variant's, so that variant encodes the decoded frames
    # as they are, while the thumbnail and the animated preview (no scaling down at 320 wide)
    # read the same frames: nothing may retime them behind the variant's back.
    flv = make_flv(tmp_path / "small.flv", seconds=4, size="320x240")
    out = tmp_path / "hls"
    job = make_job(
        out,
        StreamOutputVariant(scaled_height=240, framerate=30, video_bitrate=600, cpu_usage_level=0),
        StreamOutputVariant(scaled_height=120, framerate=15, video_bitrate=200, cpu_usage_level=0),
        latency=KEEP_ALL,
        thumbnail=tmp_path / "thumbnail.jpg",
    )
    rec = await transcode(job, flv)
    assert (rec.returncode, rec.of("error")) == (0, [])
    assert_preview(tmp_path / "preview.gif", (320, 240))
    for variant, fps in ((0, 30), (1, 15)):
        times = stream_times(out / str(variant))
        assert_increasing(times)
        assert len(times["video"]) == 4 * fps


def stream_times(directory: Path) -> dict[str, list[float]]:
    """The decoding times of every packet of each stream, over the segments a variant's playlist
    lists, in order."""
    times: dict[str, list[float]] = {}
    for name in playlist_segments(directory / "stream.m3u8"):
        data = ffprobe(directory / name, "-show_entries", "packet=codec_type,dts_time", "-show_packets")
        for packet in data["packets"]:
            times.setdefault(packet["codec_type"], []).append(float(packet["dts_time"]))
    return times


def assert_increasing(times: dict[str, list[float]]) -> None:
    for kind, values in times.items():
        steps = [b - a for a, b in itertools.pairwise(values)]
        assert min(steps) > 0, f"{kind} goes back"


def playlist_seconds(playlist: Path) -> float:
    return sum(float(line[8:].rstrip(",")) for line in playlist.read_text().splitlines() if line.startswith("#EXTINF:"))


@pytest.mark.parametrize("jump_ms", [-2000, -20_000, 20_000])
async def test_a_publisher_clock_jump_does_not_end_the_broadcast(
    tmp_path: Path, media: Media, jump_ms: int, caplog: pytest.LogCaptureFixture
) -> None:
    # 4 s of media whose clock jumps 2 s in: an encoded variant and one copying audio and video.
    flv = shift_flv_timestamps(media.av, tmp_path / "jump.flv", from_ms=2000, by_ms=jump_ms)
    out = tmp_path / "hls"
    job = make_job(
        out,
        StreamOutputVariant(framerate=30, video_bitrate=800),
        StreamOutputVariant(video_passthrough=True),
        latency=KEEP_ALL,
    )
    rec = await transcode(job, flv)
    assert (rec.returncode, rec.of("error")) == (0, [])
    for variant in (0, 1):
        times = stream_times(out / str(variant))
        assert_increasing(times)
        # No hole where the clock jumped forward, no overlap where it went back: the playlist
        # is as long as the input, and sound ends with the picture.
        assert abs(playlist_seconds(out / str(variant) / "stream.m3u8") - 4.0) < 0.3
        assert abs(times["video"][-1] - times["audio"][-1]) < 0.1
        assert max(b - a for a, b in itertools.pairwise(times["video"])) < 0.1


async def test_a_resolution_change_mid_stream(tmp_path: Path) -> None:
    # The publisher goes from 640x360 to 1280x720 after 3 s (a new sequence header).
    first = make_flv(tmp_path / "small.flv", seconds=3, size="640x360")
    second = make_flv(tmp_path / "large.flv", seconds=3, size="1280x720")
    flv = join_flv(first, second, tmp_path / "both.flv", at_ms=3000)
    out = tmp_path / "hls"
    job = make_job(
        out,
        StreamOutputVariant(scaled_height=360, framerate=30, video_bitrate=800),
        StreamOutputVariant(video_passthrough=True),
        latency=KEEP_ALL,
    )
    rec = await transcode(job, flv)
    assert (rec.returncode, rec.of("error")) == (0, [])
    sizes: dict[int, list[tuple[int, int]]] = {}
    for variant in (0, 1):
        for name in playlist_segments(out / str(variant) / "stream.m3u8"):
            segment = out / str(variant) / name
            video = streams_of(segment)["video"]
            sizes.setdefault(variant, []).append((int(str(video["width"])), int(str(video["height"]))))
            # Every picture decodes, with no error: the copy carries the new parameter sets.
            errors = decode_errors(segment)
            assert errors == "", f"{segment}: {errors[:500]}"
        assert len(stream_times(out / str(variant))["video"]) == 180
    assert set(sizes[0]) == {(640, 360)}  # the encoded variant keeps its size
    assert sizes[1][0] == (640, 360) and sizes[1][-1] == (1280, 720)


async def test_an_audio_change_mid_stream(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The publisher's audio goes from 44.1 kHz mono to 48 kHz stereo after 3 s.
    first = make_flv(tmp_path / "mono.flv", seconds=3)
    second = make_flv(tmp_path / "stereo.flv", seconds=3, sample_rate=48000, channels=2)
    flv = join_flv(first, second, tmp_path / "both.flv", at_ms=3000)
    out = tmp_path / "hls"
    job = make_job(
        out,
        StreamOutputVariant(framerate=30, video_bitrate=800, audio_passthrough=False, audio_bitrate=96),
        StreamOutputVariant(video_passthrough=True),  # and audio: it cannot change what it announces
        latency=KEEP_ALL,
    )
    with caplog.at_level(logging.INFO):
        rec = await transcode(job, flv)
    assert (rec.returncode, rec.of("error")) == (0, [])
    # The encoded audio stays 44.1 kHz mono: the 48 kHz part is resampled, not played slower.
    shapes = set()
    for name in playlist_segments(out / "0" / "stream.m3u8"):
        audio = streams_of(out / "0" / name)["audio"]
        shapes.add((audio["sample_rate"], audio["channels"]))
        assert decode_errors(out / "0" / name) == ""
    assert shapes == {("44100", 1)}
    times = stream_times(out / "0")
    assert_increasing(times)
    audio_seconds = len(times["audio"]) * 1024 / 44100
    # 6 s and the encoder's priming; the 48 kHz samples taken as 44.1 kHz ones would make 6.3 s.
    assert abs(audio_seconds - 6.0) < 0.15, audio_seconds
    logged = caplog.text
    assert "audio changed mid-stream to 48000 Hz stereo; it is encoded resampled to 44100 Hz mono" in logged
    assert "1 variant(s) copying the audio keep announcing the first settings" in logged


@pytest.mark.parametrize(("codec", "rate"), [("pcm_alaw", 8000), ("pcm_s16le", 44100)])
async def test_audio_that_hls_cannot_carry_is_encoded_even_in_passthrough(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, codec: str, rate: int
) -> None:
    # An IP camera's G.711, or raw PCM: FLV carries them, MPEG-TS only as private data.
    flv = make_flv(tmp_path / "camera.flv", seconds=3, size="320x240", audio_codec=codec, sample_rate=rate)
    out = tmp_path / "hls"
    job = make_job(out, StreamOutputVariant())  # Owncast's default: audio passthrough
    with caplog.at_level(logging.INFO):
        rec = await transcode(job, flv)
    assert (rec.returncode, rec.of("error")) == (0, [])
    for name in playlist_segments(out / "0" / "stream.m3u8"):
        audio = streams_of(out / "0" / name)["audio"]
        assert (audio["codec_name"], audio["sample_rate"], audio["channels"]) == ("aac", str(rate), 1)
        assert decode_errors(out / "0" / name) == ""
    (inf,) = stream_inf(out / "stream.m3u8")
    assert inf["CODECS"].endswith(",mp4a.40.2")
    assert f"audio passthrough cannot carry {codec} in HLS; encoding it to AAC" in caplog.text


PAYLOAD = 11  # where a tag's payload starts (after its header)


def _broken_nal_length(index: int, tag: bytearray, video: list[int]) -> None:
    if index == video[40]:  # an inter frame: its first NAL unit claims 4 GiB
        tag[PAYLOAD + 5 : PAYLOAD + 9] = b"\xff\xff\xff\xff"


def _unknown_video_codec(index: int, tag: bytearray, video: list[int]) -> None:
    if tag[0] == 9:  # CodecID 15: none FLV defines
        tag[PAYLOAD] = (tag[PAYLOAD] & 0xF0) | 15


@pytest.mark.parametrize("passthrough", [True, False], ids=["copy", "encode"])
@pytest.mark.parametrize("breakage", [_broken_nal_length, _unknown_video_codec])
async def test_broken_video_from_the_publisher_does_not_end_the_broadcast(
    tmp_path: Path, media: Media, breakage: Callable[[int, bytearray, list[int]], None], passthrough: bool
) -> None:
    video = [i for i, tag in enumerate(flv_tags(media.av.read_bytes())) if tag[0] == 9]
    flv = rewrite_flv_tags(media.av, tmp_path / "broken.flv", lambda i, tag: breakage(i, tag, video))
    out = tmp_path / "hls"
    variant = StreamOutputVariant(video_passthrough=True) if passthrough else StreamOutputVariant(video_bitrate=500)
    rec = await transcode(make_job(out, variant, latency=KEEP_ALL), flv)
    assert (rec.returncode, rec.of("error")) == (0, [])
    # The broadcast goes on to the end of the input, with the sound at least.
    assert playlist_seconds(out / "0" / "stream.m3u8") > 3.5
    times = stream_times(out / "0")
    assert times["audio"][-1] - times["audio"][0] > 3.5
    if breakage is _broken_nal_length:
        assert len(times["video"]) >= (120 if passthrough else 96) - 1  # one picture lost at most
    else:
        assert "video" not in times  # a codec nothing can read: the sound goes on alone


async def test_video_without_audio(tmp_path: Path, media: Media) -> None:
    out = tmp_path / "hls"
    job = make_job(out, StreamOutputVariant(framerate=30, video_bitrate=800), has_audio=False)
    rec = await transcode(job, media.video_only)
    assert rec.returncode == 0
    listed = playlist_segments(out / "0" / "stream.m3u8")
    assert len(listed) == 3
    assert set(streams_of(out / "0" / listed[0])) == {"video"}
    (inf,) = stream_inf(out / "stream.m3u8")
    assert re.fullmatch(r"avc1\.[0-9a-f]{6}", inf["CODECS"])
    assert inf["BANDWIDTH"] == "800000"


async def test_audio_without_video(tmp_path: Path, media: Media) -> None:
    out = tmp_path / "hls"
    job = make_job(out, StreamOutputVariant(framerate=30, video_bitrate=800), has_video=False)
    rec = await transcode(job, media.audio_only)
    assert rec.returncode == 0
    listed = playlist_segments(out / "0" / "stream.m3u8")
    assert listed
    assert set(streams_of(out / "0" / listed[0])) == {"audio"}
    (inf,) = stream_inf(out / "stream.m3u8")
    assert inf["CODECS"] == "mp4a.40.2"
    assert "RESOLUTION" not in inf
