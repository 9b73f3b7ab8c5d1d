"""Periodic JPEG snapshots of the decoded stream (runs in the child's decode thread)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from fractions import Fraction

import av
from av.video.frame import VideoFrame

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
