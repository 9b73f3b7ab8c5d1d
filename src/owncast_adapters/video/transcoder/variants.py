"""One HLS variant: its encoders and ``hls`` muxer, on a thread of its own or inline.

The decode thread ``put``s decoded frames (for encoded outputs) and demuxed packets (for
passthrough outputs) in input order; the variant scales, converts the frame rate, encodes
(keyframes exactly on segment boundaries), muxes into ``<output_dir>/<i>/stream.m3u8`` and
reports new segments and playlists as events. Any error is handed to ``on_failure`` (which
ends the process).

With several variants each has a thread and a queue, so the encoders run side by side. A
ladder of one runs ``inline``: in the decode thread, as the ffmpeg CLI does. A thread of its
own would only overlap decoding with encoding (x264 has its own threads either way) at the
price of one thread wake-up and hand-over per picture: for a live stream, which arrives a
frame at a time, that costs about 0.1 s of CPU per 20 s and buys nothing, as it runs several
times faster than real time inline too.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any, NamedTuple, NoReturn, cast

import av
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.packet import Packet
from av.video.frame import PictureType, VideoFrame
from av.video.reformatter import Interpolation, VideoReformatter
from av.video.stream import VideoStream

from owncast_adapters.video.transcoder.audio import AudioShape
from owncast_adapters.video.transcoder.channel import BoundedChannel
from owncast_adapters.video.transcoder.codec_strings import audio_codec_string, video_codec_string
from owncast_adapters.video.transcoder.diskio import HlsFiles
from owncast_adapters.video.transcoder.events import EventWriter, VariantPlaylistWritten
from owncast_adapters.video.transcoder.framerate import FrameRateConverter
from owncast_adapters.video.transcoder.frames import copy_frame
from owncast_adapters.video.transcoder.logsample import worth_logging
from owncast_adapters.video.transcoder.master import MasterPlaylistPublisher
from owncast_adapters.video.transcoder.playlists import PlaylistWatcher
from owncast_adapters.video.transcoder.scaling import output_size
from owncast_adapters.video.transcoder.timeline import IncreasingDts
from owncast_core.domain.stream import StreamOutputVariant, TranscodeJob, x264_preset
from owncast_core.ports.video import VariantInfo

logger = logging.getLogger(__name__)

MPEGTS_TIME_BASE = Fraction(1, 90000)
# Batches (one video item each, with the audio that came before it); the decode thread blocks
# when a variant is this far behind. Small: every queued picture is memory (1.4 MB at 720p).
QUEUE_SIZE = 32
# Items other than video held back for the next video item (one wake-up of the variant thread
# per picture instead of per packet); past this many they go on their own (video stalled).
HOLD_LIMIT = 64
PENDING_LIMIT = 2000  # items kept while waiting for the first video frame
# No delete_segments: the VideoStorage owns local segment files (S3 deletes them after upload,
# local storage once they leave its cache), so the muxer never races an upload.
HLS_FLAGS = "program_date_time+independent_segments+omit_endlist+temp_file"
TIMESTAMP_OFFSET_SECONDS = 1


class Item(enum.Enum):
    """What the decode thread hands to a variant."""

    VIDEO_FRAME = 1
    VIDEO_PACKET = 2
    AUDIO_FRAME = 3
    AUDIO_PACKET = 4


class TimedFrame(NamedTuple):
    """A decoded video frame with its input timestamp, read before any variant retimes it."""

    frame: VideoFrame
    pts: int | None


_END = None
_VIDEO_ITEMS = frozenset({Item.VIDEO_FRAME, Item.VIDEO_PACKET})


def x264_options(variant: StreamOutputVariant, gop: int) -> dict[str, str]:
    """libx264 options with Owncast's mapping (rate control, GOP, preset, zero latency)."""
    kbps = variant.effective_video_bitrate
    return {
        "preset": x264_preset(variant.cpu_usage_level),
        "tune": "zerolatency",
        "profile": "high",
        "x264-params": "scenecut=0:open_gop=0",
        "forced-idr": "1",
        "g": str(gop),
        "keyint_min": str(gop),
        "b": f"{kbps}k",
        "maxrate": f"{round(kbps * 1.06)}k",
        "bufsize": f"{round(kbps * 1.2)}k",
    }


def hls_options(job: TranscodeJob, directory: str) -> dict[str, str]:
    """Options of the ``hls`` muxer for one variant directory."""
    return {
        "hls_time": str(job.latency.segment_seconds),
        "hls_list_size": str(job.latency.playlist_segments),
        "hls_flags": HLS_FLAGS,
        "hls_segment_filename": os.path.join(directory, f"stream-{job.segment_prefix}-%d.ts"),
        "hls_segment_type": "mpegts",
        # Do not hold video back for long waiting for audio that does not come.
        "max_interleave_delta": "1000000",
        # The same shift in every variant, larger than any encoder delay (AAC primes 1024
        # samples: negative start times), so the muxer never shifts one variant on its own:
        # matching content keeps matching timestamps across variants, as HLS requires.
        "output_ts_offset": str(TIMESTAMP_OFFSET_SECONDS),
    }


# Video codecs an HLS variant in MPEG-TS can carry as they come (and players play).
COPYABLE_VIDEO = frozenset({"h264", "hevc"})
# Audio codecs likewise. FLV also carries G.711 (IP cameras), PCM, Speex and Nellymoser, which
# MPEG-TS can only hold as private data: players would get no sound.
COPYABLE_AUDIO = frozenset({"aac", "mp3"})
MAX_ENCODED_AUDIO_KBPS = 128


def _copyable_or_encoded(
    variant: StreamOutputVariant, index: int, video_in: VideoStream | None, audio_in: AudioStream | None = None
) -> StreamOutputVariant:
    """``variant``, or, when it passes through what MPEG-TS cannot carry, the same variant
    encoding that instead, with a warning: the stream goes on (with picture and sound) rather
    than failing. Video: AV1 or VP9 from an enhanced-RTMP publisher becomes H.264. Audio: G.711,
    PCM, Speex (...) becomes AAC, at 3 bits per sample and channel up to 128 kbps."""
    if video_in is not None and variant.video_passthrough:
        codec = video_in.codec_context.codec.canonical_name
        if codec not in COPYABLE_VIDEO:
            variant = replace(variant, video_passthrough=False)
            logger.warning(
                "variant %d: video passthrough cannot carry %s in HLS; encoding it to H.264 at %d kbps, %d fps "
                "instead (send H.264 or H.265 to pass video through)",
                index, codec.upper(), variant.effective_video_bitrate, variant.effective_framerate,
            )  # fmt: skip
    if audio_in is not None and variant.is_audio_passthrough:
        context = audio_in.codec_context
        codec = context.codec.canonical_name
        if codec not in COPYABLE_AUDIO:
            rate, channels = context.sample_rate or 48000, min(max(context.channels, 1), 2)
            kbps = max(16, min(MAX_ENCODED_AUDIO_KBPS, 3 * rate * channels // 1000))
            variant = replace(variant, audio_passthrough=False, audio_bitrate=kbps)
            logger.warning(
                "variant %d: audio passthrough cannot carry %s in HLS; encoding it to AAC at %d kbps instead "
                "(send AAC or MP3 to pass audio through)",
                index, codec, kbps,
            )  # fmt: skip
    return variant


class VariantWorker:
    """The thread producing variant ``index`` of ``job``, or the caller's when ``inline``.

    ``video_in``/``audio_in`` are the input streams (``None`` when absent); ``audio_shape`` is
    what its audio encoder is opened for (needed when the variant encodes audio). The decode thread
    calls ``put`` (blocking when the queue is full; inline: encoding and muxing right away)
    and ``finish`` then ``join`` at the end.
    """

    def __init__(
        self,
        *,
        index: int,
        job: TranscodeJob,
        video_in: VideoStream | None,
        audio_in: AudioStream | None,
        events: EventWriter,
        master: MasterPlaylistPublisher,
        on_failure: Callable[[VariantWorker, BaseException], NoReturn],
        inline: bool = False,
        audio_shape: AudioShape | None = None,
    ) -> None:
        self.index = index
        self.variant = _copyable_or_encoded(job.variants[index], index, video_in, audio_in)
        self.directory = os.path.join(job.output_dir, str(index))
        self._job = job
        self._playlist = os.path.join(self.directory, "stream.m3u8")
        self._video_in = video_in
        self._audio_in = audio_in
        self._audio_shape = audio_shape  # what the audio encoder is opened for (see ``encoder_shape``)
        self._events = events
        self._master = master
        self._on_failure = on_failure
        self.encodes_video = video_in is not None and not self.variant.video_passthrough
        self.copies_video = video_in is not None and self.variant.video_passthrough
        self.encodes_audio = audio_in is not None and not self.variant.is_audio_passthrough
        self.copies_audio = audio_in is not None and self.variant.is_audio_passthrough
        self._fps = self.variant.effective_framerate
        self._gop = max(1, self._fps * job.latency.segment_seconds)
        self._queue: BoundedChannel[list[tuple[Item, Any, bool]] | None] = BoundedChannel(QUEUE_SIZE)
        self._held: list[tuple[Item, Any, bool]] = []  # decode thread side
        self._takes_video = self.encodes_video or self.copies_video
        self._playlist_writes = 0
        self._inline = inline
        self._thread = None if inline else threading.Thread(target=self._run, name=f"variant-{index}", daemon=True)
        self._files = HlsFiles()
        self._watcher = PlaylistWatcher(index, self._playlist)
        self._sizes: dict[tuple[int, int], tuple[int, int]] = {}
        # Set up by the variant thread:
        self._out: OutputContainer | None = None
        self._video_out: VideoStream | None = None
        self._audio_out: AudioStream | None = None
        self._pending: list[tuple[Item, Any, bool]] = []
        self._converter: FrameRateConverter | None = None
        self._scaler = VideoReformatter()
        self._size = (0, 0)
        self._last_image: VideoFrame | None = None
        self._reported = False
        self._dts_guards: dict[int, IncreasingDts] = {}
        self._invalid = 0  # packets the muxer refused as broken

    # -- decode thread side ------------------------------------------------------------------

    def target_size(self, width: int, height: int) -> tuple[int, int]:
        """The encoded size for input frames of ``width`` x ``height``."""
        size = self._sizes.get((width, height))
        if size is None:
            size = output_size(width, height, self.variant.scaled_width, self.variant.scaled_height)
            self._sizes[(width, height)] = size
        return size

    def start(self) -> None:
        if self._thread is not None:
            self._thread.start()

    def put(self, kind: Item, payload: Any, exclusive: bool = True) -> None:
        """Queue (inline: handle) a packet, an audio frame or a ``TimedFrame`` (``VIDEO_FRAME``).
        ``exclusive``: no other variant uses this object, so it may be changed."""
        if self._inline:
            try:
                self._handle(kind, payload, exclusive)
            except BaseException as exc:
                self._on_failure(self, exc)
            return
        self._held.append((kind, payload, exclusive))
        if not self._takes_video or kind in _VIDEO_ITEMS or len(self._held) >= HOLD_LIMIT:
            batch, self._held = self._held, []
            self._queue.put(batch)

    def finish(self) -> None:
        """No more input: flush the encoders and close the muxer (final playlist)."""
        if self._inline:
            try:
                self._flush()
            except BaseException as exc:
                self._on_failure(self, exc)
            return
        if self._held:
            batch, self._held = self._held, []
            self._queue.put(batch)
        self._queue.put(_END)

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    # -- variant thread (inline: the decode thread) ---------------------------------------------

    def _run(self) -> None:
        try:
            while (batch := self._queue.get()) is not _END:
                for item in batch:
                    self._handle(*item)
            self._flush()
        except BaseException as exc:
            self._on_failure(self, exc)

    def _handle(self, kind: Item, payload: Any, exclusive: bool) -> None:
        if self._out is None:
            if self.encodes_video and kind is not Item.VIDEO_FRAME:
                # The output size comes from the first decoded frame; keep audio until then.
                if len(self._pending) >= PENDING_LIMIT:
                    self._pending.pop(0)
                self._pending.append((kind, payload, exclusive))
                return
            self._open(payload.frame if kind is Item.VIDEO_FRAME else None)
            pending, self._pending = self._pending, []
            for item in pending:
                self._dispatch(*item)
        self._dispatch(kind, payload, exclusive)

    def _dispatch(self, kind: Item, payload: Any, exclusive: bool) -> None:
        if kind is Item.VIDEO_FRAME:
            self._encode_video(payload, exclusive)
        elif kind is Item.AUDIO_FRAME:
            if self._audio_out is not None:
                for packet in self._audio_out.encode(payload):
                    self._mux(packet)
        else:
            stream = self._video_out if kind is Item.VIDEO_PACKET else self._audio_out
            if stream is not None:
                payload.stream = stream
                self._mux(payload)

    def _open(self, first_frame: VideoFrame | None) -> None:
        os.makedirs(self.directory, exist_ok=True)
        out = av.open(
            self._playlist,
            "w",
            format="hls",
            options=hls_options(self._job, self.directory),
            io_open=self._files,
        )
        self._out = out
        if self.encodes_video and first_frame is not None:
            assert self._video_in is not None
            self._size = self.target_size(first_frame.width, first_frame.height)
            self._converter = FrameRateConverter(self._fps, self._video_in.time_base or Fraction(1, 1000))
            kbps = self.variant.effective_video_bitrate
            options = (
                x264_options(self.variant, self._gop)
                if self._job.video_codec == "libx264"
                else {"g": str(self._gop), "bf": "0", "b": f"{kbps}k"}
            )
            stream = out.add_stream(  # pix_fmt defaults to yuv420p
                self._job.video_codec,
                rate=self._fps,
                width=self._size[0],
                height=self._size[1],
                time_base=MPEGTS_TIME_BASE,
                bit_rate=kbps * 1000,
                options=options,
            )
            self._video_out = cast(VideoStream, stream)
        elif self.copies_video:
            assert self._video_in is not None
            self._video_out = out.add_stream_from_template(self._video_in)
        if self.encodes_audio:
            assert self._audio_in is not None and self._audio_shape is not None, "encoding audio needs its shape"
            audio_out = out.add_stream(
                "aac",
                rate=self._audio_shape.rate,
                bit_rate=self.variant.audio_bitrate * 1000,
            )
            audio_out.codec_context.layout = self._audio_shape.layout
            self._audio_out = audio_out
        elif self.copies_audio:
            assert self._audio_in is not None
            self._audio_out = out.add_stream_from_template(self._audio_in)

    def _encode_video(self, timed: TimedFrame, exclusive: bool) -> None:
        frame, pts = timed
        if self._video_out is None or self._converter is None or pts is None:
            return
        plan = self._converter.push(pts)
        if plan is None:
            return
        if plan.repeat and self._last_image is not None:
            for slot in range(plan.slot - plan.repeat, plan.slot):
                self._encode_image(self._last_image, slot)
        width, height = self._size
        image = self._scaler.reformat(
            frame, width, height, "yuv420p", interpolation=Interpolation.BILINEAR, threads=1
        )
        if image is frame and not exclusive:
            image = copy_frame(frame)
        self._encode_image(image, plan.slot)
        self._last_image = image

    def _encode_image(self, image: VideoFrame, slot: int) -> None:
        assert self._video_out is not None and self._converter is not None
        image.pts = self._converter.slot_pts(slot, MPEGTS_TIME_BASE)
        image.time_base = MPEGTS_TIME_BASE
        image.pict_type = PictureType.I if slot % self._gop == 0 else PictureType.NONE
        for packet in self._video_out.encode(image):
            self._mux(packet)

    def _mux(self, packet: Packet[Any]) -> None:
        assert self._out is not None
        stream = packet.stream
        guard = self._dts_guards.get(stream.index)
        if guard is None:
            guard = self._dts_guards[stream.index] = IncreasingDts()
        fixed = guard.fix(packet.pts, packet.dts)
        if fixed is not None:
            # The muxer would refuse the packet and end the broadcast; the ffmpeg CLI does this.
            if worth_logging(guard.fixed):
                logger.warning(
                    "variant %d: %s packet with dts %s (none, or not after the previous one's); "
                    "given %d (%d so far)", self.index, stream.type, packet.dts, fixed[1], guard.fixed,
                )  # fmt: skip
            packet.pts, packet.dts = fixed
        try:
            self._out.mux_one(packet)
        except av.error.InvalidDataError as exc:
            # A broken packet from the publisher that the muxer's bitstream filter cannot
            # convert (passthrough; it may be one the muxer held back for interleaving, not
            # this one): the muxer drops it, and the broadcast goes on.
            self._invalid += 1
            if worth_logging(self._invalid):
                logger.warning(
                    "variant %d: the muxer dropped a broken packet (%d so far): %s", self.index, self._invalid, exc
                )
            return
        self._files.check()
        if not self._reported and (self._video_out is None or packet.stream is self._video_out):
            self._reported = True
            self._master.report(self._describe())
        if self._files.playlist_writes != self._playlist_writes:
            self._playlist_writes = self._files.playlist_writes
            self._publish()

    def _publish(self) -> None:
        """Emit events for segments the playlist lists for the first time, then the playlist."""
        segments, changed = self._watcher.poll()
        for segment in segments:
            self._events.emit(segment)
        if changed:
            self._events.emit(VariantPlaylistWritten(self.index, self._playlist))

    def _flush(self) -> None:
        if self._out is None:
            if not self._pending:
                return  # no input at all: nothing to write
            self._open(None)
            pending, self._pending = self._pending, []
            for item in pending:
                self._dispatch(*item)
        assert self._out is not None
        encoders = [
            stream
            for stream, encoded in (
                (self._video_out, self.encodes_video),
                (self._audio_out, self.encodes_audio),
            )
            if stream is not None and encoded and stream.codec_context.is_open
        ]
        for stream in encoders:
            for packet in stream.encode(None):
                self._mux(packet)
        self._out.close()
        self._files.check()
        self._publish()

    def _describe(self) -> VariantInfo:
        """What this variant produces, measured from its encoders (or the input when copied)."""
        details = self._job.details
        width = height = 0
        framerate = 0.0
        video_bps = audio_bps = 0
        codecs: list[str] = []
        known_codecs = True
        if self._video_out is not None:
            if self.encodes_video:
                encoder = self._video_out.codec_context
                width, height = encoder.width, encoder.height
                framerate = float(self._fps)
                video_bps = self.variant.effective_video_bitrate * 1000
            else:
                assert self._video_in is not None
                source = self._video_in.codec_context
                width, height = source.width, source.height
                rate = self._video_in.average_rate
                framerate = details.framerate or (float(rate) if rate else 0.0)
                video_bps = int(details.video_bitrate * 1000) or (source.bit_rate or 0)
            video_out = self._video_out.codec_context
            codec = video_codec_string(video_out.codec.canonical_name, video_out.extradata)
            if codec is None:
                known_codecs = False  # better no CODECS than one that hides the video
            else:
                codecs.append(codec)
        if self._audio_out is not None:
            if self.encodes_audio:
                audio_bps = self.variant.audio_bitrate * 1000
                codecs.append(audio_codec_string("aac", self._audio_out.codec_context.extradata))
            else:
                assert self._audio_in is not None
                audio = self._audio_in.codec_context
                audio_bps = audio.bit_rate or int(details.audio_bitrate * 1000)
                codecs.append(audio_codec_string(audio.name, audio.extradata))
        return VariantInfo(
            index=self.index,
            bandwidth=video_bps + audio_bps,
            width=width,
            height=height,
            codecs=",".join(codecs) if known_codecs else "",
            framerate=framerate,
        )
