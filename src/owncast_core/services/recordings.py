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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from owncast_core.domain.config import Keys
from owncast_core.domain.recordings import (
    MIN_FREE_BYTES,
    Recording,
    RecordingStatus,
    check_recording_id,
    describe_duration,
    describe_size,
    new_recording_id,
)
from owncast_core.errors import DiskFullError, NotFoundError, ValidationError
from owncast_core.ports.clock import Clock, IdGenerator
from owncast_core.ports.recordings import RecordingStore
from owncast_core.ports.video import SegmentInfo
from owncast_core.services.config import ConfigService

_MIB = 1024 * 1024
MAX_QUEUED_SEGMENTS = 64
"""Segments waiting for the writer; one more and the disk is too slow: recording stops."""


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
        min_free_bytes: int = MIN_FREE_BYTES,
        max_queued_segments: int = MAX_QUEUED_SEGMENTS,
        logger: logging.Logger | None = None,
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._ids = ids
        self._min_free = min_free_bytes
        self._max_queued = max_queued_segments
        self._log = logger or logging.getLogger("owncast.recordings")
        self._active: _Active | None = None
        self._busy: set[str] = set()  # ids being written or finished: not deletable
        self._tasks: set[asyncio.Task[None]] = set()

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Finish, in the background, recordings a crash or restart interrupted."""
        self._spawn(self._recover(), "recordings-recover")

    async def close(self, timeout: float = 60.0) -> None:
        """Wait (at most ``timeout`` seconds) for recordings being finished; one left unfinished
        stays ``processing`` and is finished at the next ``start``."""
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

    async def download(self, recording_id: object) -> tuple[Recording, str]:
        """The recording and the local path of its MP4; ``NotFoundError`` unless it is ready."""
        recording = await self.get(recording_id)
        if recording.status is not RecordingStatus.READY:
            raise NotFoundError(f"recording {recording.id} is {recording.status.value}, not ready")
        return recording, await self._store.media_path(recording.id)

    async def delete(self, recording_id: object) -> Recording:
        """Delete a recording's files and entry. ``ValidationError`` for a malformed id or one
        still being recorded or saved; ``NotFoundError`` for an unknown one."""
        recording = await self.get(recording_id)
        if recording.id in self._busy:
            raise ValidationError("this recording is still being recorded or saved")
        await self._store.delete(recording.id)
        self._log.info("recording deleted: %s", self._store.location(recording.id))
        return recording

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
