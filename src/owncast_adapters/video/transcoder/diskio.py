"""File I/O for the ``hls`` muxer that does not hide write errors.

FFmpeg's ``hls`` muxer ignores failed writes: on a full disk it goes on "writing" empty
segments and playlists. ``HlsFiles`` is given to the muxer as its ``io_open`` callback so every
segment and playlist byte goes through plain ``os.write`` here; the first failure is kept and
``check`` raises it, which the variant thread turns into a fatal "disk full" error.
"""

from __future__ import annotations

import errno
import os
import threading
from typing import Any

# EFBIG: a file size limit (RLIMIT_FSIZE) is hit; for a live stream that is as final as ENOSPC.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

_AVIO_FLAG_WRITE = 2
# A media playlist, written directly or (``temp_file`` flag) as ``.tmp`` then renamed.
PLAYLIST_SUFFIXES = (".m3u8", ".m3u8.tmp")


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it was raised from) means the disk is full."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "errno", None) in DISK_FULL_ERRNOS:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class _OutputFile:
    """A write-only file for the muxer; reports failures to its owner instead of raising
    into C (a negative return value is an AVERROR for FFmpeg)."""

    def __init__(self, owner: HlsFiles, path: str) -> None:
        self._owner = owner
        self._path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            self._owner.record(exc, self._path)
            return -(exc.errno or errno.EIO)
        return len(data)

    def close(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            os.close(fd)
        except OSError as exc:
            self._owner.record(exc, self._path)
        if self._path.endswith(PLAYLIST_SUFFIXES):
            self._owner.playlist_closed()


class _InputFile:
    """A read-only file for the muxer (only used if it re-reads a playlist)."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "rb")

    def read(self, size: int) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()


class HlsFiles:
    """``io_open`` callback for one output container, remembering the first write failure.

    ``playlist_writes`` counts the playlists the muxer finished writing, so its owner looks at
    the playlist only when it changed (not after every packet). Thread-safe for use by one
    container (the muxer calls it from the owning thread).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failure: OSError | None = None
        self._failed_path = ""
        self.playlist_writes = 0

    def playlist_closed(self) -> None:
        """The muxer closed a playlist it wrote (it is renamed into place right after)."""
        self.playlist_writes += 1

    def __call__(self, url: str, flags: int, options: dict[str, Any]) -> _OutputFile | _InputFile:
        path = url[len("file:") :] if url.startswith("file:") else url
        if flags & _AVIO_FLAG_WRITE:
            try:
                return _OutputFile(self, path)
            except OSError as exc:
                self.record(exc, path)
                raise
        return _InputFile(path)

    def record(self, exc: OSError, path: str) -> None:
        """Keep ``exc`` (the first one wins)."""
        with self._lock:
            if self._failure is None:
                self._failure = exc
                self._failed_path = path

    @property
    def failure(self) -> OSError | None:
        return self._failure

    def check(self) -> None:
        """Raise the first write failure, if any (``OSError`` with the path in ``filename``)."""
        failure = self._failure
        if failure is not None:
            raise OSError(failure.errno, failure.strerror, self._failed_path) from failure
