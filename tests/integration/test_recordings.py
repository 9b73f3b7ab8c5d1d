"""Recordings on a running in-process server: the admin API over HTTP (listing, ranged download,
delete, hostile ids, auth), the local-disk files and crash recovery at start-up."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from owncast_adapters.storage.recordings import LocalRecordingStore
from owncast_core.domain.recordings import Recording
from owncast_core.errors import DiskFullError, StorageError

from ..recording_support import make_ts_segments
from .in_process import running_server

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")
STARTED = datetime(2026, 2, 3, 20, 15, tzinfo=UTC)


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", str(path)],
                         capture_output=True, check=True, timeout=60).stdout
    return dict(json.loads(out))


async def interrupted_recording(data_dir: Path, tmp_path: Path, recording_id: str = "20260203-201500-crash") -> None:
    """What a crash while recording leaves: the entry (status ``recording``) and its TS."""
    store = LocalRecordingStore(root=data_dir / "recordings")
    await store.create(Recording(id=recording_id, title="Crashed \u2603 show", started_at=STARTED))
    for path in make_ts_segments(tmp_path / "segments"):
        await store.append(recording_id, await store.read_segment(path))


async def wait_status(client: httpx.AsyncClient, status: str, timeout: float = 30) -> list[dict[str, Any]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        listing = (await client.get("/api/admin/recordings", auth=ADMIN)).json()
        if listing and all(r["status"] == status for r in listing):
            return list(listing)
        assert loop.time() < deadline, listing
        await asyncio.sleep(0.1)


async def test_an_interrupted_recording_is_finished_at_start_and_served(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await interrupted_recording(data_dir, tmp_path)
    async with running_server(data_dir) as running:
        client = running.client
        (entry,) = await wait_status(client, "ready")
        assert entry == {"id": "20260203-201500-crash", "title": "Crashed \u2603 show",
                         "startedAt": "2026-02-03T20:15:00Z", "endedAt": entry["endedAt"],
                         "durationSeconds": entry["durationSeconds"], "sizeBytes": entry["sizeBytes"],
                         "status": "ready"}
        assert abs(entry["durationSeconds"] - 8) < 1
        folder = data_dir / "recordings" / entry["id"]
        assert sorted(p.name for p in folder.iterdir()) == ["recording.json", "recording.mp4"]  # TS gone
        assert entry["sizeBytes"] == (folder / "recording.mp4").stat().st_size

        url = f"/api/admin/recordings/{entry['id']}/download"
        whole = await client.get(url, auth=ADMIN)
        assert whole.status_code == 200
        assert whole.headers["content-type"] == "video/mp4"
        assert whole.headers["content-disposition"] == 'attachment; filename="Crashed-show-2026-02-03-2015.mp4"'
        assert whole.content == (folder / "recording.mp4").read_bytes()
        assert whole.content[4:8] == b"ftyp" and whole.content.find(b"moov") < whole.content.find(b"mdat")
        part = await client.get(url, auth=ADMIN, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == whole.content[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"

        probe = ffprobe(folder / "recording.mp4")
        assert {s["codec_type"]: s["codec_name"] for s in probe["streams"]} == {"video": "h264", "audio": "aac"}
        assert float(probe["format"]["start_time"]) < 0.1

        deleted = await client.post("/api/admin/recordings/delete", auth=ADMIN, json={"id": entry["id"]})
        assert deleted.status_code == 200 and deleted.json()["success"] is True
        assert not folder.exists()
        assert (await client.get("/api/admin/recordings", auth=ADMIN)).json() == []
        again = await client.post("/api/admin/recordings/delete", auth=ADMIN, json={"id": entry["id"]})
        assert (again.status_code, again.json()) == (404, {"error": "recording not found"})


async def test_routes_need_the_admin_and_refuse_hostile_ids(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    secret = data_dir / "owncast.db"
    async with running_server(data_dir) as running:
        client = running.client
        for method, path in (("GET", "/api/admin/recordings"), ("GET", "/api/admin/recordings/x/download"),
                             ("POST", "/api/admin/recordings/delete")):
            response = await client.request(method, path, json={"id": "x"})
            assert response.status_code == 401
            wrong = await client.request(method, path, json={"id": "x"}, auth=("admin", "nope"))
            assert wrong.status_code == 401
        assert (await client.get("/api/admin/recordings", auth=ADMIN)).json() == []

        for hostile in ("..", "...", "x" * 81, "r%C3%A9cording", "%E2%80%AEabc", "a%20b", "-x", "%2E%2E"):
            response = await client.get(f"/api/admin/recordings/{hostile}/download", auth=ADMIN)
            assert response.status_code in (400, 404), hostile
            assert response.headers["content-type"].startswith(("application/json", "text/plain")), hostile
        nested = await client.get("/api/admin/recordings/..%2F..%2Fowncast.db/download", auth=ADMIN)
        assert nested.status_code in (400, 404) and nested.content != secret.read_bytes()
        unknown = await client.get("/api/admin/recordings/nope/download", auth=ADMIN)
        assert (unknown.status_code, unknown.json()) == (404, {"error": "recording not found or not ready"})
        long = await client.get(f"/api/admin/recordings/{'x' * 300}/download", auth=ADMIN)
        assert (long.status_code, long.json()) == (400, {"error": "invalid recording id"})

        for hostile_id in ("../x", "../../owncast.db", "x" * 300, "r\u00e9cording", "", None, 5, ["a"]):
            response = await client.post("/api/admin/recordings/delete", auth=ADMIN, json={"id": hostile_id})
            assert (response.status_code, response.json()) == (400, {"error": "invalid recording id"}), hostile_id
        assert secret.exists()
        missing = await client.post("/api/admin/recordings/delete", auth=ADMIN, json={"id": "nope"})
        assert (missing.status_code, missing.json()) == (404, {"error": "recording not found"})
        not_json = await client.post("/api/admin/recordings/delete", auth=ADMIN, content=b"[1")
        assert not_json.status_code == 400


async def test_the_setting_is_off_by_default_and_saved(tmp_path: Path) -> None:
    async with running_server(tmp_path / "data") as running:
        client = running.client
        config = (await client.get("/api/admin/serverconfig", auth=ADMIN)).json()
        assert config["recordingsEnabled"] is False
        bad = await client.post("/api/admin/config/recordings/enabled", auth=ADMIN, json={"value": "yes"})
        assert (bad.status_code, bad.json()["success"]) == (400, False)
        assert (await client.post("/api/admin/config/recordings/enabled", json={"value": True})).status_code == 401
        ok = await client.post("/api/admin/config/recordings/enabled", auth=ADMIN, json={"value": True})
        assert ok.json() == {"success": True, "message": "recordings setting updated"}
        config = (await client.get("/api/admin/serverconfig", auth=ADMIN)).json()
        assert config["recordingsEnabled"] is True


@pytest.fixture
def dev_full() -> Path:
    """Linux's always-full device: every write fails with ENOSPC."""
    path = Path("/dev/full")
    if not path.exists():
        pytest.fail("/dev/full is needed to simulate a full disk")
    return path


async def test_a_full_disk_is_reported_as_disk_full(tmp_path: Path, dev_full: Path) -> None:
    store = LocalRecordingStore(root=tmp_path / "recordings")
    await store.create(Recording(id="full", title="", started_at=STARTED))
    (tmp_path / "recordings" / "full" / "recording.ts").symlink_to(dev_full)
    with pytest.raises(DiskFullError, match="no space left"):
        await store.append("full", b"G" * 188 * 100)
    (tmp_path / "recordings" / "full" / "recording.ts").unlink()
    (tmp_path / "recordings" / "full" / "recording.ts").mkdir()
    with pytest.raises(StorageError) as caught:
        await store.append("full", b"G")
    assert not isinstance(caught.value, DiskFullError)


async def test_a_damaged_stream_fails_to_finish_and_is_kept(tmp_path: Path) -> None:
    store = LocalRecordingStore(root=tmp_path / "recordings")
    await store.create(Recording(id="junk", title="", started_at=STARTED))
    await store.append("junk", b"this is not MPEG-TS" * 100)
    with pytest.raises(StorageError, match="remux failed"):
        await store.finalize("junk")
    folder = tmp_path / "recordings" / "junk"
    assert (folder / "recording.ts").exists() and not (folder / "recording.mp4").exists()
