"""End to end: a real ffmpeg publishes over RTMP to ``owncast serve``; HLS is read with ffprobe."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from owncast_core.domain.config import Keys

pytestmark = pytest.mark.integration


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


def playlist_uris(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def ffprobe(path: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run(["ffprobe", "-v", "error", "-of", "json", *args, str(path)],
                         capture_output=True, check=True, timeout=60).stdout
    return dict(json.loads(out))


def download_segments(base: str, variant: int, dest: Path, count: int = 2) -> list[Path]:
    text = get(f"{base}/hls/{variant}/stream.m3u8").text
    paths = []
    for uri in playlist_uris(text)[-count:]:
        response = get(f"{base}/hls/{variant}/{uri}")
        assert response.status_code == 200, uri
        assert response.headers["content-type"].startswith("video/mp2t")
        path = dest / f"v{variant}-{uri}"
        path.write_bytes(response.content)
        paths.append(path)
    return paths


def test_default_key_goes_live_and_serves_decodable_hls(owncast: Any, publish: Any, tmp_path: Path) -> None:
    assert owncast.status()["online"] is False
    ffmpeg = publish(f"{owncast.rtmp_url}/abc123", seconds=60)
    status = owncast.wait_for(online=True, timeout=40)
    assert status["lastConnectTime"] is not None and status["lastDisconnectTime"] is None

    master = get(owncast.url + "/hls/stream.m3u8")
    assert master.status_code == 200
    assert master.headers["content-type"].lower().startswith("application/x-mpegurl")
    assert "no-cache" in master.headers["cache-control"]
    assert master.headers["access-control-allow-origin"] == "*"
    assert playlist_uris(master.text) == ["0/stream.m3u8"]
    assert "CODECS=" in master.text and "RESOLUTION=" in master.text

    (segment, *_) = download_segments(owncast.url, 0, tmp_path, count=1)
    streams = ffprobe(segment, "-show_streams")["streams"]
    kinds = {s["codec_type"]: s for s in streams}
    assert kinds["video"]["codec_name"] == "h264" and kinds["audio"]["codec_name"] == "aac"
    frames = ffprobe(segment, "-count_frames", "-select_streams", "v:0", "-show_entries",
                     "stream=nb_read_frames")["streams"][0]["nb_read_frames"]
    assert int(frames) >= 24  # 3 s segments at 24 fps: at least a second of decodable video

    assert get(owncast.url + "/hls/0/nothing.mp4").status_code == 404
    assert get(owncast.url + "/hls/../owncast.db").status_code == 404
    variants = get(owncast.url + "/api/video/variants").json()
    assert variants == [{"index": 0, "name": "1.2Mbps@24fps"}]

    thumbnail = get(owncast.url + "/thumbnail.jpg")
    assert (thumbnail.headers["content-type"], thumbnail.content[:2]) == ("image/jpeg", b"\xff\xd8")
    preview = tmp_path / "preview.gif"
    deadline = time.monotonic() + 20  # the GIF needs a second of video after the thumbnail
    while not (response := get(owncast.url + "/preview.gif")).content.startswith(b"GIF89a"):
        assert time.monotonic() < deadline, response.headers["content-type"]
        time.sleep(0.5)
    assert response.headers["content-type"] == "image/gif"
    preview.write_bytes(response.content)
    gif = ffprobe(preview, "-count_frames", "-show_streams")["streams"][0]
    (tmp_path / "thumbnail.jpg").write_bytes(thumbnail.content)
    source_width = ffprobe(tmp_path / "thumbnail.jpg", "-show_streams")["streams"][0]["width"]
    # 1 s at 8 fps, 480 wide (smaller sources are not scaled up)
    assert (gif["width"], int(gif["nb_read_frames"])) == (min(480, source_width), 8)
    ffmpeg.kill()


def test_two_variant_ladder_has_aligned_keyframes(make_owncast: Any, publish: Any, tmp_path: Path) -> None:
    server = make_owncast()
    server.configure({
        Keys.VIDEO_VARIANTS: [
            {"videoBitrate": 600, "framerate": 30, "cpuUsageLevel": 0, "scaledHeight": 240},
            {"videoBitrate": 200, "framerate": 15, "cpuUsageLevel": 0, "scaledHeight": 120},
        ],
        Keys.LATENCY_LEVEL: 0,
    })
    server.start()
    publish(f"{server.rtmp_url}/abc123", seconds=60)
    server.wait_for(online=True, timeout=40)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        names = [set(playlist_uris(get(f"{server.url}/hls/{v}/stream.m3u8").text)) for v in (0, 1)]
        common = sorted(names[0] & names[1])
        if len(common) >= 2:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"variants never listed the same segments: {names}")
    master = get(server.url + "/hls/stream.m3u8").text
    assert playlist_uris(master) == ["0/stream.m3u8", "1/stream.m3u8"]
    assert "RESOLUTION=320x240" in master and "RESOLUTION=160x120" in master
    keyframes = []
    for variant in (0, 1):
        path = tmp_path / f"k{variant}.ts"
        path.write_bytes(get(f"{server.url}/hls/{variant}/{common[-1]}").content)
        frames = ffprobe(path, "-select_streams", "v:0", "-show_entries", "frame=pts_time,key_frame")["frames"]
        keyframes.append([round(float(f["pts_time"]), 2) for f in frames if f["key_frame"] == 1])
    assert keyframes[0] and keyframes[0] == keyframes[1]


def test_wrong_key_is_refused_and_status_stays_offline(owncast: Any, publish: Any) -> None:
    ffmpeg = publish(f"{owncast.rtmp_url}/not-the-key", seconds=5)
    assert ffmpeg.wait(timeout=20) != 0
    assert owncast.status()["online"] is False
    assert "invalid stream key" in owncast.log()


def test_publisher_killed_goes_offline_and_reconnect_goes_live(owncast: Any, publish: Any) -> None:
    first = publish(f"{owncast.rtmp_url}/abc123", seconds=60)
    owncast.wait_for(online=True, timeout=40)
    first.kill()
    status = owncast.wait_for(online=False, timeout=30)
    assert status["lastDisconnectTime"] is not None
    variant = get(owncast.url + "/hls/0/stream.m3u8").text
    assert variant.rstrip().endswith("#EXT-X-ENDLIST")  # players can finish what is listed
    deadline = time.monotonic() + 60
    while True:  # a refused attempt (ffmpeg exits) is retried, as OBS's auto-reconnect does
        second = publish(f"{owncast.rtmp_url}/abc123", seconds=60)
        while second.poll() is None and owncast.status().get("online") is not True and time.monotonic() < deadline:
            time.sleep(0.2)
        if owncast.status().get("online") is True:
            break
        second.kill()
        if time.monotonic() >= deadline:
            raise AssertionError(f"the reconnect never went live:\n{owncast.log()[-3000:]}")
    assert "stream started" in owncast.log() and "stream ended" in owncast.log()


def test_garbage_on_the_rtmp_port_is_dropped_and_server_keeps_serving(owncast: Any, publish: Any) -> None:
    for payload in (os.urandom(4096), b"\x03" + os.urandom(3000), b"GET / HTTP/1.1\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", owncast.rtmp_port), timeout=5) as sock:
            sock.sendall(payload)
            sock.settimeout(15)
            try:
                while sock.recv(65536):
                    pass
            except (ConnectionResetError, TimeoutError):
                pass
    assert owncast.status()["online"] is False
    publish(f"{owncast.rtmp_url}/abc123", seconds=60)
    owncast.wait_for(online=True, timeout=40)


def enhanced_publisher(url: str, encoder: str, seconds: int = 20) -> subprocess.Popen[bytes]:
    """PyAV's FFmpeg publishing ``encoder``'s video over enhanced RTMP (see the script)."""
    script = Path(__file__).parents[1] / "enhanced_rtmp_publisher.py"
    return subprocess.Popen([sys.executable, str(script), url, encoder, str(seconds), "320x240"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize(("encoder", "label"), [("libx265", "H.265"), ("libsvtav1", "AV1")])
def test_hevc_and_av1_over_enhanced_rtmp_play_as_h264(owncast: Any, encoder: str, label: str, tmp_path: Path) -> None:
    """OBS 29.1+ can send HEVC or AV1 ("enhanced RTMP", codecs named by FourCC): the streamer
    sees the codec named in the log and viewers get the usual H.264 HLS."""
    publisher = enhanced_publisher(f"{owncast.rtmp_url}/abc123", encoder)
    try:
        owncast.wait_for(online=True, timeout=40)
        assert f"stream started: 320x240@30 {label}/AAC from 127.0.0.1" in owncast.log()
        (segment, *_) = download_segments(owncast.url, 0, tmp_path, count=1)
        kinds = {s["codec_type"]: s["codec_name"] for s in ffprobe(segment, "-show_streams")["streams"]}
        assert kinds == {"video": "h264", "audio": "aac"}
    finally:
        publisher.kill()
        publisher.communicate()


@pytest.mark.parametrize(
    ("encoder", "video", "codecs"),
    [("libx265", "hevc", "hvc1."), ("libsvtav1", "h264", "avc1.")],  # AV1 cannot ride in MPEG-TS: encoded
)
def test_video_passthrough_of_enhanced_rtmp_codecs(
    make_owncast: Any, encoder: str, video: str, codecs: str, tmp_path: Path
) -> None:
    """A passthrough variant copies H.265 as it comes (CODECS naming it, so players know);
    AV1 cannot be carried in HLS's MPEG-TS, so that variant is encoded to H.264 instead, with
    a warning that says why, rather than ending the stream."""
    server = make_owncast()
    server.configure({Keys.VIDEO_VARIANTS: [{"videoPassthrough": True, "audioPassthrough": True}]})
    server.start()
    publisher = enhanced_publisher(f"{server.rtmp_url}/abc123", encoder)
    try:
        server.wait_for(online=True, timeout=40)
        master = get(server.url + "/hls/stream.m3u8").text
        assert f'CODECS="{codecs}' in master, master
        (segment, *_) = download_segments(server.url, 0, tmp_path, count=1)
        kinds = {s["codec_type"]: s["codec_name"] for s in ffprobe(segment, "-show_streams")["streams"]}
        assert kinds == {"video": video, "audio": "aac"}
    finally:
        publisher.kill()
        publisher.communicate()
    warned = "video passthrough cannot carry AV1 in HLS; encoding it to H.264" in server.log()
    assert warned is (encoder == "libsvtav1")
    assert "Traceback" not in server.log()
    # The thumbnail decodes keyframes only: HEVC's open-GOP leading pictures are dropped, not
    # decoded against skipped references (which logged decoder errors at every thumbnail).
    assert "libav.hevc" not in server.log(), server.log()[-2000:]
