"""End to end: a real ffmpeg publishes over RTMP to ``owncast serve`` with recordings on; the
recording appears in the admin API, downloads as an MP4 ffprobe reads, and is deleted."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from owncast_adapters.storage.recordings import LocalRecordingStore
from owncast_core.domain.config import Keys
from owncast_core.domain.recordings import Recording, RecordingStatus

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")
STREAM_SECONDS = 10


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", str(path)],
                         capture_output=True, check=True, timeout=60).stdout
    return dict(json.loads(out))


def recordings(server: Any) -> list[dict[str, Any]]:
    response = httpx.get(server.url + "/api/admin/recordings", auth=ADMIN, timeout=10)
    assert response.status_code == 200
    return list(response.json())


def stream_once(server: Any, publish: Any, seconds: float) -> None:
    ffmpeg = publish(f"{server.rtmp_url}/abc123", seconds=seconds)
    server.wait_for(online=True, timeout=40)
    assert ffmpeg.wait(timeout=seconds + 30) == 0, ffmpeg.stderr.read().decode(errors="replace")
    server.wait_for(online=False, timeout=30)


def seed_old_recording(data_dir: Path, recording_id: str, days_ago: int) -> None:
    """A finished recording of ``days_ago`` days ago on the server's disk (its file a stub)."""
    async def seed() -> None:
        store = LocalRecordingStore(root=data_dir / "recordings")
        started = datetime.now(UTC) - timedelta(days=days_ago)
        await store.create(Recording(id=recording_id, title="Old show", started_at=started))
        await store.save(Recording(id=recording_id, title="Old show", started_at=started,
                                   status=RecordingStatus.READY, size_bytes=1000))

    asyncio.run(seed())


def test_a_broadcast_is_recorded_downloaded_and_deleted(make_owncast: Any, publish: Any, tmp_path: Path) -> None:
    server = make_owncast()
    server.configure({Keys.RECORDINGS_ENABLED: True, Keys.STREAM_TITLE: "E2E show"}).start()
    # retention set while running: the old recording goes once this broadcast's recording is saved
    seed_old_recording(server.data_dir, "20200101-000000-old", days_ago=40)
    answer = httpx.post(server.url + "/api/admin/config/recordings/retention", auth=ADMIN, timeout=10,
                        json={"value": {"maxAgeDays": 30, "maxTotalGB": 0}})
    assert answer.status_code == 200
    assert [r["id"] for r in recordings(server)] == ["20200101-000000-old"]
    stream_once(server, publish, STREAM_SECONDS)

    deadline = time.monotonic() + 60
    while (listing := recordings(server))[0]["status"] != "ready" or len(listing) != 1:
        assert time.monotonic() < deadline, f"{listing}\n{server.log()[-3000:]}"
        assert listing[0]["status"] in ("recording", "processing", "ready"), listing
        time.sleep(0.3)
    (entry,) = listing
    assert "recording \"Old show\" (" in server.log() and "1 KB) deleted: older than 30 days" in server.log()
    assert not (server.data_dir / "recordings" / "20200101-000000-old").exists()
    assert entry["title"] == "E2E show"
    assert abs(entry["durationSeconds"] - STREAM_SECONDS) < 3, entry
    folder = server.data_dir / "recordings" / entry["id"]
    log = server.log()
    assert f"recording this broadcast to {folder}/" in log
    assert f"recording saved: {folder}/recording.mp4 (" in log

    response = httpx.get(f"{server.url}/api/admin/recordings/{entry['id']}/download", auth=ADMIN, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    assert response.headers["content-disposition"].startswith('attachment; filename="E2E-show-')
    assert len(response.content) == entry["sizeBytes"]
    mp4 = tmp_path / "download.mp4"
    mp4.write_bytes(response.content)
    probe = ffprobe(mp4)
    assert probe["format"]["format_name"].startswith("mov,mp4")
    assert sorted(s["codec_name"] for s in probe["streams"]) == ["aac", "h264"]
    assert abs(float(probe["format"]["duration"]) - STREAM_SECONDS) < 3, probe["format"]
    assert not (folder / "recording.ts").exists()

    for hostile in ("../x", "x" * 500, "r\u00e9cording\u202e"):
        refused = httpx.post(server.url + "/api/admin/recordings/delete", auth=ADMIN, json={"id": hostile}, timeout=10)
        assert refused.status_code == 400, hostile
    deleted = httpx.post(server.url + "/api/admin/recordings/delete", auth=ADMIN, json={"id": entry["id"]},
                         timeout=10)
    assert deleted.status_code == 200
    assert recordings(server) == [] and not folder.exists()


def test_recordings_are_off_by_default(make_owncast: Any, publish: Any) -> None:
    server = make_owncast().start()
    config = httpx.get(server.url + "/api/admin/serverconfig", auth=ADMIN, timeout=10).json()
    assert config["recordingsEnabled"] is False
    stream_once(server, publish, 6)
    assert recordings(server) == []
    folder = server.data_dir / "recordings"
    assert not folder.exists() or not any(folder.iterdir())
    assert "recording this broadcast" not in server.log()
