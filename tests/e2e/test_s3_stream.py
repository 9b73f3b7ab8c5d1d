"""End to end with S3: ``owncast serve`` uploads a live ffmpeg stream to moto's S3 server; a
viewer follows ``/hls/stream.m3u8`` to the bucket, and S3 going away mid-stream and coming back
(same port) never leaves a published playlist naming a segment the bucket does not have."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..s3_support import MotoS3, own_moto_s3  # noqa: F401  (fixture)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                       reason="needs ffmpeg and ffprobe"),
]

ADMIN = ("admin", "abc123")


def admin_post(server: Any, setting: str, value: Any) -> None:
    answer = httpx.post(f"{server.url}/api/admin/config/{setting}", json={"value": value}, auth=ADMIN,
                        timeout=10)
    assert answer.status_code == 200, f"{setting}: {answer.status_code} {answer.text}"


def uris(playlist: str) -> list[str]:
    return [ln.strip() for ln in playlist.splitlines() if ln.strip() and not ln.startswith("#")]


def media_sequence(playlist: str) -> int:
    match = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist)
    return int(match.group(1)) if match else 0


@dataclass
class BucketViewer:
    """Polls a variant playlist in the bucket like a player and checks every version it sees."""

    url: str
    seen: list[tuple[int, list[str]]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    unreachable: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> BucketViewer:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        base = self.url.rsplit("/", 1)[0]
        with httpx.Client(timeout=3) as http:
            while not self._stop.wait(0.25):
                try:
                    answer = http.get(self.url)
                except httpx.HTTPError:
                    self.unreachable += 1
                    continue
                if answer.status_code != 200:
                    continue
                names = uris(answer.text)
                self.seen.append((media_sequence(answer.text), names))
                for name in names:
                    try:
                        status = http.head(f"{base}/{name}").status_code
                    except httpx.HTTPError:
                        break  # S3 went away meanwhile: this observation is moot
                    if status != 200:
                        self.violations.append(f"{name} listed but answers {status}")

    def newest(self) -> tuple[int, list[str]]:
        return self.seen[-1] if self.seen else (-1, [])


def wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def decode(url: str, dest: Path) -> dict[str, Any]:
    """Download ``url`` and decode it fully with ffprobe; the streams by kind."""
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200, url
    dest.write_bytes(answer.content)
    command = ["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-of", "json", str(dest)]
    probe = subprocess.run(command, capture_output=True, check=True, timeout=60)
    return {s["codec_type"]: s for s in json.loads(probe.stdout)["streams"]}


def test_viewer_follows_the_master_to_the_bucket_through_an_s3_outage(
    make_owncast: Any, publish: Any, own_moto_s3: MotoS3, tmp_path: Path  # noqa: F811
) -> None:
    bucket = own_moto_s3.new_bucket()
    s3 = {"enabled": True, "endpoint": own_moto_s3.endpoint, "accessKey": "test", "secret": "test",
          "bucket": bucket, "region": "us-east-1", "acl": "", "forcePathStyle": True,
          "pathPrefix": "e2e", "servingEndpoint": ""}
    server = make_owncast().start()
    admin_post(server, "s3", s3)  # takes effect at the next stream start
    admin_post(server, "video/streamlatencylevel", 0)  # 1 s segments keep the test short
    ffmpeg = publish(f"{server.rtmp_url}/abc123", seconds=90)
    server.wait_for(online=True, timeout=40)

    # The master is served here and points at the bucket; nothing else is served here.
    master = httpx.get(f"{server.url}/hls/stream.m3u8", timeout=10)
    assert master.status_code == 200
    (variant_url,) = uris(master.text)
    assert variant_url == f"{own_moto_s3.endpoint}/{bucket}/e2e/hls/0/stream.m3u8"
    assert httpx.get(f"{server.url}/hls/0/stream.m3u8", timeout=10).status_code == 404

    viewer = BucketViewer(variant_url).start()
    try:
        wait(lambda: len(viewer.newest()[1]) >= 2, 30, "a variant playlist in the bucket")
        first_seq, names = viewer.newest()
        kinds = decode(variant_url.replace("stream.m3u8", names[-1]), tmp_path / "before.ts")
        assert kinds["video"]["codec_name"] == "h264" and kinds["audio"]["codec_name"] == "aac"
        assert int(kinds["video"]["nb_read_frames"]) >= 12

        own_moto_s3.stop()
        time.sleep(6)  # six 1 s segments while S3 refuses connections
        assert server.status()["online"] is True and ffmpeg.poll() is None, "the stream stopped"
        outage_seq = viewer.newest()[0]
        own_moto_s3.start()

        wait(lambda: viewer.newest()[0] >= outage_seq + 6, 30, "uploads to resume after the outage")
        seq, names = viewer.newest()
        kinds = decode(variant_url.replace("stream.m3u8", names[-1]), tmp_path / "after.ts")
        assert kinds["video"]["codec_name"] == "h264"
    finally:
        viewer.stop()

    assert viewer.unreachable > 0, "the outage was not observed"
    assert not viewer.violations, viewer.violations
    sequences = [s for s, _ in viewer.seen]
    assert sequences == sorted(sequences) and sequences[0] <= first_seq < seq
    log = server.log()
    assert f"S3 bucket '{bucket}' at {own_moto_s3.endpoint}" in log and "are failing" in log
    assert "work again" in log

    ffmpeg.kill()
    server.wait_for(online=False, timeout=30)
    wait(lambda: "#EXT-X-ENDLIST" in httpx.get(variant_url, timeout=5).text, 20, "the ended playlist")
    assert subprocess.run(["ffprobe", "-v", "error", variant_url], timeout=60).returncode == 0

    # Switched back to local storage: the next broadcast is served by the server itself.
    admin_post(server, "s3", {**s3, "enabled": False})
    publish(f"{server.rtmp_url}/abc123", seconds=60)
    server.wait_for(online=True, timeout=40)
    assert uris(httpx.get(f"{server.url}/hls/stream.m3u8", timeout=10).text) == ["0/stream.m3u8"]
    (name, *_) = uris(httpx.get(f"{server.url}/hls/0/stream.m3u8", timeout=10).text)
    assert decode(f"{server.url}/hls/0/{name}", tmp_path / "local.ts")["video"]["codec_name"] == "h264"
