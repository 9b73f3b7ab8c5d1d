"""Video ports: ingest sink, transcoder, HLS storage.

Data flow of one broadcast: the ingest adapter (RTMP) asks ``StreamService.authorize`` then
``StreamService.begin``, which starts a ``Transcoder`` session and hands back a ``StreamSink``;
the ingest writes the FLV byte stream into it. The transcoder reports every file it finishes to
a ``TranscoderListener`` (the stream service), which passes it on to ``VideoStorage``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from owncast_core.domain.stream import BroadcasterDetails, TranscodeJob


class StreamSink(Protocol):
    """Receives the FLV byte stream (header first) of one broadcast.

    ``write`` applies backpressure: it returns once the bytes are accepted and may wait while
    the consumer is behind. It raises ``owncast_core.errors.TranscoderGone`` when the consumer
    has died; the ingest must then drop the publisher. ``close`` marks the end of the stream (the
    consumer flushes what it has) and is idempotent.
    """

    async def write(self, data: bytes) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """A finished HLS media segment, ``path`` absolute on local disk."""

    variant: int
    path: str
    duration: float


@dataclass(frozen=True, slots=True)
class VariantInfo:
    """What the transcoder measured for one variant (for the master playlist and status)."""

    index: int
    bandwidth: int
    width: int
    height: int
    codecs: str
    framerate: float


class TranscoderListener(Protocol):
    """Told by a transcode session about its output. Calls arrive on the event loop, in order."""

    async def segment_written(self, segment: SegmentInfo) -> None: ...

    async def variant_playlist_written(self, variant: int, path: str) -> None: ...

    async def master_playlist_written(self, path: str, variants: tuple[VariantInfo, ...]) -> None: ...

    async def thumbnail_written(self, path: str) -> None: ...

    async def transcoder_error(self, message: str, *, fatal: bool) -> None:
        """A problem a streamer must know about (e.g. disk full). ``fatal``: the session ends."""
        ...

    async def transcoder_exited(self, returncode: int) -> None:
        """The session is over (normally after ``StreamSink.close``, or because it crashed)."""
        ...


class TranscodeSession(StreamSink, Protocol):
    """A running transcode of one broadcast; the ``StreamSink`` it reads from is itself.

    ``stop`` ends the session now (closing input, waiting a bounded time for a clean flush, then
    killing): no child process or file descriptor outlives it.
    """

    async def stop(self) -> None: ...

    @property
    def running(self) -> bool: ...


class Transcoder(Protocol):
    """Turns an FLV byte stream into HLS variants on local disk, as described by a job.

    ``start`` raises ``owncast_core.errors.TranscoderError`` when the session cannot start.
    """

    async def start(self, job: TranscodeJob, listener: TranscoderListener) -> TranscodeSession: ...


@dataclass(frozen=True, slots=True)
class HlsFile:
    """Bytes of an HLS file ready to serve, with its content type."""

    body: bytes
    content_type: str


class VideoStorage(Protocol):
    """Where finished HLS output goes and how viewers get it.

    Paths handed to ``*_written`` are absolute local files under the HLS root the storage was
    built with. ``get`` takes a path relative to that root (``stream.m3u8``, ``0/stream.m3u8``,
    ``0/stream-abc-1.ts``) and raises ``owncast_core.errors.NotFoundError`` when this storage does
    not serve it locally. A segment must never be served (or uploaded) after a playlist naming it
    is withheld: storages publish a variant playlist only after every segment it names.
    """

    async def setup(self) -> None:
        """Prepare for a new broadcast (empty the HLS tree of the previous one)."""
        ...

    async def segment_written(self, segment: SegmentInfo) -> None: ...

    async def variant_playlist_written(self, variant: int, path: str) -> None: ...

    async def master_playlist_written(self, path: str) -> None: ...

    async def get(self, relative_path: str) -> HlsFile: ...

    async def stream_ended(self, variant_count: int) -> None:
        """The broadcast is over: end each variant playlist (``#EXT-X-ENDLIST``) and publish it,
        so players play out what is listed and stop instead of polling forever."""
        ...

    async def cleanup(self) -> None:
        """Drop segments no playlist names any more (called periodically while live)."""
        ...

    async def close(self) -> None:
        """Finish pending work (uploads) and release resources."""
        ...


class IngestHandler(Protocol):
    """What an ingest server (RTMP) calls for each publisher; ``StreamService`` implements it.

    ``authorize`` is called with the stream key (the last path segment the publisher used) before
    any media is accepted; it raises ``StreamKeyRejected`` for a wrong key and
    ``StreamAlreadyLive`` while another publisher is live. It is only a check: it claims nothing,
    so a publisher that leaves between ``authorize`` and ``begin`` needs no clean-up. ``begin``
    is what claims the stream, and it too raises ``StreamAlreadyLive`` if another publisher won
    the race. ``begin`` is called once the stream's
    metadata is known; ``hang_up`` is a callback the service may call to drop this publisher
    (admin disconnect, transcoder death). Closing the returned sink ends the broadcast.
    ``authorize`` logs the refusals it raises and ``begin`` logs the stream it starts, in words
    for the streamer; the ingest server only adds debug lines for them.
    """

    def authorize(self, key: str, remote_addr: str) -> None: ...

    async def begin(self, details: BroadcasterDetails, hang_up: Callable[[], None]) -> StreamSink: ...
