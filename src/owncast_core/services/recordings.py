"""RecordingService: records broadcasts while the admin setting ``recordings/enabled`` is on.

It is the ``Recorder`` the stream service calls (see ``ports/recordings.py``) and what the admin
routes use to list, download and delete recordings. The rules:

- Off by default (``Keys.RECORDINGS_ENABLED``), so disk use matches Owncast's. The setting is
  read when a broadcast starts.
- A broadcast is recorded only while the data directory has at least ``min_free_bytes`` free
  (1 GiB); below that recording stops with a warning, and the live stream goes on.
- The live path never waits on the disk: ``segment_written`` only reads the segment's bytes
  (the storage may delete the file next) and queues them; one writer task appends them. A
  failure (disk full, I/O error, a writer too far behind) stops the recording with one warning
  ("recording stopped: disk full ..."); what was written so far is still finished.
- When the broadcast ends the recording turns ``processing`` and is finished in the background
  (``RecordingStore.finalize``: remux to MP4), then ``ready`` (or ``failed``). A broadcast
  that produced no segment leaves no recording behind.
- ``start`` finishes recordings a crash or restart interrupted (``recording``/``processing``
  entries): remuxed if possible, else ``failed``; nothing is silently lost.
- Retention (``Keys.RECORDINGS_RETENTION``: ``maxAgeDays``, ``maxTotalGB``, 0 = no limit, the
  default) runs in ``maintain``: after each recording is finished, at ``start`` and every hour
  (``Scheduler``). The oldest finished recordings are deleted until both limits hold
  (``domain.recordings.expired_recordings``); one being written, finished or uploaded never
  is. Each deletion is one log line ("recording "Friday show" (2026-01-01 12:00 UTC, 1.2 GB)
  deleted: older than 30 days").
- With a remote ``RecordingArchive`` (S3 video storage), ``maintain`` then uploads every ready
  recording not uploaded yet, records the key in its entry and only then removes the local MP4.
  A failed upload keeps the local file, is logged and is tried again at the next pass (the
  hourly one, or the next start). Downloads of uploaded recordings are short-lived archive URLs;
  deleting a recording (by the admin or retention) deletes the archived object first.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from owncast_core.domain.config import Keys
from owncast_core.domain.recordings import (
    DOWNLOAD_URL_SECONDS,
    MIN_FREE_BYTES,
    Expiry,
    Recording,
    RecordingDownload,
    RecordingStatus,
    RetentionPolicy,
    check_recording_id,
    describe_duration,
    describe_size,
    download_name,
    expired_recordings,
    new_recording_id,
)
from owncast_core.errors import ArchiveUnavailable, DiskFullError, NotFoundError, ValidationError
from owncast_core.ports.clock import Clock, IdGenerator
from owncast_core.ports.recordings import RecordingArchive, RecordingStore
from owncast_core.ports.timers import Scheduler, TimerHandle
from owncast_core.ports.video import SegmentInfo
from owncast_core.services.config import ConfigService

_MIB = 1024 * 1024
MAX_QUEUED_SEGMENTS = 64
"""Segments waiting for the writer; one more and the disk is too slow: recording stops."""
MAINTENANCE_SECONDS = 3600.0
"""How often retention and pending uploads run besides after each recording and at start."""


@dataclass(slots=True)
class _Active:
    recording: Recording
    variant: int
    queue: asyncio.Queue[bytes | None]
    writer: asyncio.Task[None] | None = None
    stopped: bool = False
    segments: int = 0
    written: int = 0
    durations: list[float] = field(default_factory=list)


class RecordingService:
    """Records broadcasts (see the module docstring) and manages the recordings kept."""

    def __init__(
        self,
        *,
        store: RecordingStore,
        config: ConfigService,
        clock: Clock,
        ids: IdGenerator,
        scheduler: Scheduler | None = None,
        archive: Callable[[], RecordingArchive] | None = None,
        maintenance_interval: float = MAINTENANCE_SECONDS,
        min_free_bytes: int = MIN_FREE_BYTES,
        max_queued_segments: int = MAX_QUEUED_SEGMENTS,
        logger: logging.Logger | None = None,
    ) -> None:
        """``scheduler`` runs the hourly maintenance pass (none: only after recordings and at
        start); ``archive`` gives the ``RecordingArchive`` of the current video storage (none:
        recordings stay local)."""
        self._store = store
        self._config = config
        self._clock = clock
        self._ids = ids
        self._scheduler = scheduler
        self._archive = archive
        self._interval = maintenance_interval
        self._min_free = min_free_bytes
        self._max_queued = max_queued_segments
        self._log = logger or logging.getLogger("owncast.recordings")
        self._active: _Active | None = None
        self._busy: set[str] = set()  # ids being written, finished or uploaded: not deletable
        self._tasks: set[asyncio.Task[None]] = set()
        self._maintenance = asyncio.Lock()
        self._timer: TimerHandle | None = None
        self._closed = False

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """In the background: finish recordings a crash or restart interrupted, then one
        ``maintain`` pass; then a pass every ``maintenance_interval`` seconds until ``close``."""
        self._closed = False
        self._spawn(self._startup(), "recordings-start")
        self._arm()

    async def close(self, timeout: float = 60.0) -> None:
        """Stop the hourly pass and wait (at most ``timeout`` seconds) for recordings being
        finished or uploaded; one left unfinished stays ``processing`` and is finished at the
        next ``start``, an upload cut short is tried again then."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending = [task for task in self._tasks if not task.done()]
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=timeout)
        for task in still:
            task.cancel()
        if still:
            self._log.warning("a recording is still being saved; it will be finished at the next start")
            await asyncio.gather(*still, return_exceptions=True)

    async def wait_idle(self) -> None:
        """Return once no recording is being written or finished (tests, shutdown)."""
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    @property
    def recording(self) -> bool:
        """True while the current broadcast is being recorded."""
        return self._active is not None and not self._active.stopped

    # Recorder ----------------------------------------------------------------------------------
    async def broadcast_started(self, started_at: datetime, variant: int) -> bool:
        if self._active is not None:  # the previous broadcast never ended: finish it first
            await self.broadcast_ended(self._clock.now())
        try:
            if not self._config.flag(Keys.RECORDINGS_ENABLED):
                return False
            free = await self._store.free_bytes()
            if free < self._min_free:
                self._log.warning(
                    "not recording this broadcast: only %d MiB free in the data directory (recording needs %d MiB)",
                    free // _MIB, self._min_free // _MIB,
                )
                return False
            recording = Recording(
                id=new_recording_id(started_at, self._ids.new_id()),
                title=self._config.string(Keys.STREAM_TITLE),
                started_at=started_at,
            )
            await self._store.create(recording)
        except Exception as exc:  # recording is a side effect: the broadcast goes on without it
            self._log.error("could not start recording this broadcast: %s", exc)
            return False
        active = _Active(recording=recording, variant=variant, queue=asyncio.Queue())
        active.writer = asyncio.create_task(self._write(active), name=f"recording-{recording.id}")
        self._active = active
        self._busy.add(recording.id)
        self._log.info("recording this broadcast to %s", self._store.location(recording.id))
        return True

    async def segment_written(self, segment: SegmentInfo) -> None:
        active = self._active
        if active is None or active.stopped or segment.variant != active.variant:
            return
        try:
            data = await self._store.read_segment(segment.path)
        except Exception as exc:
            self._stop(active, f"could not read the segment {segment.path} ({exc})")
            return
        if active.stopped or self._active is not active:  # stopped or ended while reading
            return
        if active.queue.qsize() >= self._max_queued:
            self._stop(active, f"the disk is too slow: {active.queue.qsize()} segments waiting to be written")
            return
        active.segments += 1
        active.durations.append(segment.duration)
        active.queue.put_nowait(data)

    async def broadcast_ended(self, ended_at: datetime) -> None:
        active = self._active
        if active is None:
            return
        self._active = None
        active.queue.put_nowait(None)
        self._spawn(self._finish(active, ended_at), f"recording-finish-{active.recording.id}")

    # admin -------------------------------------------------------------------------------------
    async def list(self) -> list[Recording]:
        """Every recording, newest first."""
        return await self._store.list()

    async def get(self, recording_id: object) -> Recording:
        """``ValidationError`` for a malformed id, ``NotFoundError`` for an unknown one."""
        return await self._store.get(check_recording_id(recording_id))

    async def download(self, recording_id: object) -> RecordingDownload:
        """Where to get the MP4: the local path, or for an uploaded recording a URL valid for
        ``DOWNLOAD_URL_SECONDS``. ``NotFoundError`` unless it is ready (or its archived object
        is gone); ``StorageError`` when the archive cannot be reached."""
        recording = await self.get(recording_id)
        if recording.status is not RecordingStatus.READY:
            raise NotFoundError(f"recording {recording.id} is {recording.status.value}, not ready")
        if recording.archive_key:
            url = await self._archive_of(recording).download_url(
                recording.archive_key, filename=download_name(recording), expires_seconds=DOWNLOAD_URL_SECONDS)
            return RecordingDownload(recording, url=url)
        return RecordingDownload(recording, path=await self._store.media_path(recording.id))

    async def delete(self, recording_id: object) -> Recording:
        """Delete a recording's files, archived object and entry. ``ValidationError`` for a
        malformed id or one still being recorded, saved or uploaded; ``NotFoundError`` for an
        unknown one; ``StorageError`` when a file or the archived object cannot be deleted
        (the entry is then kept, so nothing is left behind unlisted)."""
        recording = await self.get(recording_id)
        if recording.id in self._busy:
            raise ValidationError("this recording is still being recorded, saved or uploaded: try again when done")
        await self._remove(recording)
        self._log.info("recording deleted: %s", self._store.location(recording.id))
        return recording

    # retention and archive ---------------------------------------------------------------------
    def retention(self) -> RetentionPolicy:
        """The retention policy now (no limits when the stored value is damaged, with a warning)."""
        stored = self._config.get(Keys.RECORDINGS_RETENTION)
        try:
            return RetentionPolicy.parse(stored)
        except ValidationError as exc:
            self._log.warning("ignoring the damaged recordings retention setting %r: %s", stored, exc)
            return RetentionPolicy()

    async def maintain(self) -> None:
        """One pass (never two at once; never raises, failures are logged): retention, then,
        with a remote archive, uploads of ready recordings not uploaded yet and removal of
        local copies of uploaded ones."""
        async with self._maintenance:
            try:
                await self._enforce_retention()
            except Exception as exc:
                self._log.error("could not apply the recordings retention: %s", exc)
            try:
                await self._archive_pending()
            except Exception as exc:
                self._log.error("could not upload recordings: %s", exc)

    async def _enforce_retention(self) -> builtins.list[Expiry]:
        policy = self.retention()
        if not policy.limited:
            return []
        found = await self._store.list()
        deleted: builtins.list[Expiry] = []
        for expiry in expired_recordings(found, policy, now=self._clock.now(), protected=self._busy):
            recording = expiry.recording
            if recording.id in self._busy:  # started being uploaded or saved meanwhile
                continue
            try:
                await self._remove(recording)
            except NotFoundError:  # the admin deleted it meanwhile
                continue
            except ArchiveUnavailable as exc:
                self._log.warning("retention keeps the recording %s (%s) for now: %s", recording.id, expiry.reason, exc)
                continue
            except Exception as exc:
                self._log.error("could not delete the recording %s (%s): %s; trying again within the hour",
                                recording.id, expiry.reason, exc)
                continue
            self._log.info("%s", expiry.describe())
            deleted.append(expiry)
        return deleted

    async def _archive_pending(self) -> None:
        archive = self._remote_archive()
        if archive is None:
            return
        for recording in await self._store.list():
            if recording.status is not RecordingStatus.READY or recording.id in self._busy:
                continue
            if not recording.archive_key:
                await self._upload(archive, recording)
                continue
            try:  # uploaded, but an interruption kept the local copy
                await self._store.media_path(recording.id)
            except NotFoundError:
                continue
            await self._store.drop_media(recording.id)

    async def _upload(self, archive: RecordingArchive, recording: Recording) -> None:
        """Upload, record the key, then (only then) remove the local MP4. The recording is busy
        meanwhile, so neither the admin nor retention deletes it under the upload."""
        self._busy.add(recording.id)
        try:
            try:
                path = await self._store.media_path(recording.id)
                key = await archive.upload(recording.id, path)
                current = await self._store.get(recording.id)
                await self._store.save(replace(current, archive_key=key, archive_location=archive.location))
            except Exception as exc:
                self._log.warning("could not upload the recording %s to %s: %s; the local copy is kept and the "
                                  "upload will be tried again within the hour", recording.id, archive.describe(), exc)
                return
            try:
                await self._store.drop_media(recording.id)
            except Exception as exc:
                self._log.warning("recording uploaded to %s as %s, but its local copy could not be removed: %s; "
                                  "trying again within the hour", archive.describe(), key, exc)
                return
        finally:
            self._busy.discard(recording.id)
        self._log.info("recording uploaded to %s as %s (%s); the local copy was removed",
                       archive.describe(), key, describe_size(recording.size_bytes))

    def _remote_archive(self) -> RecordingArchive | None:
        if self._archive is None:
            return None
        try:
            archive = self._archive()
        except Exception as exc:  # S3 storage turned on with incomplete settings
            self._log.warning("recordings stay on this server's disk: the archive is unusable (%s)", exc)
            return None
        return archive if archive.remote else None

    def _archive_of(self, recording: Recording) -> RecordingArchive:
        """The archive holding an uploaded recording. ``ArchiveUnavailable`` when the current
        settings do not reach it: S3 storage off (or unusable), or pointed at another bucket than
        the one it was uploaded to (looking there would miss it, and deleting would drop the
        entry while the object stays in the old bucket)."""
        where = f"the S3 bucket {recording.archive_location!r}" if recording.archive_location else "the S3 bucket"
        archive = None
        if self._archive is not None:
            try:
                archive = self._archive()
            except Exception as exc:
                raise ArchiveUnavailable(f"recording {recording.id} is in {where}, which the current S3 settings "
                                         f"cannot reach ({exc})") from exc
        if archive is None or not archive.remote:
            raise ArchiveUnavailable(f"recording {recording.id} is in {where}, but S3 storage is turned off: "
                                     "turn it on again to download or delete it")
        if recording.archive_location and archive.location != recording.archive_location:
            raise ArchiveUnavailable(f"recording {recording.id} is in {where}, but S3 storage now uses the bucket "
                                     f"{archive.location!r}: point it back to download or delete it")
        return archive

    async def _remove(self, recording: Recording) -> None:
        if recording.archive_key:
            await self._archive_of(recording).delete(recording.archive_key)
        await self._store.delete(recording.id)

    def _arm(self) -> None:
        if self._scheduler is None or self._closed:
            return

        async def tick() -> None:
            self._timer = None
            if self._closed:
                return
            self._spawn(self.maintain(), "recordings-maintenance")
            self._arm()

        self._timer = self._scheduler.call_later(self._interval, tick)

    async def _startup(self) -> None:
        await self._recover()
        await self.maintain()

    # internals ---------------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stop(self, active: _Active, reason: str) -> None:
        """Stop writing this broadcast's recording; logged once. The live stream goes on."""
        if active.stopped:
            return
        active.stopped = True
        while not active.queue.empty():  # drop what waits (a None sentinel is put back)
            if active.queue.get_nowait() is None:
                active.queue.put_nowait(None)
                break
        self._log.warning("recording stopped: %s; the live stream goes on, and what was recorded "
                          "until now will be kept", reason)

    async def _write(self, active: _Active) -> None:
        recording_id = active.recording.id
        while (data := await active.queue.get()) is not None:
            if active.stopped:
                continue
            try:
                free = await self._store.free_bytes()
                if free < self._min_free:
                    self._stop(active, f"disk almost full, only {free // _MIB} MiB free in the data directory "
                                       f"(recording needs {self._min_free // _MIB} MiB)")
                    continue
                await self._store.append(recording_id, data)
                active.written += 1
            except DiskFullError as exc:
                self._stop(active, f"disk full ({exc})")
            except Exception as exc:
                self._stop(active, f"could not write to {self._store.location(recording_id)} ({exc})")

    async def _finish(self, active: _Active, ended_at: datetime) -> None:
        recording = replace(active.recording, ended_at=ended_at)
        try:
            if active.writer is not None:
                await active.writer
            if active.written == 0:
                await self._store.delete(recording.id)
                self._log.info("nothing was recorded for this broadcast; no recording kept")
                return
            await self._finalize(replace(recording, duration_seconds=sum(active.durations)))
        except Exception as exc:
            self._log.error("could not save the recording %s: %s", recording.id, exc)
        finally:
            self._busy.discard(recording.id)
        await self.maintain()

    async def _finalize(self, recording: Recording) -> Recording:
        """``processing``, then the store's finalize: ``ready`` with the media's duration and
        size, or ``failed``."""
        recording = replace(recording, status=RecordingStatus.PROCESSING)
        await self._store.save(recording)
        try:
            media = await self._store.finalize(recording.id)
        except Exception as exc:
            failed = replace(recording, status=RecordingStatus.FAILED)
            await self._store.save(failed)
            self._log.error("recording failed: could not make a playable file in %s: %s",
                            self._store.location(recording.id), exc)
            return failed
        ended = recording.ended_at or recording.started_at + timedelta(seconds=media.duration_seconds)
        ready = replace(recording, status=RecordingStatus.READY, ended_at=ended,
                        duration_seconds=media.duration_seconds, size_bytes=media.size_bytes)
        await self._store.save(ready)
        self._log.info(
            "recording saved: %s (%s, %s)", await self._store.media_path(recording.id),
            describe_duration(media.duration_seconds), describe_size(media.size_bytes),
        )
        return ready

    async def _recover(self) -> None:
        try:
            recordings = await self._store.list()
        except Exception as exc:
            self._log.error("could not look for interrupted recordings: %s", exc)
            return
        unfinished = (RecordingStatus.RECORDING, RecordingStatus.PROCESSING)
        for recording in recordings:
            if recording.status not in unfinished or recording.id in self._busy:
                continue
            self._busy.add(recording.id)
            self._log.warning("found the recording %s interrupted by a restart; finishing it",
                              self._store.location(recording.id))
            try:
                await self._finalize(recording)
            except Exception as exc:
                self._log.error("could not finish the interrupted recording %s: %s", recording.id, exc)
                with contextlib.suppress(Exception):
                    await self._store.save(replace(recording, status=RecordingStatus.FAILED))
            finally:
                self._busy.discard(recording.id)
