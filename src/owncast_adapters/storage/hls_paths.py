"""HLS paths shared by every storage adapter: validation of what viewers ask for, content types,
playlist entries, and emptying the local HLS tree between broadcasts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from owncast_core.errors import NotFoundError

_SAFE = re.compile(r"^(?:\d{1,3}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(?:m3u8|ts)$")

PLAYLIST_TYPE = "application/x-mpegURL"
SEGMENT_TYPE = "video/mp2t"


def check_hls_path(relative_path: str) -> str:
    """Return ``relative_path`` if it names an HLS file (``stream.m3u8``, ``<i>/<name>.m3u8|.ts``).

    Anything else (other extensions, ``..``, absolute paths, nested dirs) raises ``NotFoundError``.
    """
    if not _SAFE.match(relative_path) or ".." in relative_path:
        raise NotFoundError(f"not an HLS file: {relative_path!r}")
    return relative_path


def content_type(relative_path: str) -> str:
    return PLAYLIST_TYPE if relative_path.endswith(".m3u8") else SEGMENT_TYPE


def playlist_entries(text: str) -> list[str]:
    """The URIs a playlist names (non-comment, non-empty lines)."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def reset_hls_tree(root: Path) -> None:
    """Create ``root`` or empty it (the previous broadcast's files go). Blocking: run in a thread."""
    root.mkdir(parents=True, exist_ok=True)
    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
