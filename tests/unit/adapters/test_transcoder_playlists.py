"""Variant playlist parsing and watching, master playlist text, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from owncast_adapters.video.transcoder.playlists import (
    MediaSegment,
    PlaylistWatcher,
    master_playlist_text,
    parse_media_playlist,
    write_atomically,
)
from owncast_core.ports.video import SegmentInfo, VariantInfo

PLAYLIST = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:5
#EXT-X-INDEPENDENT-SEGMENTS
#EXTINF:1.000000,
#EXT-X-PROGRAM-DATE-TIME:2026-11-27T22:04:49.220+0000
stream-abc-5.ts
#EXTINF:0.966667,
#EXT-X-PROGRAM-DATE-TIME:2026-11-27T22:04:50.220+0000
stream-abc-6.ts
"""


def test_parse_media_playlist() -> None:
    assert parse_media_playlist(PLAYLIST) == [
        MediaSegment("stream-abc-5.ts", 1.0),
        MediaSegment("stream-abc-6.ts", 0.966667),
    ]
    assert parse_media_playlist("#EXTM3U\n") == []
    assert parse_media_playlist("#EXTM3U\nstray.ts\n") == []  # a URI needs its #EXTINF


def write_playlist(path: Path, *segments: str) -> None:
    body = "".join(f"#EXTINF:1.000000,\n{name}\n" for name in segments)
    write_atomically(str(path), ("#EXTM3U\n" + body).encode())


def test_watcher_reports_each_segment_once_and_only_changes(tmp_path: Path) -> None:
    path = tmp_path / "stream.m3u8"
    watcher = PlaylistWatcher(2, str(path))
    assert watcher.poll() == ([], False)  # not written yet

    write_playlist(path, "s-0.ts")
    assert watcher.poll() == ([SegmentInfo(2, str(tmp_path / "s-0.ts"), 1.0)], True)
    assert watcher.poll() == ([], False)  # unchanged

    write_playlist(path, "s-0.ts", "s-1.ts", "s-2.ts")
    new, changed = watcher.poll()
    assert changed
    assert [os.path.basename(s.path) for s in new] == ["s-1.ts", "s-2.ts"]

    write_playlist(path, "s-1.ts", "s-2.ts")  # the window slides: nothing new, but rewritten
    assert watcher.poll() == ([], True)


def test_master_playlist_text() -> None:
    text = master_playlist_text(
        [
            VariantInfo(0, 1_328_000, 1280, 720, "avc1.64001f,mp4a.40.2", 30.0),
            VariantInfo(1, 64_000, 0, 0, "mp4a.40.2", 0.0),
        ]
    )
    assert text == (
        "#EXTM3U\n"
        "#EXT-X-VERSION:3\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=1328000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"\n'
        "0/stream.m3u8\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.2"\n'
        "1/stream.m3u8\n"
    )


def test_write_atomically_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "stream.m3u8"
    target.write_text("old")
    inode = target.stat().st_ino
    write_atomically(str(target), b"new")
    assert target.read_text() == "new"
    assert target.stat().st_ino != inode  # a rename, not an in-place rewrite
    assert os.listdir(tmp_path) == ["stream.m3u8"]


def test_write_atomically_cleans_up_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "dir-in-the-way"
    (target / "child").mkdir(parents=True)  # os.replace onto a non-empty directory fails
    with pytest.raises(OSError):
        write_atomically(str(target), b"data")
    assert sorted(os.listdir(tmp_path)) == ["dir-in-the-way"]
