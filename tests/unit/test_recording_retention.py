"""Recordings retention and archive on fakes: the pure policy (ages, sizes, ties, protected
recordings), the settings' validation, and RecordingService's maintenance pass (after each
recording, at start, hourly), uploads to a remote archive, downloads and deletes of uploaded ones."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.recordings import (
    GB,
    Expiry,
    Recording,
    RecordingStatus,
    RetentionPolicy,
    archive_key_for,
    check_archive_key,
    expired_recordings,
)
from owncast_core.errors import ArchiveUnavailable, NotFoundError, StorageError, ValidationError
from owncast_core.ports.video import SegmentInfo
from owncast_core.services.config import ConfigService
from owncast_core.services.recordings import RecordingService
from owncast_core.testing.fakes import (
    FakeClock,
    InMemoryConfigRepository,
    InMemoryRecordingArchive,
    InMemoryRecordingStore,
    ManualScheduler,
    PlainPasswordHasher,
    SequentialIds,
)

LOGGER = "owncast.recordings"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = 3600.0
READY, FAILED = RecordingStatus.READY, RecordingStatus.FAILED


def rec(rid: str, *, days_ago: float = 0.0, gb: float = 1.0, status: RecordingStatus = READY,
        title: str = "", at: datetime = NOW) -> Recording:
    return Recording(id=rid, title=title, started_at=at - timedelta(days=days_ago), status=status,
                     size_bytes=round(gb * GB))


def gone(expiries: list[Expiry]) -> list[tuple[str, str]]:
    return [(e.recording.id, e.reason) for e in expiries]


# --- the pure policy ------------------------------------------------------------------------------


def test_no_limits_delete_nothing() -> None:
    old = [rec("a", days_ago=4000, gb=900), rec("b", days_ago=1, gb=900)]
    assert expired_recordings(old, RetentionPolicy(), now=NOW) == []
    assert not RetentionPolicy().limited and RetentionPolicy(max_age_days=1).limited


def test_age_limit_is_strict_and_counts_from_the_start() -> None:
    recordings = [rec("older", days_ago=30, gb=1), rec("exactly", days_ago=30, gb=1, at=NOW + timedelta(seconds=1)),
                  rec("newer", days_ago=29.9)]
    recordings[0] = replace(recordings[0], started_at=NOW - timedelta(days=30, seconds=1))
    recordings[1] = replace(recordings[1], started_at=NOW - timedelta(days=30))
    assert gone(expired_recordings(recordings, RetentionPolicy(max_age_days=30), now=NOW)) == [
        ("older", "older than 30 days")]
    assert gone(expired_recordings(recordings, RetentionPolicy(max_age_days=1), now=NOW)) == [
        ("older", "older than 1 day"), ("exactly", "older than 1 day"), ("newer", "older than 1 day")]


def test_size_limit_deletes_the_oldest_until_the_total_fits() -> None:
    recordings = [rec("c", days_ago=1, gb=4), rec("a", days_ago=3, gb=3), rec("b", days_ago=2, gb=2)]
    policy = RetentionPolicy(max_total_gb=5)
    assert gone(expired_recordings(recordings, policy, now=NOW)) == [
        ("a", "total over 5 GB"), ("b", "total over 5 GB")]  # 9 -> 6 -> 4 GB
    assert expired_recordings(recordings, RetentionPolicy(max_total_gb=9), now=NOW) == []  # exactly at the limit
    just_over = [replace(r, size_bytes=r.size_bytes + (1 if r.id == "c" else 0)) for r in recordings]
    assert gone(expired_recordings(just_over, RetentionPolicy(max_total_gb=9), now=NOW)) == [("a", "total over 9 GB")]
    # the newest ready recording alone over the limit: the others go, it stays (a broadcast just
    # recorded never vanishes for its size); only the age limit can take it
    assert gone(expired_recordings(recordings, RetentionPolicy(max_total_gb=0.5), now=NOW)) == [
        ("a", "total over 0.5 GB"), ("b", "total over 0.5 GB")]
    only = [rec("only", days_ago=2, gb=4)]
    assert expired_recordings(only, RetentionPolicy(max_total_gb=0.5), now=NOW) == []
    assert gone(expired_recordings(only, RetentionPolicy(max_age_days=1, max_total_gb=0.5), now=NOW)) == [
        ("only", "older than 1 day")]


def test_both_limits_age_first_then_size_on_what_is_left() -> None:
    recordings = [rec("ancient", days_ago=40, gb=10), rec("old", days_ago=20, gb=3), rec("mid", days_ago=10, gb=3),
                  rec("new", days_ago=1, gb=3)]
    policy = RetentionPolicy(max_age_days=30, max_total_gb=6)
    assert gone(expired_recordings(recordings, policy, now=NOW)) == [
        ("ancient", "older than 30 days"), ("old", "total over 6 GB")]


def test_ties_are_broken_by_id_whatever_the_listing_order() -> None:
    same = [rec(rid, days_ago=5, gb=1) for rid in ("t-b", "t-c", "t-a", "t-d")]
    policy = RetentionPolicy(max_total_gb=2)
    for seed in range(5):
        shuffled = same[:]
        random.Random(seed).shuffle(shuffled)
        assert gone(expired_recordings(shuffled, policy, now=NOW)) == [
            ("t-a", "total over 2 GB"), ("t-b", "total over 2 GB")]


def test_recordings_in_progress_or_protected_are_never_deleted_but_count() -> None:
    recordings = [rec("live", days_ago=60, gb=5, status=RecordingStatus.RECORDING),
                  rec("saving", days_ago=50, gb=5, status=RecordingStatus.PROCESSING),
                  rec("uploading", days_ago=45, gb=5),
                  rec("old-ready", days_ago=40, gb=1), rec("recent", days_ago=2, gb=1)]
    policy = RetentionPolicy(max_age_days=30, max_total_gb=12)
    # 17 GB in all; the first three cannot go; the age limit takes old-ready (16 GB left, still
    # over 12); recent, the newest ready recording, stays although the total is still over
    assert gone(expired_recordings(recordings, policy, now=NOW, protected={"uploading"})) == [
        ("old-ready", "older than 30 days")]
    older_recent = [*recordings, rec("newest", days_ago=1, gb=1)]
    assert gone(expired_recordings(older_recent, policy, now=NOW, protected={"uploading"})) == [
        ("old-ready", "older than 30 days"), ("recent", "total over 12 GB")]
    only_busy = [r for r in recordings if r.id in ("live", "saving", "uploading")]
    assert expired_recordings(only_busy, policy, now=NOW, protected={"uploading"}) == []


def test_failed_recordings_go_by_age_and_empty_ones_never_for_size() -> None:
    recordings = [rec("failed-empty", days_ago=9, gb=0, status=FAILED), rec("failed", days_ago=8, gb=1, status=FAILED),
                  rec("ok", days_ago=1, gb=2)]
    assert gone(expired_recordings(recordings, RetentionPolicy(max_total_gb=2), now=NOW)) == [
        ("failed", "total over 2 GB")]
    assert gone(expired_recordings(recordings, RetentionPolicy(max_age_days=5), now=NOW)) == [
        ("failed-empty", "older than 5 days"), ("failed", "older than 5 days")]


def test_the_log_line_names_the_recording_its_date_and_size() -> None:
    titled = rec("20260101-120000-x", title='Friday "show"\n2', gb=1.234)
    assert Expiry(titled, "older than 30 days").describe() == (
        'recording "Friday "show" 2" (2026-03-01 12:00 UTC, 1.2 GB) deleted: older than 30 days')
    untitled = replace(titled, title=" \t", size_bytes=180_000_000)
    assert Expiry(untitled, "total over 50 GB").describe() == (
        "recording 20260101-120000-x (2026-03-01 12:00 UTC, 180 MB) deleted: total over 50 GB")


@pytest.mark.parametrize(("value", "message"), [
    (None, "recordings retention must be an object"),
    ([30, 50], "recordings retention must be an object"),
    ({"maxAgeDay": 30}, "unknown recordings retention setting 'maxAgeDay'"),
    ({"maxAgeDays": "30"}, 'maxAgeDays must be a number of days (0 = no limit), not "30"'),
    ({"maxAgeDays": True}, "maxAgeDays must be a number of days (0 = no limit), not true"),
    ({"maxAgeDays": None}, "maxAgeDays must be a number of days (0 = no limit), not null"),
    ({"maxAgeDays": -1}, "maxAgeDays must not be negative"),
    ({"maxAgeDays": 2.5}, "maxAgeDays must be a whole number of days, not 2.5"),
    ({"maxAgeDays": 36501}, "maxAgeDays must be at most 36500 (100 years)"),
    ({"maxAgeDays": 10**400}, "maxAgeDays must be at most 36500 (100 years)"),  # JSON allows it; no OverflowError
    ({"maxTotalGB": -(10**400)}, "maxTotalGB must not be negative"),
    ({"maxTotalGB": float("nan")}, "maxTotalGB must be a number of gigabytes"),
    ({"maxTotalGB": float("-inf")}, "maxTotalGB must be a number of gigabytes"),
    ({"maxTotalGB": -0.1}, "maxTotalGB must not be negative"),
    ({"maxTotalGB": 1e7}, "maxTotalGB must be at most 1000000 (1 PB)"),
    ({"maxTotalGB": 0.05}, "maxTotalGB must be at least 0.1 (100 MB), or 0 for no limit"),
    ({"maxTotalGB": {"x": 1}}, "maxTotalGB must be a number of gigabytes"),
])
def test_bad_settings_are_refused_with_a_clear_message(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RetentionPolicy.parse(value)
    assert str(caught.value).startswith(message), str(caught.value)


def test_good_settings_parse_and_store() -> None:
    assert RetentionPolicy.parse({}) == RetentionPolicy()
    assert RetentionPolicy.parse({"maxAgeDays": 30.0, "maxTotalGB": 50}).to_json() == {"maxAgeDays": 30,
                                                                                       "maxTotalGB": 50}
    policy = RetentionPolicy.parse({"maxAgeDays": 0, "maxTotalGB": 0.25})
    assert (policy.max_age_days, policy.max_total_bytes, policy.to_json()["maxTotalGB"]) == (0, 250_000_000, 0.25)
    assert RetentionPolicy.parse({"maxAgeDays": 36500, "maxTotalGB": 1_000_000}).limited


def test_archive_keys() -> None:
    assert archive_key_for("20260101-120000-a") == "recordings/20260101-120000-a.mp4"
    assert archive_key_for("r1", "/streams/main/") == "streams/main/recordings/r1.mp4"
    for bad in ("../x", "r\u00e9c", ""):
        with pytest.raises(ValidationError):
            archive_key_for(bad)
    for bad in ("x.mp4", "recordings/../x.mp4", "a/../recordings/r1.mp4", "recordings/r1.mp4\n", "/recordings/r1.mp4",
                "a//recordings/r1.mp4", 5):
        with pytest.raises(ValidationError):
            check_archive_key(bad)
    with pytest.raises(ValidationError):  # a damaged entry is refused as a whole
        Recording.from_json({**rec("r1").to_json(), "archiveKey": "../../etc/passwd"})
    uploaded = replace(rec("r1"), archive_key="recordings/r1.mp4")
    assert Recording.from_json(uploaded.to_json()) == uploaded
    assert "archiveKey" not in rec("r1").to_json()


# --- the service ----------------------------------------------------------------------------------


class Rig:
    def __init__(self, *, archive: bool = False) -> None:
        self.clock = FakeClock(NOW)
        self.scheduler = ManualScheduler(self.clock)
        self.store = InMemoryRecordingStore(seconds_per_append=4.0)
        self.archive = InMemoryRecordingArchive(read=lambda path: self.store.media[path.split("/")[2]])
        self.config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
        self.service = RecordingService(store=self.store, config=self.config, clock=self.clock, ids=SequentialIds(),
                                        scheduler=self.scheduler, archive=(lambda: self.archive) if archive else None)
        self.count = 0

    async def retention(self, days: int = 0, gb: float = 0) -> None:
        await self.config.set(Keys.RECORDINGS_RETENTION, {"maxAgeDays": days, "maxTotalGB": gb})

    async def seed(self, rid: str, *, days_ago: float, size: int = 1000, status: RecordingStatus = READY,
                   title: str = "") -> None:
        """A recording already on the store (media of ``size`` bytes when ready)."""
        started = self.clock.now() - timedelta(days=days_ago)
        await self.store.create(Recording(id=rid, title=title, started_at=started))
        await self.store.save(Recording(id=rid, title=title, started_at=started, status=status, size_bytes=size))
        if status is READY:
            self.store.media[rid] = b"m" * min(size, 10_000)  # the metadata size is what counts

    async def broadcast(self, segments: int = 2) -> str:
        await self.config.set(Keys.RECORDINGS_ENABLED, True)
        assert await self.service.broadcast_started(self.clock.now(), 0)
        (recording,) = [r for r in await self.store.list() if r.status is RecordingStatus.RECORDING]
        for _ in range(segments):
            path = f"/hls/0/stream-{self.count}.ts"
            self.store.files[path] = b"s" * 500
            self.count += 1
            await self.service.segment_written(SegmentInfo(variant=0, path=path, duration=4.0))
        await self.service.broadcast_ended(self.clock.now())
        await self.service.wait_idle()
        return recording.id

    async def ids(self) -> list[str]:
        return sorted(r.id for r in await self.store.list())


@pytest.fixture
async def rig() -> Rig:
    r = Rig()
    await r.config.load()
    return r


@pytest.fixture
async def arig() -> Rig:
    r = Rig(archive=True)
    await r.config.load()
    return r


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


async def test_a_finished_recording_triggers_retention(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.seed("old", days_ago=31, size=2_500_000_000, title="Old show")
    await rig.seed("young", days_ago=3)
    await rig.retention(days=30)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        new = await rig.broadcast()
    assert await rig.ids() == sorted([new, "young"])
    assert 'recording "Old show" (2026-01-29 12:00 UTC, 2.5 GB) deleted: older than 30 days' in messages(caplog)


async def test_default_settings_keep_everything(rig: Rig) -> None:
    await rig.seed("ancient", days_ago=4000, size=10**12)
    rig.service.start()
    await rig.service.wait_idle()
    await rig.broadcast()
    await rig.scheduler.advance(2 * HOUR)
    await rig.service.wait_idle()
    assert "ancient" in await rig.ids()


async def test_start_applies_retention_after_finishing_interrupted_recordings(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    await rig.seed("big-old", days_ago=5, size=3 * GB)
    await rig.seed("crashed", days_ago=4, status=RecordingStatus.RECORDING)
    await rig.store.append("crashed", b"x" * 200)
    await rig.retention(gb=1)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        rig.service.start()
        await rig.service.wait_idle()
    assert await rig.ids() == ["crashed"]
    assert (await rig.service.get("crashed")).status is READY
    assert "recording big-old (2026-02-24 12:00 UTC, 3.0 GB) deleted: total over 1 GB" in messages(caplog)
    await rig.service.close()


async def test_the_hourly_pass_deletes_what_aged_meanwhile(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.seed("r1", days_ago=0.9)  # 1 day old in 2.4 hours
    await rig.retention(days=1)
    rig.service.start()
    await rig.service.wait_idle()
    assert rig.scheduler.pending == 1
    await rig.scheduler.advance(2 * HOUR)
    await rig.service.wait_idle()
    assert await rig.ids() == ["r1"]
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await rig.scheduler.advance(HOUR)
        await rig.service.wait_idle()
    assert await rig.ids() == []
    assert [m for m in messages(caplog) if "deleted" in m] == [
        "recording r1 (2026-02-28 14:24 UTC, 1 KB) deleted: older than 1 day"]
    assert rig.scheduler.pending == 1  # still hourly
    await rig.service.close()
    assert rig.scheduler.pending == 0
    await rig.scheduler.advance(5 * HOUR)
    assert rig.scheduler.pending == 0


async def test_a_recording_being_made_or_saved_is_never_deleted(rig: Rig) -> None:
    await rig.seed("older", days_ago=2, size=5000)
    await rig.retention(days=1, gb=0.1)
    await rig.config.set(Keys.RECORDINGS_ENABLED, True)
    assert await rig.service.broadcast_started(rig.clock.now() - timedelta(days=3), 0)
    (live,) = [r.id for r in await rig.store.list() if r.status is RecordingStatus.RECORDING]
    await rig.store.save(replace(await rig.store.get(live), size_bytes=10 * GB))  # over both limits
    await rig.service.maintain()
    assert await rig.ids() == [live]

    gate = asyncio.Event()
    finalize = rig.store.finalize

    async def slow_finalize(recording_id: str):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await finalize(recording_id)

    rig.store.finalize = slow_finalize  # type: ignore[method-assign]
    rig.store.files["/s.ts"] = b"s"
    await rig.service.segment_written(SegmentInfo(variant=0, path="/s.ts", duration=4.0))
    await rig.service.broadcast_ended(rig.clock.now())
    for _ in range(5):
        await asyncio.sleep(0)
    assert (await rig.store.get(live)).status is RecordingStatus.PROCESSING
    await rig.service.maintain()
    assert await rig.ids() == [live]
    with pytest.raises(ValidationError):
        await rig.service.delete(live)
    gate.set()
    await rig.service.wait_idle()  # ready now: the pass after it applies both limits
    assert await rig.ids() == []


async def test_a_failed_deletion_is_logged_and_tried_again(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.seed("a", days_ago=10)
    await rig.seed("b", days_ago=9)
    await rig.retention(days=5)
    delete = rig.store.delete

    async def broken(recording_id: str) -> None:
        if recording_id == "a":
            raise StorageError("permission denied")
        await delete(recording_id)

    rig.store.delete = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await rig.service.maintain()
    assert await rig.ids() == ["a"]
    assert ("could not delete the recording a (older than 5 days): permission denied; trying again within the hour"
            in messages(caplog))
    rig.store.delete = delete  # type: ignore[method-assign]
    await rig.service.maintain()
    assert await rig.ids() == []


async def test_a_damaged_setting_keeps_everything(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.seed("a", days_ago=100)
    await rig.config.set(Keys.RECORDINGS_RETENTION, {"maxAgeDays": "thirty"})
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await rig.service.maintain()
    assert await rig.ids() == ["a"]
    assert "ignoring the damaged recordings retention setting" in caplog.text


# --- the archive ----------------------------------------------------------------------------------


async def test_a_finished_recording_is_uploaded_and_the_local_copy_removed(
    arig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        rid = await arig.broadcast(segments=3)
    key = f"recordings/{rid}.mp4"
    assert arig.archive.objects == {key: b"s" * 1500}
    entry = await arig.service.get(rid)
    assert (entry.status, entry.archive_key, entry.size_bytes) == (READY, key, 1500)
    assert rid not in arig.store.media
    assert f"recording uploaded to the in-memory archive as {key} (1 KB); the local copy was removed" \
        in messages(caplog)
    found = await arig.service.download(rid)
    assert found.path is None and found.url is not None
    assert "expires=300" in found.url and "filename=recording-2026-03-01-1200.mp4" in found.url
    assert arig.archive.fetch(found.url) == b"s" * 1500


async def test_a_failed_upload_keeps_the_local_file_and_is_retried_hourly(
    arig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    arig.archive.upload_error = StorageError("bucket unreachable")
    arig.service.start()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        rid = await arig.broadcast()
    assert arig.archive.objects == {} and rid in arig.store.media
    assert (await arig.service.get(rid)).archive_key == ""
    assert (await arig.service.download(rid)).path is not None  # still downloadable from the disk
    assert (f"could not upload the recording {rid} to the in-memory archive: bucket unreachable; the local copy "
            "is kept and the upload will be tried again within the hour") in messages(caplog)
    await arig.scheduler.advance(HOUR)
    await arig.service.wait_idle()
    assert arig.archive.objects == {}
    arig.archive.upload_error = None
    await arig.scheduler.advance(HOUR)
    await arig.service.wait_idle()
    assert list(arig.archive.objects) == [f"recordings/{rid}.mp4"]
    assert rid not in arig.store.media and arig.archive.uploads == {rid: 1}
    await arig.service.close()


async def test_uploaded_recordings_are_deleted_from_the_archive_too(arig: Rig) -> None:
    first = await arig.broadcast()
    arig.clock.advance(86400 * 3)
    second = await arig.broadcast()
    assert len(arig.archive.objects) == 2
    arig.archive.delete_error = StorageError("access denied")
    with pytest.raises(StorageError):
        await arig.service.delete(second)
    assert await arig.ids() == sorted([first, second])  # the entry stays: nothing is left unlisted
    arig.archive.delete_error = None
    await arig.service.delete(second)
    assert list(arig.archive.objects) == [f"recordings/{first}.mp4"]
    await arig.retention(days=2)
    await arig.service.maintain()
    assert arig.archive.objects == {} and await arig.ids() == []


class SwitchedOff:
    """The archive the container gives once S3 storage is turned off (not remote)."""

    remote = False
    location = ""

    def describe(self) -> str:
        return "this server's disk"

    async def upload(self, recording_id: str, path: str) -> str:
        return ""

    async def download_url(self, key: str, *, filename: str, expires_seconds: int) -> str:
        raise AssertionError("never asked for a recording it does not hold")

    async def delete(self, key: str) -> None:
        raise AssertionError("never asked for a recording it does not hold")


async def test_an_uploaded_recording_is_only_looked_for_in_its_own_bucket(
    arig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rid = await arig.broadcast()
    key = f"recordings/{rid}.mp4"
    assert (await arig.service.get(rid)).archive_location == "memory"
    uploaded_to = arig.archive
    arig.archive = InMemoryRecordingArchive(location="another-bucket")
    with pytest.raises(ArchiveUnavailable, match="is in the S3 bucket 'memory', but S3 storage now uses the bucket "
                                                 "'another-bucket': point it back to download or delete it"):
        await arig.service.download(rid)
    with pytest.raises(ArchiveUnavailable):
        await arig.service.delete(rid)
    off: Any = SwitchedOff()
    arig.archive = off
    with pytest.raises(ArchiveUnavailable, match="but S3 storage is turned off: turn it on again"):
        await arig.service.delete(rid)
    await arig.retention(days=1)
    arig.clock.advance(86400 * 2)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await arig.service.maintain()
    assert f"retention keeps the recording {rid} (older than 1 day) for now: recording {rid} is in the S3 bucket " \
        "'memory', but S3 storage is turned off" in " ".join(messages(caplog))
    assert await arig.ids() == [rid] and list(uploaded_to.objects) == [key]  # nothing dropped, nothing stranded
    arig.archive = uploaded_to
    await arig.service.maintain()
    assert await arig.ids() == [] and uploaded_to.objects == {}


async def test_a_local_copy_left_by_an_interruption_is_removed(arig: Rig) -> None:
    await arig.seed("halfway", days_ago=1, size=10)
    arig.archive.objects["recordings/halfway.mp4"] = b"m" * 10
    await arig.store.save(replace(await arig.store.get("halfway"), archive_key="recordings/halfway.mp4"))
    await arig.service.maintain()
    assert "halfway" not in arig.store.media and arig.archive.uploads == {}
    assert (await arig.service.get("halfway")).archive_key == "recordings/halfway.mp4"


async def test_a_local_copy_that_cannot_be_removed_is_removed_at_the_next_pass(
    arig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    await arig.seed("r1", days_ago=1, size=10)
    drop = arig.store.drop_media

    async def broken(recording_id: str) -> None:
        raise StorageError("read-only file system")

    arig.store.drop_media = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        await arig.service.maintain()
    assert (await arig.service.get("r1")).archive_key == "recordings/r1.mp4" and "r1" in arig.store.media
    assert ("recording uploaded to the in-memory archive as recordings/r1.mp4, but its local copy could not be "
            "removed: read-only file system; trying again within the hour") in messages(caplog)
    arig.store.drop_media = drop  # type: ignore[method-assign]
    await arig.service.maintain()
    assert "r1" not in arig.store.media and arig.archive.uploads == {"r1": 1}


async def test_an_upload_in_progress_cannot_be_deleted(arig: Rig) -> None:
    await arig.seed("r1", days_ago=1)
    gate, started = asyncio.Event(), asyncio.Event()
    upload = arig.archive.upload

    async def slow(recording_id: str, path: str) -> str:
        started.set()
        await gate.wait()
        return await upload(recording_id, path)

    arig.archive.upload = slow  # type: ignore[method-assign]
    task = asyncio.create_task(arig.service.maintain())
    await started.wait()
    with pytest.raises(ValidationError, match="uploaded"):  # what the admin is told: why not now
        await arig.service.delete("r1")
    gate.set()
    await task
    await arig.service.delete("r1")
    assert arig.archive.objects == {} and await arig.ids() == []


async def test_an_unusable_archive_keeps_recordings_local(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    await rig.config.load()

    def broken() -> InMemoryRecordingArchive:
        raise StorageError("S3 storage needs an endpoint and a bucket")

    rig.service = RecordingService(store=rig.store, config=rig.config, clock=rig.clock, ids=SequentialIds(),
                                   archive=broken)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        rid = await rig.broadcast()
    assert (await rig.service.download(rid)).path is not None
    assert "recordings stay on this server's disk: the archive is unusable (S3 storage needs an endpoint" in caplog.text
    await rig.store.save(replace(await rig.store.get(rid), archive_key=f"recordings/{rid}.mp4"))
    with pytest.raises(StorageError):
        await rig.service.download(rid)
    with pytest.raises(NotFoundError):
        await rig.service.download("nope")
