"""Helpers shared by the benchmarks (not a benchmark itself: ``./run bench`` skips ``_*.py``):
FLV tags, fed at the pace of their timestamps as a publisher sends them, and a transcoder
listener that records errors and ignores the rest."""

from __future__ import annotations

import asyncio
import compileall
import struct
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import owncast_adapters
import owncast_core
from owncast_core.ports.video import SegmentInfo, VariantInfo

FLV_VIDEO_TAG = 9


def compile_sources() -> None:
    """Bring the bytecode of our packages up to date, as an installed package has it.

    The transcoder child imports them afresh at every start; with ``PYTHONDONTWRITEBYTECODE``
    set (or a read-only checkout) a stale ``.pyc`` would be compiled again in every run
    (0.04-0.05 s of CPU), which is the benchmark's set-up and not what a user's server does."""
    for package in (owncast_core, owncast_adapters):
        compileall.compile_dir(str(Path(package.__file__).parent), quiet=1)


def flv_tags(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """``(tag type, timestamp ms, bytes)`` per FLV tag; the file header comes as type 0."""
    header_size = struct.unpack(">I", data[5:9])[0] + 4  # header + PreviousTagSize0
    yield 0, 0, data[:header_size]
    pos = header_size
    while pos + 11 <= len(data):
        kind = data[pos] & 0x1F
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        stamp = int.from_bytes(data[pos + 4 : pos + 7], "big") | (data[pos + 7] << 24)
        end = pos + 11 + size + 4
        yield kind, stamp, data[pos:end]
        pos = end


def paced_tags(data: bytes) -> Iterator[tuple[int, bytes]]:
    """``(tag type, bytes)`` per FLV tag, each when its timestamp comes due (sleeps in between)."""
    start = time.perf_counter()
    for kind, stamp, tag in flv_tags(data):
        if (delay := start + stamp / 1000 - time.perf_counter()) > 0:
            time.sleep(delay)
        yield kind, tag


async def paced_tags_async(data: bytes) -> AsyncIterator[tuple[int, bytes]]:
    """``paced_tags`` for an event loop (``asyncio.sleep`` in between)."""
    start = time.perf_counter()
    for kind, stamp, tag in flv_tags(data):
        if (delay := start + stamp / 1000 - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        yield kind, tag


class QuietListener:
    """A ``TranscoderListener`` that keeps the error messages and ignores every other call."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    async def segment_written(self, segment: SegmentInfo) -> None:
        pass

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        pass

    async def master_playlist_written(self, path: str, variants: tuple[VariantInfo, ...]) -> None:
        pass

    async def thumbnail_written(self, path: str) -> None:
        pass

    async def transcoder_error(self, message: str, *, fatal: bool) -> None:
        self.errors.append(message)

    async def transcoder_exited(self, returncode: int) -> None:
        pass
