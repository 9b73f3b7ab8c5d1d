"""Periodic JPEG snapshots and 1 s animated GIF previews of the decoded stream (fed by the
child's decode thread)."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import cast

import av
import av.filter
from av.video.format import VideoFormat
from av.video.frame import VideoFrame
from av.video.reformatter import Interpolation, VideoReformatter

from owncast_adapters.video.transcoder.frames import copy_frame
from owncast_adapters.video.transcoder.playlists import write_atomically

logger = logging.getLogger(__name__)


def encode_jpeg(frame: VideoFrame) -> bytes:
    """The frame as a full-size JPEG (PyAV's ``mjpeg`` encoder, good quality)."""
    image = frame.reformat(format="yuvj420p")
    if image is frame:  # never retime a frame other threads are encoding
        image = copy_frame(frame)
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width = image.width
    encoder.height = image.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 1)
    encoder.options = {"qmin": "2", "qmax": "6"}
    image.pts = 0
    image.time_base = encoder.time_base
    packets = list(encoder.encode(image)) + list(encoder.encode(None))
    return b"".join(bytes(p) for p in packets)


class Thumbnailer:
    """Writes ``path`` from an offered frame when one is due: at the first frame, then every
    ``interval`` seconds. The file is replaced atomically (temp file + rename).

    ``offer`` returns the path when it wrote the file and raises ``OSError`` when it could not
    (the caller decides whether that is fatal).
    """

    def __init__(self, path: str, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._path = path
        self._interval = max(interval, 0.5)
        self._clock = clock
        self._due = float("-inf")

    def offer(self, frame: VideoFrame) -> str | None:
        """Write the thumbnail from ``frame`` if it is time; the path written or ``None``."""
        now = self._clock()
        if now < self._due:
            return None
        self._due = now + self._interval
        try:
            data = encode_jpeg(frame)
        except av.error.FFmpegError as exc:
            logger.warning("could not encode a thumbnail: %s", exc)
            return None
        write_atomically(self._path, data)
        return self._path


PREVIEW_FPS = 8
PREVIEW_FRAMES = 8  # 1 s
PREVIEW_WIDTH = 480


def encode_gif(frames: list[VideoFrame], fps: int = PREVIEW_FPS) -> bytes:
    """An animated GIF of ``frames`` (all the same size, yuv420p) at ``fps``, with one palette
    made for these frames (``palettegen`` + ``paletteuse``, as Owncast's ffmpeg command).

    It retimes the frames (``pts``, ``time_base``): they must be the caller's own."""
    width, height = frames[0].width, frames[0].height
    graph = av.filter.Graph()
    source = graph.add_buffer(
        width=width, height=height, format=VideoFormat("yuv420p"), time_base=Fraction(1, fps)
    )
    split, palette, use, sink = graph.add("split"), graph.add("palettegen"), graph.add("paletteuse"), graph.add(
        "buffersink"
    )
    source.link_to(split)
    split.link_to(palette, 0, 0)
    split.link_to(use, 1, 0)
    palette.link_to(use, 0, 1)
    use.link_to(sink)
    graph.configure()
    for i, frame in enumerate(frames):
        frame.pts = i
        frame.time_base = Fraction(1, fps)
        source.push(frame)
    source.push(None)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="gif") as out:
        stream = out.add_stream("gif", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "pal8"
        while True:
            try:
                image = cast(VideoFrame, sink.pull())
            except (av.error.BlockingIOError, av.error.EOFError):
                break
            out.mux(stream.encode(image))
        out.mux(stream.encode(None))
    return buffer.getvalue()


class PreviewMaker:
    """Writes ``path``, a 1 s animated GIF (8 fps, 480 wide), after each ``start``.

    The decode thread calls ``start`` when a thumbnail was written and ``offer`` with every
    decoded frame; frames 1/8 s apart in stream time are scaled down as they come (cheap), and
    the GIF is made and written (atomically) on a worker thread, so the decode thread never
    waits for it. A round is skipped while the previous GIF is still being made. Failures
    are logged and never fatal: the preview is an extra.

    Offered frames are only read, never changed or kept: a variant thread may be encoding the
    very same frame, retiming it as it goes (so its ``pts`` is not the input time either).
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._scaler = VideoReformatter()
        self._frames: list[VideoFrame] = []
        self._collecting = False
        self._next_time = 0.0
        self._worker: threading.Thread | None = None

    @property
    def collecting(self) -> bool:
        """Whether frames are wanted now (a decoder skipping frames should decode them all)."""
        return self._collecting

    def start(self) -> None:
        """Collect the next second of frames (ignored while a GIF is still being made)."""
        if self._worker is not None and self._worker.is_alive():
            return
        self._frames = []
        self._collecting = True
        self._next_time = float("-inf")

    def offer(self, frame: VideoFrame, time: float | Fraction | None) -> None:
        """Take a copy of ``frame`` if it is the next one due; ``time``: its input time in
        seconds (``None``: unknown, not taken)."""
        if not self._collecting or time is None or time < self._next_time:
            return
        if self._next_time == float("-inf"):
            self._next_time = float(time)
        self._next_time += 1 / PREVIEW_FPS
        width = min(PREVIEW_WIDTH, frame.width) // 2 * 2
        height = max(2, round(frame.height * width / frame.width / 2) * 2)
        image = self._scaler.reformat(
            frame, width, height, "yuv420p", interpolation=Interpolation.BICUBIC, threads=1
        )
        if image is frame:  # already small: encode_gif must not retime the shared frame
            image = copy_frame(frame)
        self._frames.append(image)
        if len(self._frames) == PREVIEW_FRAMES:
            self._collecting = False
            frames, self._frames = self._frames, []
            self._worker = threading.Thread(target=self._write, args=(frames,), name="preview", daemon=True)
            self._worker.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a GIF being made (at the end of the stream)."""
        if self._worker is not None:
            self._worker.join(timeout)

    def _write(self, frames: list[VideoFrame]) -> None:
        try:
            write_atomically(self._path, encode_gif(frames))
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            logger.warning("could not write the preview %s: %s", self._path, exc)
