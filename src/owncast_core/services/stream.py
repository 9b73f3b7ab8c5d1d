"""StreamService: the live/offline state machine of one broadcast at a time.

It implements ``IngestHandler`` (what the RTMP server calls) and ``TranscoderListener`` (what a
transcode session reports), and hands finished HLS files to the current ``VideoStorage``. When a
``Recorder`` is given, it is told about each broadcast and gets each segment of the highest
quality variant before the storage does (the storage may delete segment files).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from owncast_core.domain.events import StreamOnline, StreamStarted, StreamStopped
from owncast_core.domain.recordings import recorded_variant
from owncast_core.domain.stream import BroadcasterDetails, StreamOutputVariant, TranscodeJob
from owncast_core.errors import StreamAlreadyLive, StreamKeyRejected, TranscoderError, TranscoderGone
from owncast_core.ports.bus import EventBus
from owncast_core.ports.clock import Clock, IdGenerator
from owncast_core.ports.recordings import Recorder
from owncast_core.ports.video import (
    SegmentInfo,
    StreamSink,
    Transcoder,
    TranscodeSession,
    VariantInfo,
    VideoStorage,
)
from owncast_core.services.config import ConfigService


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """A snapshot of the stream state, as ``/api/status`` and ``/api/admin/status`` need it.

    ``online`` is true only while a publisher is connected *and* a playable playlist exists.
    """

    connected: bool
    online: bool
    last_connect_time: datetime | None
    last_disconnect_time: datetime | None
    details: BroadcasterDetails | None
    variants: tuple[StreamOutputVariant, ...]
    latency_level: int
    outputs: tuple[VariantInfo, ...]


@dataclass(slots=True)
class _Broadcast:
    details: BroadcasterDetails
    job: TranscodeJob
    hang_up: Callable[[], None]
    storage: VideoStorage
    session: TranscodeSession | None = None
    master_written: bool = False
    variants_with_segments: frozenset[int] = frozenset()
    outputs: tuple[VariantInfo, ...] = ()
    ended: bool = False
    announced: bool = False
    ending: str | None = None  # why it is being ended, when not by the publisher
    recorded_variant: int | None = None  # the variant the recorder gets, while it records


class _BroadcastSink:
    """The sink the ingest writes to: the transcode session, ending the broadcast on close."""

    def __init__(self, service: StreamService, broadcast: _Broadcast, session: TranscodeSession) -> None:
        self._service = service
        self._broadcast = broadcast
        self._session = session

    async def write(self, data: bytes) -> None:
        if self._broadcast.ended:
            raise TranscoderGone("the broadcast has ended")
        await self._session.write(data)

    async def close(self) -> None:
        await self._service._publisher_gone(self._broadcast)


class StreamService:
    """Owns the broadcast lifecycle.

    - ``authorize`` checks the key in constant time against every configured key and refuses a
      second publisher.
    - ``begin`` marks the stream connected, prepares storage, starts the transcoder and returns
      the sink the ingest writes FLV into.
    - The broadcast ends when the publisher goes (sink closed), the transcoder exits or dies, or
      ``disconnect`` is called: then the storage finishes the variant playlists (``stream_ended``)
      so players finish cleanly, the stream is marked offline and ``StreamStopped`` is published.
      The transcoder child is always stopped (no zombie) before the state turns offline.
    """

    def __init__(
        self,
        *,
        config: ConfigService,
        transcoder: Transcoder,
        storage_factory: Callable[[], VideoStorage],
        bus: EventBus,
        clock: Clock,
        ids: IdGenerator,
        hls_dir: str,
        thumbnail_path: str,
        recorder: Recorder | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._config = config
        self._transcoder = transcoder
        self._storage_factory = storage_factory
        self._bus = bus
        self._clock = clock
        self._ids = ids
        self._hls_dir = hls_dir
        self._thumbnail_path = thumbnail_path
        self._recorder = recorder
        self._log = logger or logging.getLogger("owncast.stream")
        self._broadcast: _Broadcast | None = None
        self._storage: VideoStorage | None = None
        self._last_connect: datetime | None = None
        self._last_disconnect: datetime | None = None
        self._last_outputs: tuple[VariantInfo, ...] = ()
        self._lock = asyncio.Lock()
        self._offline_event = asyncio.Event()
        self._offline_event.set()

    # queries --------------------------------------------------------------------------------
    @property
    def storage(self) -> VideoStorage:
        """The storage of the current (or last) broadcast; created on first use."""
        if self._storage is None:
            self._storage = self._storage_factory()
        return self._storage

    def status(self) -> StreamStatus:
        b = self._broadcast
        online = b is not None and not b.ended and b.master_written and bool(b.variants_with_segments)
        return StreamStatus(
            connected=b is not None and not b.ended,
            online=online,
            last_connect_time=self._last_connect,
            last_disconnect_time=self._last_disconnect,
            details=b.details if b else None,
            variants=b.job.variants if b else tuple(self._config.variants()),
            latency_level=b.job.latency.level if b else self._config.latency().level,
            outputs=b.outputs if b else self._last_outputs,
        )

    def restore_last_disconnect(self, when: datetime | None) -> None:
        """Set ``last_disconnect_time`` saved by a previous run (start-up only; ignored while a
        broadcast runs or once this process has seen a disconnect)."""
        if self._broadcast is None and self._last_disconnect is None and self._last_connect is None:
            self._last_disconnect = when

    async def wait_offline(self, timeout: float | None = None) -> None:
        """Return once no broadcast is running (raises ``TimeoutError`` after ``timeout``)."""
        await asyncio.wait_for(self._offline_event.wait(), timeout)

    # IngestHandler ----------------------------------------------------------------------------
    def authorize(self, key: str, remote_addr: str) -> None:
        if not self._config.stream_key_matches(key):
            self._log.warning("rejected a publisher from %s: invalid stream key", remote_addr)
            raise StreamKeyRejected("invalid stream key")
        if self._broadcast is not None:
            self._log.warning(
                "rejected a publisher from %s: stream already running; can not overtake an existing stream",
                remote_addr,
            )
            raise StreamAlreadyLive("stream already running; can not overtake an existing stream")

    async def begin(self, details: BroadcasterDetails, hang_up: Callable[[], None]) -> StreamSink:
        async with self._lock:
            if self._broadcast is not None:
                raise StreamAlreadyLive("stream already running; can not overtake an existing stream")
            now = self._clock.now()
            details = replace(details, connected_at=now)
            storage = self._storage_factory()
            if self._storage is not None and self._storage is not storage:
                await self._storage.close()
            self._storage = storage
            job = TranscodeJob(
                variants=tuple(self._config.variants()),
                latency=self._config.latency(),
                output_dir=self._hls_dir,
                details=details,
                segment_prefix=self._ids.new_id(),
                thumbnail_path=self._thumbnail_path,
                video_codec=self._config.video_codec(),
            )
            broadcast = _Broadcast(details=details, job=job, hang_up=hang_up, storage=storage)
            self._broadcast = broadcast
            self._offline_event.clear()
            self._last_connect = now
            self._last_disconnect = None
            try:
                await storage.setup()
                await self._start_recording(broadcast, now)
                session = await self._transcoder.start(job, _Listener(self, broadcast))
            except Exception as exc:
                self._log.error("could not start the transcoder: %s", exc)
                await self._stop_recording(broadcast, now)
                self._finish(broadcast, "transcoder failed to start")
                raise TranscoderError(str(exc)) from exc
            broadcast.session = session
        self._log.info("stream started: %s", details.describe())
        await self._bus.publish(StreamStarted(details=details, at=now))
        return _BroadcastSink(self, broadcast, session)

    # ending ----------------------------------------------------------------------------------
    async def disconnect(self) -> bool:
        """Drop the current publisher (admin action). Returns ``False`` when nothing is live."""
        b = self._broadcast
        if b is None or b.ended:
            return False
        self._log.info("disconnecting the publisher on request")
        b.ending = b.ending or "disconnected by the admin"
        b.hang_up()
        if b.session is not None:
            await b.session.close()
        return True

    def shutting_down(self) -> None:
        """The server is stopping: the broadcast that ends next ends for that reason (in the log
        and ``StreamStopped``), not because the publisher left."""
        if self._broadcast is not None and not self._broadcast.ended:
            self._broadcast.ending = "the server is shutting down"

    async def _publisher_gone(self, broadcast: _Broadcast) -> None:
        """The ingest closed the sink: let the transcoder flush and exit."""
        if broadcast.session is not None:
            await broadcast.session.close()

    async def _transcoder_exited(self, broadcast: _Broadcast, returncode: int) -> None:
        if broadcast.ended:
            return
        if returncode != 0:
            self._log.error("the transcoder exited with code %s; ending the stream", returncode)
        broadcast.hang_up()
        try:
            await broadcast.storage.stream_ended(len(broadcast.job.variants))
        except Exception as exc:  # storage trouble must not keep the stream 'live'
            self._log.warning("could not finish the playlists: %s", exc)
        if broadcast.ending is not None:
            reason = broadcast.ending
        else:
            reason = "publisher disconnected" if returncode == 0 else f"transcoder exited ({returncode})"
        await self._stop_recording(broadcast, self._clock.now())
        now = self._finish(broadcast, reason)
        await self._bus.publish(StreamStopped(at=now, reason=reason))

    def _finish(self, broadcast: _Broadcast, reason: str) -> datetime:
        broadcast.ended = True
        now = self._clock.now()
        if self._broadcast is broadcast:
            self._broadcast = None
            self._last_outputs = broadcast.outputs
        self._last_disconnect = now
        self._last_connect = None
        self._offline_event.set()
        self._log.info("stream ended: %s", reason)
        return now

    # listener callbacks ------------------------------------------------------------------------
    async def _segment_written(self, broadcast: _Broadcast, segment: SegmentInfo) -> None:
        if self._recorder is not None and segment.variant == broadcast.recorded_variant:
            try:  # first: the storage may delete the file once it has it
                await self._recorder.segment_written(segment)
            except Exception as exc:  # a recorder never breaks the live path
                self._log.warning("recording: %s", exc)
        await broadcast.storage.segment_written(segment)

    # recording (a side effect: failures are logged, the broadcast goes on) --------------------
    async def _start_recording(self, broadcast: _Broadcast, started_at: datetime) -> None:
        if self._recorder is None:
            return
        variant = recorded_variant(broadcast.job.variants)
        try:
            if await self._recorder.broadcast_started(started_at, variant):
                broadcast.recorded_variant = variant
        except Exception as exc:
            self._log.warning("could not start recording: %s", exc)

    async def _stop_recording(self, broadcast: _Broadcast, ended_at: datetime) -> None:
        if self._recorder is None or broadcast.recorded_variant is None:
            return
        broadcast.recorded_variant = None
        try:
            await self._recorder.broadcast_ended(ended_at)
        except Exception as exc:
            self._log.warning("could not finish recording: %s", exc)

    async def _variant_playlist_written(self, broadcast: _Broadcast, variant: int, path: str) -> None:
        await broadcast.storage.variant_playlist_written(variant, path)
        if variant not in broadcast.variants_with_segments:
            broadcast.variants_with_segments = broadcast.variants_with_segments | {variant}
            await self._maybe_online(broadcast)

    async def _master_playlist_written(
        self, broadcast: _Broadcast, path: str, variants: tuple[VariantInfo, ...]
    ) -> None:
        broadcast.outputs = variants
        await broadcast.storage.master_playlist_written(path)
        broadcast.master_written = True
        await self._maybe_online(broadcast)

    async def _maybe_online(self, broadcast: _Broadcast) -> None:
        if broadcast.ended or not broadcast.master_written or not broadcast.variants_with_segments:
            return
        if not broadcast.announced:
            broadcast.announced = True
            self._log.info("stream is online: the first HLS playlist is ready")
            await self._bus.publish(StreamOnline(at=self._clock.now()))

    async def _transcoder_error(self, broadcast: _Broadcast, message: str, fatal: bool) -> None:
        if fatal:
            self._log.error("transcoder: %s", message)
        else:
            self._log.warning("transcoder: %s", message)


class _Listener:
    """Routes one session's callbacks to the service, tagged with its broadcast."""

    def __init__(self, service: StreamService, broadcast: _Broadcast) -> None:
        self._service = service
        self._broadcast = broadcast

    async def segment_written(self, segment: SegmentInfo) -> None:
        await self._service._segment_written(self._broadcast, segment)

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        await self._service._variant_playlist_written(self._broadcast, variant, path)

    async def master_playlist_written(self, path: str, variants: tuple[VariantInfo, ...]) -> None:
        await self._service._master_playlist_written(self._broadcast, path, variants)

    async def thumbnail_written(self, path: str) -> None:
        return None

    async def transcoder_error(self, message: str, *, fatal: bool) -> None:
        await self._service._transcoder_error(self._broadcast, message, fatal)

    async def transcoder_exited(self, returncode: int) -> None:
        await self._service._transcoder_exited(self._broadcast, returncode)
