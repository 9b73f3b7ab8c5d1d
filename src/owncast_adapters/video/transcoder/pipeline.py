"""The child's main loop: read FLV from stdin, decode once, feed every variant thread.

``run`` returns the process exit code (``EXIT_OK`` after a clean end of input). Fatal problems
are reported as an ``error`` event and end the process at once with a non-zero code (from any
thread), so a broken session never hangs its parent.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any, Literal, NoReturn, TypeVar, cast

import av
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.packet import Packet
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from owncast_adapters.video.transcoder.audio import AudioShape, SteadyAudio, encoder_shape
from owncast_adapters.video.transcoder.diskio import is_disk_full
from owncast_adapters.video.transcoder.events import EventWriter, ThumbnailWritten, TranscoderFailed
from owncast_adapters.video.transcoder.framerate import DropPredictor
from owncast_adapters.video.transcoder.frames import copy_packet
from owncast_adapters.video.transcoder.logsample import worth_logging
from owncast_adapters.video.transcoder.master import MasterPlaylistPublisher
from owncast_adapters.video.transcoder.thumbnail import PreviewMaker, Thumbnailer
from owncast_adapters.video.transcoder.timeline import InputTimeline, Jump
from owncast_adapters.video.transcoder.variants import Item, TimedFrame, VariantWorker
from owncast_core.domain.stream import TranscodeJob

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_DISK_FULL = 3

INPUT_OPTIONS = {"analyzeduration": "0", "probesize": "32768"}
# Decoding only keyframes for the thumbnail alone (every variant copies the video) is given up
# after this many packets without a picture: a stream without keyframes (periodic intra refresh).
KEYFRAME_ONLY_PATIENCE = 600

# Broken packets skipped in a row before the input counts as unreadable (not a stream at all).
MAX_BAD_READS = 100

PREVIEW_JOIN_TIMEOUT = 10.0  # seconds a GIF being made may delay the end of the process

StreamT = TypeVar("StreamT", VideoStream, AudioStream)
SkipLevel = Literal["DEFAULT", "NONREF", "NONKEY"]  # FFmpeg's AVDiscard levels we use


class Failures:
    """Turns a fatal problem into an ``error`` event and an immediate exit."""

    def __init__(self, events: EventWriter) -> None:
        self._events = events

    def fail(self, message: str, code: int) -> NoReturn:
        """Report ``message`` (fatal) and end the process with ``code``; never returns."""
        logger.error("%s", message)
        self._events.emit(TranscoderFailed(message, fatal=True))
        logging.shutdown()
        os._exit(code)

    def variant_failed(self, worker: VariantWorker, exc: BaseException) -> NoReturn:
        """A variant thread failed: disk full or an encoder/muxer error."""
        if is_disk_full(exc):
            reason = os.strerror(getattr(exc, "errno", 0) or 0)
            self.fail(f"disk full: cannot write HLS segments to {worker.directory} ({reason})", EXIT_DISK_FULL)
        logger.error("variant %d failed", worker.index, exc_info=exc)
        self.fail(f"transcoding variant {worker.index} failed: {exc}", EXIT_FAILED)


def open_input(url: str = "pipe:0", *, timeout: float | None = None) -> InputContainer:
    """Open the FLV stream with minimal probing (FFmpeg reads the fd itself).

    ``timeout``: give up when no stream shows up in that many seconds while data arrives
    (FFmpeg would otherwise scan garbage for as long as it keeps coming)."""
    return av.open(url, format="flv", options=INPUT_OPTIONS, timeout=(timeout, None))


class Pipeline:
    """Decodes the input once and distributes it to one ``VariantWorker`` per variant."""

    def __init__(self, job: TranscodeJob, events: EventWriter, container: InputContainer) -> None:
        self._job = job
        self._events = events
        self._failures = Failures(events)
        self._container = container
        self._video_in: VideoStream | None = _readable(container.streams.video)
        self._audio_in: AudioStream | None = _readable(container.streams.audio)
        self._audio_shape = _encoder_shape(self._audio_in) if self._audio_in is not None else None
        master = MasterPlaylistPublisher(os.path.join(job.output_dir, "stream.m3u8"), len(job.variants), events.emit)
        self._workers = [
            VariantWorker(
                index=i,
                job=job,
                video_in=self._video_in,
                audio_in=self._audio_in,
                events=events,
                master=master,
                on_failure=self._failures.variant_failed,
                inline=len(job.variants) == 1,
                audio_shape=self._audio_shape,
            )
            for i in range(len(job.variants))
        ]
        self._video_encoders = [w for w in self._workers if w.encodes_video]
        self._video_copiers = [w for w in self._workers if w.copies_video]
        self._audio_encoders = [w for w in self._workers if w.encodes_audio]
        self._audio_copiers = [w for w in self._workers if w.copies_audio]
        self._thumbnailer = (
            Thumbnailer(job.thumbnail_path, job.thumbnail_interval_seconds)
            if job.thumbnail_path and self._video_in is not None
            else None
        )
        self._preview = PreviewMaker(job.preview_path) if self._thumbnailer is not None else None
        self._decode_video = self._video_in is not None and bool(self._video_encoders or self._thumbnailer)
        self._decode_audio = self._audio_in is not None and bool(self._audio_encoders)
        if self._video_in is not None:
            # One decode thread: no frame-threading delay, and the cores go to the encoders.
            # (It also lets the per-packet ``skip_frame`` below act on that very packet.)
            self._video_in.codec_context.thread_count = 1
        self._skipping: SkipLevel = "DEFAULT"
        # H.264 keyframes are IDR (or recovery points that need the state kept): no flush there.
        self._fresh_at_keyframes = (
            self._video_in is not None and self._video_in.codec_context.codec.canonical_name == "hevc"
        )
        self._keyframes_only = self._decode_video and not self._video_encoders
        self._packets_without_picture = 0
        self._video_packets = 0  # given to the decoder
        self._video_pictures = 0  # that came out of it
        self._timeline = InputTimeline()
        self._steady_audio = SteadyAudio(self._audio_shape) if self._audio_shape is not None else None
        self._undecodable: dict[str, int] = {}  # packets per stream the decoder refused
        self._nudged: dict[str, int] = {}  # packets per stream moved forward by a little
        self._drops = DropPredictor(
            (w.variant.effective_framerate for w in self._video_encoders),
            (self._video_in.time_base if self._video_in is not None else None) or Fraction(1, 1000),
        )

    def run(self) -> int:
        """Transcode until end of input; the exit code."""
        streams = [s for s in (self._video_in, self._audio_in) if s is not None]
        if not streams:
            self._failures.fail("the broadcast has neither audio nor video that can be read", EXIT_BAD_INPUT)
        logger.info(
            "input: %s; %d variant(s)",
            ", ".join(f"{s.type} {s.codec_context.name}" for s in streams),
            len(self._workers),
        )
        for worker in self._workers:
            worker.start()
        input_error = self._demux(streams)
        if self._decode_video:
            assert self._video_in is not None
            self._skip("DEFAULT")
            for frame in self._decode(self._video_in, None):
                self._video_frame(frame)
        if self._decode_audio:
            assert self._audio_in is not None
            for frame in self._decode(self._audio_in, None):
                self._audio_frame(frame)
            assert self._steady_audio is not None
            for frame in self._steady_audio.flush():
                self._share(self._audio_encoders, Item.AUDIO_FRAME, frame)
        for worker in self._workers:
            worker.finish()
        for worker in self._workers:
            worker.join()
        if self._preview is not None:
            self._preview.join(PREVIEW_JOIN_TIMEOUT)
        if self._decode_video:
            left = self._video_packets - self._video_pictures
            reason = "only keyframes feed the thumbnail" if not self._video_encoders else "no variant shows them"
            logger.info("video: %d frames decoded, %d left undecoded (%s)", self._video_pictures, left, reason)
        for kind, count in self._nudged.items():
            logger.info("%s: %d packet(s) came with a time before the previous one's; moved after it", kind, count)
        self._container.close()
        if input_error is not None:
            self._failures.fail(f"the broadcast's stream could not be read: {input_error}", EXIT_BAD_INPUT)
        return EXIT_OK

    def _demux(self, streams: list[VideoStream | AudioStream]) -> av.error.FFmpegError | None:
        """Hand every packet of the input on until its end; the error that ended it early."""

        def handle(packet: Packet[Any]) -> None:
            if packet.size == 0:
                return  # the demuxer's end-of-stream markers; decoders are flushed below
            self._retime(packet)
            if packet.stream is self._video_in:
                self._video_packet(packet)
            else:
                self._audio_packet(packet)

        return read_all(lambda: self._container.demux(*streams), handle)

    def _retime(self, packet: Packet[Any]) -> None:
        """Give ``packet`` timestamps that carry on from its stream's previous ones (see
        ``InputTimeline``): a publisher's jumping clock must not end the broadcast."""
        kind = packet.stream.type
        time_base = packet.time_base
        if time_base is None:
            return
        retimed = self._timeline.retime(kind, packet.pts, packet.dts, time_base, packet.duration or 0)
        if retimed.dts != packet.dts:
            packet.dts = retimed.dts
        if retimed.pts != packet.pts:
            packet.pts = retimed.pts
        if retimed.jump is not None:
            _log_jump(retimed.jump)
        if retimed.nudged:
            count = self._nudged[kind] = self._nudged.get(kind, 0) + 1
            if count == 1:
                logger.info("%s: a packet came with a time before the previous one's; moved after it", kind)

    def _decode(self, stream: VideoStream | AudioStream, packet: Packet[Any] | None) -> list[Any]:
        try:
            return list(stream.codec_context.decode(packet))
        except av.error.FFmpegError as exc:
            count = self._undecodable[stream.type] = self._undecodable.get(stream.type, 0) + 1
            if worth_logging(count):
                logger.warning("could not decode %s data (%d time(s) so far): %s", stream.type, count, exc)
            return []

    def _video_packet(self, packet: Packet[Any]) -> None:
        self._share_packet(self._video_copiers, Item.VIDEO_PACKET, packet, last_use=not self._decode_video)
        if self._decode_video:
            assert self._video_in is not None
            self._skip(self._skip_level(packet))
            if self._keyframes_only and self._fresh_at_keyframes and packet.is_keyframe:
                # Every picture before it was skipped: start afresh, so an open-GOP keyframe
                # (HEVC CRA) drops its leading pictures instead of decoding them against
                # references that were never decoded (errors, grey frames in the preview).
                self._video_in.codec_context.flush_buffers()
            self._video_packets += 1
            frames = self._decode(self._video_in, packet)
            for frame in frames:
                self._video_frame(frame)
            if self._keyframes_only:
                self._packets_without_picture = 0 if frames else self._packets_without_picture + 1
                if self._packets_without_picture >= KEYFRAME_ONLY_PATIENCE:
                    logger.info(
                        "no keyframe in %d video packets: decoding every frame for the thumbnail",
                        KEYFRAME_ONLY_PATIENCE,
                    )
                    self._keyframes_only = False

    def _skip_level(self, packet: Packet[Any]) -> SkipLevel:
        """What the decoder may leave out of ``packet``: nothing, a non-reference frame every
        variant drops anyway (frame-rate conversion), or, when only the thumbnail needs
        pictures, everything but keyframes."""
        if self._keyframes_only:
            # The preview wants a second of every frame, right after the keyframe it starts on.
            return "DEFAULT" if self._preview is not None and self._preview.collecting else "NONKEY"
        return "NONREF" if self._drops.droppable(packet.pts) else "DEFAULT"

    def _skip(self, level: SkipLevel) -> None:
        if level != self._skipping:
            assert self._video_in is not None
            self._video_in.codec_context.skip_frame = level
            self._skipping = level

    def _audio_packet(self, packet: Packet[Any]) -> None:
        if self._audio_copiers and packet.has_sidedata("new_extradata"):
            logger.warning(
                "the broadcast's audio settings changed mid-stream; %d variant(s) copying the audio keep "
                "announcing the first settings, so players may play it at the wrong speed (restart the stream, "
                "or turn off audio passthrough)", len(self._audio_copiers),
            )  # fmt: skip
        self._share_packet(self._audio_copiers, Item.AUDIO_PACKET, packet, last_use=not self._decode_audio)
        if self._decode_audio:
            assert self._audio_in is not None
            for frame in self._decode(self._audio_in, packet):
                self._audio_frame(frame)

    def _audio_frame(self, frame: AudioFrame) -> None:
        assert self._steady_audio is not None
        frames = self._steady_audio.convert(frame)
        changed, target = self._steady_audio.changed_to, self._steady_audio.target
        if changed is not None:
            how = "as it comes" if changed == target else f"resampled to {target.describe()}"
            logger.warning(
                "the broadcast's audio changed mid-stream to %s; it is encoded %s, as the stream started",
                changed.describe(), how,
            )  # fmt: skip
        for converted in frames:
            self._share(self._audio_encoders, Item.AUDIO_FRAME, converted)

    def _share_packet(self, workers: list[VariantWorker], kind: Item, packet: Packet[Any], *, last_use: bool) -> None:
        """Give each worker its own packet (muxing changes it); the original goes to the last
        one when nobody else (the decoder) needs it any more."""
        for i, worker in enumerate(workers):
            mine = packet if last_use and i == len(workers) - 1 else copy_packet(packet)
            worker.put(kind, mine)

    def _share(self, workers: list[VariantWorker], kind: Item, frame: Any) -> None:
        for worker in workers:
            worker.put(kind, frame, False)

    def _video_frame(self, frame: VideoFrame) -> None:
        self._video_pictures += 1
        if frame.pts is not None:
            self._drops.origin(frame.pts)
        size = (frame.width, frame.height)
        owner = next((w for w in self._video_encoders if w.target_size(*size) == size), None)
        # The owner may retime the frame while others still read it: pass its time along.
        timed = TimedFrame(frame, frame.pts)
        for worker in self._video_encoders:
            worker.put(Item.VIDEO_FRAME, timed, worker is owner)
        if self._thumbnailer is not None:
            try:
                written = self._thumbnailer.offer(frame)
            except OSError as exc:
                if is_disk_full(exc):
                    path = self._job.thumbnail_path
                    self._failures.fail(
                        f"disk full: cannot write the thumbnail to {path} ({exc.strerror})", EXIT_DISK_FULL
                    )
                logger.warning("could not write the thumbnail: %s", exc)
                written = None
            if written:
                self._events.emit(ThumbnailWritten(written))
                if self._preview is not None:
                    self._preview.start()
            if self._preview is not None:
                assert self._video_in is not None
                time_base = self._video_in.time_base
                self._preview.offer(frame, None if timed.pts is None or time_base is None else timed.pts * time_base)


def read_all(
    demux: Callable[[], Iterable[Packet[Any]]], handle: Callable[[Packet[Any]], None], max_bad: int = MAX_BAD_READS
) -> av.error.FFmpegError | None:
    """Pass every packet ``demux()`` yields to ``handle`` until the input ends; the error that
    ended it early, else ``None``.

    A packet FFmpeg finds invalid while reading (a broken one from the publisher) is skipped
    and reading goes on with a fresh ``demux()`` (the demuxer is past it), until ``max_bad``
    such errors come in a row: then the input is not a stream that can be read."""
    in_a_row = total = 0
    while True:
        try:
            for packet in demux():
                in_a_row = 0
                handle(packet)
            return None
        except av.error.InvalidDataError as exc:
            in_a_row += 1
            total += 1
            if in_a_row > max_bad:
                logger.error("reading the broadcast failed %d times in a row: %s", in_a_row, exc)
                return exc
            if worth_logging(total):
                logger.warning("skipped a broken packet of the broadcast (%d so far): %s", total, exc)
        except av.error.FFmpegError as exc:
            logger.error("reading the broadcast failed: %s", exc)
            return exc
        except IndexError:
            # PyAV's demux, flushing at the end of the input, trips over a stream the FLV
            # demuxer added mid-way (the RTMP server's StartGate keeps them out): every packet
            # was read by then, so this is the end of the input.
            logger.warning("the broadcast's input gained a stream mid-way; it was left out")
            return None


def _readable(streams: tuple[StreamT, ...]) -> StreamT | None:
    """The first of ``streams``, unless FFmpeg has no decoder for its codec (then it is left out
    with a warning: the broadcast goes on with the other stream)."""
    if not streams:
        return None
    stream = streams[0]
    if cast(Any, stream).codec_context is None:
        logger.warning("the broadcast's %s is in a codec that cannot be read; going on without it", stream.type)
        return None
    return stream


def _encoder_shape(audio: AudioStream) -> AudioShape:
    """The shape every audio encoder of the session is opened with (see ``encoder_shape``)."""
    context = audio.codec_context
    shape = encoder_shape(
        context.sample_rate, context.layout.name, context.channels, av.Codec("aac", "w").audio_rates or ()
    )
    if (shape.rate, shape.layout) != (context.sample_rate, context.layout.name):
        logger.warning(
            "the broadcast's audio (%d Hz, layout %r) is not one AAC can carry; it is encoded as %s",
            context.sample_rate, context.layout.name, shape.describe(),
        )  # fmt: skip
    return shape


def _log_jump(jump: Jump) -> None:
    direction = "back" if jump.step < 0 else "forward"
    how = (
        "shifted as the other stream was, so they stay in sync"
        if jump.followed
        else "shifted to carry on right after its previous packet"
    )
    logger.warning(
        "the broadcast's %s timestamps jumped %s by %.3f s (publisher clock reset?); %s (%+.3f s)",
        jump.stream, direction, abs(float(jump.step)), how, float(jump.shift),
    )  # fmt: skip


def run(job: TranscodeJob, events: EventWriter, *, open_timeout: float | None = None) -> int:
    """Open stdin as FLV and transcode ``job``; the process exit code."""
    failures = Failures(events)
    started = time.monotonic()
    try:
        container = open_input(timeout=open_timeout)
    except (av.error.FFmpegError, OSError) as exc:
        if open_timeout is not None and time.monotonic() - started >= open_timeout:
            failures.fail(
                f"no audio or video found in the broadcast's stream after {open_timeout:g} s "
                f"(is it FLV with H.264/AAC?): {exc}",
                EXIT_BAD_INPUT,
            )
        failures.fail(f"cannot read the broadcast's stream: {exc}", EXIT_BAD_INPUT)
    return Pipeline(job, events, container).run()
