"""HLS playlists: reading the variant playlists the muxer writes, writing the master (pure I/O).

``PlaylistWatcher`` notices when the ``hls`` muxer replaced a variant playlist and tells which
segments are new; ``master_playlist_text`` / ``write_atomically`` produce ``stream.m3u8``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from owncast_core.ports.video import SegmentInfo, VariantInfo


@dataclass(frozen=True, slots=True)
class MediaSegment:
    """One entry of a media playlist: its URI as written and its ``#EXTINF`` duration."""

    uri: str
    duration: float


def parse_media_playlist(text: str) -> list[MediaSegment]:
    """The segments a media playlist lists, in order (tags other than ``#EXTINF`` ignored)."""
    segments: list[MediaSegment] = []
    duration: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXTINF:"):
            value = line[len("#EXTINF:") :].split(",", 1)[0]
            try:
                duration = float(value)
            except ValueError:
                duration = 0.0
        elif not line.startswith("#") and duration is not None:
            segments.append(MediaSegment(uri=line, duration=duration))
            duration = None
    return segments


class PlaylistWatcher:
    """Follows one variant playlist on disk and reports segments as they get listed.

    ``poll`` is cheap when nothing changed (one ``stat``). Not thread-safe: one variant
    thread owns it.
    """

    def __init__(self, variant: int, path: str) -> None:
        self._variant = variant
        self._path = path
        self._dir = os.path.dirname(path)
        self._stamp: tuple[int, int, int] | None = None
        self._announced: set[str] = set()

    @property
    def path(self) -> str:
        return self._path

    def poll(self) -> tuple[list[SegmentInfo], bool]:
        """``(new segments, changed)``: segments listed for the first time since the last
        poll, and whether the playlist file was replaced at all."""
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return [], False
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return [], False
        self._stamp = stamp
        with open(self._path, encoding="utf-8") as f:
            listed = parse_media_playlist(f.read())
        fresh = [
            SegmentInfo(self._variant, os.path.join(self._dir, s.uri), s.duration)
            for s in listed
            if s.uri not in self._announced
        ]
        self._announced = {s.uri for s in listed}
        return fresh, True


def master_playlist_text(variants: Sequence[VariantInfo]) -> str:
    """The master playlist for ``variants`` (variant ``i`` lives at ``i/stream.m3u8``)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for v in variants:
        attrs = [f"BANDWIDTH={v.bandwidth}"]
        if v.width and v.height:
            attrs.append(f"RESOLUTION={v.width}x{v.height}")
        if v.codecs:
            attrs.append(f'CODECS="{v.codecs}"')
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        lines.append(f"{v.index}/stream.m3u8")
    return "\n".join(lines) + "\n"


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename,
    so readers see the old or the new file, never a partial one. Raises ``OSError``."""
    directory = os.path.dirname(path) or "."
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.close(fd)
        fd = -1
        os.replace(temp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
