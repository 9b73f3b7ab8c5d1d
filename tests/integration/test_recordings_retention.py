"""Recordings retention and the S3 archive on a running in-process server: the setting through
the admin API on a real SQLite file, deletions on the local disk by the hourly pass and at
start, and with S3 video storage (moto on loopback) the upload, its retry, the download redirect
and the deletion of the object. The hourly timer is a ``ManualScheduler`` (no waiting an hour)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from owncast_adapters.storage.recordings import LocalRecordingStore
from owncast_core.domain.recordings import GB, Recording, RecordingStatus
from owncast_core.testing.fakes import FakeClock, ManualScheduler
from owncast_runners.container import Container

from ..recording_support import make_ts_segments
from ..s3_support import MotoS3, own_moto_s3  # noqa: F401  (fixture)
from .in_process import running_server

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")
HOUR = 3600.0


async def seed(data_dir: Path, rid: str, *, days_ago: float, gb: float, title: str = "") -> tuple[Path, str]:
    """A ready recording as the server leaves one; its metadata size is ``gb`` (the file is tiny).
    Its folder, and its start time as log lines show it."""
    store = LocalRecordingStore(root=data_dir / "recordings")
    started = datetime.now(UTC) - timedelta(days=days_ago)
    await store.create(Recording(id=rid, title=title, started_at=started))
    await store.save(Recording(id=rid, title=title, started_at=started, status=RecordingStatus.READY,
                               ended_at=started + timedelta(hours=1), duration_seconds=3600,
                               size_bytes=round(gb * GB)))
    folder = data_dir / "recordings" / rid
    (folder / "recording.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100)
    return folder, started.strftime("%Y-%m-%d %H:%M UTC")


def manual_hourly(timer: list[ManualScheduler]) -> Callable[[Container], None]:
    """Replace the container's recordings scheduler with a manual one (kept in ``timer``)."""
    def configure(container: Container) -> None:
        scheduler = ManualScheduler(FakeClock())
        timer.append(scheduler)
        container.recordings_scheduler.override(providers.Object(scheduler))
    return configure


async def listing(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    answer = await client.get("/api/admin/recordings", auth=ADMIN)
    assert answer.status_code == 200
    return {entry["id"]: entry for entry in answer.json()}


async def test_retention_set_through_the_admin_api_deletes_the_oldest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    seeded = {rid: await seed(data, rid, days_ago=days, gb=gb, title=title) for rid, days, gb, title in (
        ("r45", 45, 1, "Launch \u2603"), ("r20", 20, 2, ""), ("r10", 10, 2, "Ten"), ("r01", 1, 2, "Yesterday"))}
    folders = {rid: folder for rid, (folder, _) in seeded.items()}
    timer: list[ManualScheduler] = []
    async with running_server(data, configure=manual_hourly(timer)) as running:
        client, service = running.client, running.container.recordings()
        await service.wait_idle()  # the pass at start: no limits by default
        assert sorted(await listing(client)) == ["r01", "r10", "r20", "r45"]
        config = (await client.get("/api/admin/serverconfig", auth=ADMIN)).json()
        assert config["recordingsRetention"] == {"maxAgeDays": 0, "maxTotalGB": 0}

        url = "/api/admin/config/recordings/retention"
        for body, message in (
            (b'{"value": {"maxAgeDays": -1}}', "maxAgeDays must not be negative (0 = no limit)"),
            (b'{"value": {"maxAgeDays": "30"}}', "maxAgeDays must be a number of days (0 = no limit), not \"30\""),
            (b'{"value": {"maxTotalGB": NaN}}', "maxTotalGB must be a number of gigabytes (0 = no limit), not NaN"),
            (b'{"value": {"maxTotalGB": 5e9}}', "maxTotalGB must be at most 1000000 (1 PB); use 0 for no limit"),
            (b'{"value": {"maxAgeDays": 1.5}}', "maxAgeDays must be a whole number of days, not 1.5"),
            (b'{"value": {"days": 3}}',
             "unknown recordings retention setting 'days' (the settings are maxAgeDays and maxTotalGB)"),
            (b'{"value": 30}', 'recordings retention must be an object like {"maxAgeDays": 30, "maxTotalGB": 50}'),
            (b'{"maxAgeDays": 30}', "unable to parse new value"),
        ):
            answer = await client.post(url, auth=ADMIN, content=body)
            assert (answer.status_code, answer.json()) == (400, {"success": False, "message": message}), body
        assert (await client.post(url, json={"value": {"maxAgeDays": 30}})).status_code == 401
        assert (await client.get("/api/admin/serverconfig", auth=ADMIN)).json() == config  # nothing changed

        answer = await client.post(url, auth=ADMIN, json={"value": {"maxAgeDays": 30, "maxTotalGB": 5}})
        assert answer.json() == {"success": True, "message": "recordings retention updated"}
        config = (await client.get("/api/admin/serverconfig", auth=ADMIN)).json()
        assert config["recordingsRetention"] == {"maxAgeDays": 30, "maxTotalGB": 5}
        assert sorted(await listing(client)) == ["r01", "r10", "r20", "r45"]  # applied at the next pass

        with caplog.at_level(logging.INFO, logger="owncast.recordings"):
            await timer[0].advance(HOUR)
            await service.wait_idle()
        assert sorted(await listing(client)) == ["r01", "r10"]  # 45 days old; then 6 GB > 5 GB: r20
        assert not folders["r45"].exists() and not folders["r20"].exists() and folders["r10"].exists()
        lines = [r.getMessage() for r in caplog.records if "deleted:" in r.getMessage()]
        assert lines == [f'recording "Launch \u2603" ({seeded["r45"][1]}, 1.0 GB) deleted: older than 30 days',
                         f"recording r20 ({seeded['r20'][1]}, 2.0 GB) deleted: total over 5 GB"]

    # the setting is in the database: after a restart the pass at start applies it
    await seed(data, "r40", days_ago=40, gb=0.5)
    async with running_server(data, configure=manual_hourly(timer)) as running:
        await running.container.recordings().wait_idle()
        config = (await running.client.get("/api/admin/serverconfig", auth=ADMIN)).json()
        assert config["recordingsRetention"] == {"maxAgeDays": 30, "maxTotalGB": 5}
        assert sorted(await listing(running.client)) == ["r01", "r10"]
        # 0 turns a limit off again
        answer = await running.client.post("/api/admin/config/recordings/retention", auth=ADMIN,
                                           json={"value": {"maxAgeDays": 0, "maxTotalGB": 0}})
        assert answer.status_code == 200
        await seed(data, "r99", days_ago=99, gb=99)
        await timer[1].advance(HOUR)
        await running.container.recordings().wait_idle()
        assert sorted(await listing(running.client)) == ["r01", "r10", "r99"]


async def test_with_s3_storage_recordings_are_uploaded_served_by_redirect_and_deleted(
    tmp_path: Path, own_moto_s3: MotoS3, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    bucket = own_moto_s3.new_bucket()
    own_moto_s3.stop()  # the bucket is unreachable at first
    data = tmp_path / "data"
    store = LocalRecordingStore(root=data / "recordings")
    rid = "20260203-201500-crash"
    await store.create(Recording(id=rid, title="S3 show", started_at=datetime(2026, 2, 3, 20, 15, tzinfo=UTC)))
    for path in make_ts_segments(tmp_path / "segments", seconds=4):
        await store.append(rid, await store.read_segment(path))
    timer: list[ManualScheduler] = []
    async with running_server(data, configure=manual_hourly(timer)) as running:
        client, service = running.client, running.container.recordings()
        await service.wait_idle()  # the interrupted recording is finished at start, on local storage
        mp4 = data / "recordings" / rid / "recording.mp4"
        original = mp4.read_bytes()
        s3 = {"enabled": True, "endpoint": own_moto_s3.endpoint, "accessKey": "test", "secret": "test",
              "bucket": bucket, "region": "us-east-1", "forcePathStyle": True, "pathPrefix": "live"}
        assert (await client.post("/api/admin/config/s3", auth=ADMIN, json={"value": s3})).status_code == 200

        with caplog.at_level(logging.WARNING, logger="owncast.recordings"):
            await timer[0].advance(HOUR)
            await service.wait_idle()
        assert f"could not upload the recording {rid} to S3 bucket '{bucket}'" in caplog.text
        assert mp4.read_bytes() == original and "archiveKey" not in (await listing(client))[rid]
        local = await client.get(f"/api/admin/recordings/{rid}/download", auth=ADMIN)
        assert local.status_code == 200 and local.content == original

        own_moto_s3.start()  # back on the same port
        with caplog.at_level(logging.INFO, logger="owncast.recordings"):
            await timer[0].advance(HOUR)
            await service.wait_idle()
        key = f"live/recordings/{rid}.mp4"
        assert own_moto_s3.keys(bucket) == [key] and not mp4.exists()
        assert f"recording uploaded to S3 bucket '{bucket}' at {own_moto_s3.endpoint} as {key}" in caplog.text
        entry = (await listing(client))[rid]
        assert (entry["archiveKey"], entry["sizeBytes"], entry["status"]) == (key, len(original), "ready")
        assert entry["archiveLocation"] == bucket

        # pointed at another bucket, or S3 off: 409 naming the bucket; nothing dropped or stranded
        other = own_moto_s3.new_bucket()
        for change in ({**s3, "bucket": other}, {**s3, "enabled": False}):
            assert (await client.post("/api/admin/config/s3", auth=ADMIN, json={"value": change})).status_code == 200
            for refused in (await client.get(f"/api/admin/recordings/{rid}/download", auth=ADMIN),
                            await client.post("/api/admin/recordings/delete", auth=ADMIN, json={"id": rid})):
                assert refused.status_code == 409, refused.text
                assert f"recording {rid} is in the S3 bucket '{bucket}', but S3 storage" in refused.json()["error"]
            assert own_moto_s3.keys(bucket) == [key] and rid in await listing(client)
        assert (await client.post("/api/admin/config/s3", auth=ADMIN, json={"value": s3})).status_code == 200

        redirect = await client.get(f"/api/admin/recordings/{rid}/download", auth=ADMIN)
        assert redirect.status_code == 302 and redirect.headers["cache-control"] == "no-store"
        location = redirect.headers["location"]
        assert location.startswith(f"{own_moto_s3.endpoint}/{bucket}/{key}?") and "X-Amz-Expires=300" in location
        async with httpx.AsyncClient(timeout=10) as anonymous:  # what the browser does with the redirect
            fetched = await anonymous.get(location)
            assert fetched.status_code == 200 and fetched.content == original
            assert fetched.headers["content-disposition"] == 'attachment; filename="S3-show-2026-02-03-2015.mp4"'
            assert (await anonymous.get(f"{own_moto_s3.endpoint}/{bucket}/{key}")).status_code == 403

        deleted = await client.post("/api/admin/recordings/delete", auth=ADMIN, json={"id": rid})
        assert deleted.status_code == 200
        assert own_moto_s3.keys(bucket) == [] and await listing(client) == {}
        assert not (data / "recordings" / rid).exists()
