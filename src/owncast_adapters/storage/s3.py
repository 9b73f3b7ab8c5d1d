"""``VideoStorage`` on an S3-compatible bucket (Owncast's ``s3Storage.go`` behaviour, made robust)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from owncast_adapters.storage.hls_paths import (
    PLAYLIST_TYPE,
    check_hls_path,
    content_type,
    playlist_entries,
    reset_hls_tree,
)
from owncast_adapters.storage.hls_text import absolute_master, drop_leading_segments, with_endlist
from owncast_adapters.storage.s3_bucket import Aioboto3Bucket, ObjectStore, S3Settings, StoredObject
from owncast_adapters.storage.upload_queue import Outcome, UploadQueue
from owncast_core.errors import NotFoundError, StorageError
from owncast_core.ports.video import HlsFile, SegmentInfo

PLAYLIST_CACHE_CONTROL = "no-cache, no-store, must-revalidate"
SEGMENT_CACHE_CONTROL = "max-age=31557600"  # segment names are unique per broadcast: immutable
CLEANUP_MARGIN = 20  # segments kept in the bucket beyond the playlist size (as Owncast)
_RECENT_NAMES = 512
_SEGMENT_NUMBER = re.compile(r"(\d+)\.ts$")


@dataclass(eq=False, slots=True)
class _Upload:
    """One file to put: a segment (read from ``path``) or a playlist snapshot (``body``)."""

    variant: int
    name: str
    key: str
    generation: int
    path: str | None = None
    body: bytes | None = None


class _RecentNames:
    """An insertion-ordered set remembering the newest ``limit`` names."""

    def __init__(self, limit: int = _RECENT_NAMES) -> None:
        self._names: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def add(self, name: str) -> None:
        self._names[name] = None
        self._names.move_to_end(name)
        while len(self._names) > self._limit:
            self._names.popitem(last=False)

    def __contains__(self, name: object) -> bool:
        return name in self._names


@dataclass(slots=True)
class _Variant:
    """Upload bookkeeping of one variant during one broadcast."""

    pending: OrderedDict[str, _Upload] = field(default_factory=OrderedDict)  # segments not settled
    uploaded: _RecentNames = field(default_factory=_RecentNames)
    lost: _RecentNames = field(default_factory=_RecentNames)  # dropped or given up: never listed
    latest: bytes | None = None  # newest playlist the transcoder wrote
    wanted: bytes | None = None  # newest playlist not yet handed to the queue
    sending: _Upload | None = None  # the playlist upload in the queue (at most one)
    published: bytes | None = None


class S3VideoStorage:
    """Uploads the HLS output to a bucket; viewers fetch it from there (or a CDN in front).

    Behaviour (Owncast v0.2 ``s3Storage.go``, plus fault tolerance):

    - Each reported segment goes into a background upload queue (``segment_written`` returns at
      once: the transcoder is never blocked) under ``[pathPrefix/]hls/<i>/<file>`` with the
      configured ACL (default ``public-read``), ``video/mp2t`` and ``max-age``; the local file is
      deleted afterwards, whether the upload worked or not.
    - A variant playlist is uploaded (``application/x-mpegURL``, ``no-cache, no-store,
      must-revalidate``) only once every segment it names is in the bucket; while one is still
      pending, the playlist waits (only the newest waiting version is kept, and versions reach
      the bucket in order). Segments that are lost (dropped or given up) are never named: the
      published playlist starts after the last lost one, its media sequence advanced.
    - Each file gets at most ``max_attempts`` tries with exponential backoff; failures are
      logged naming the bucket and endpoint. While uploads are failing, at most
      ``max_pending_segments`` segments per variant wait on local disk: beyond that the oldest
      waiting one is dropped. Uploads resume by themselves when the bucket answers again.
    - The master playlist is not uploaded: it is kept with absolute variant URLs
      (``servingEndpoint``, else ``<endpoint>/<bucket>``, + ``[pathPrefix]/hls/<i>/stream.m3u8``)
      and served by ``get("stream.m3u8")``; every other path is ``NotFoundError`` here.
    - ``cleanup`` deletes ``.ts`` objects under the HLS prefix beyond the newest
      ``playlist_segments + 20`` per variant (never one a current playlist names).
    - ``close`` waits up to ``drain_timeout`` seconds for pending uploads, then stops.
    """

    def __init__(
        self,
        *,
        settings: S3Settings,
        hls_dir: str | Path,
        playlist_segments: int = 3,
        max_pending_segments: int = 16,
        upload_workers: int = 4,
        max_attempts: int = 5,
        backoff: float = 0.5,
        drain_timeout: float = 10.0,
        bucket: ObjectStore | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._settings = settings
        self._root = Path(hls_dir)
        self._keep = playlist_segments + CLEANUP_MARGIN
        self._max_pending = max(1, max_pending_segments)
        self._drain_timeout = drain_timeout
        self._bucket = bucket or Aioboto3Bucket(settings=settings)
        self._log = logger or logging.getLogger("owncast.storage.s3")
        self._queue: UploadQueue[_Upload] = UploadQueue(
            attempt=self._put,
            finished=self._settled,
            describe=lambda job: job.key,
            wanted=self._still_wanted,
            target=settings.describe(),
            workers=upload_workers,
            max_attempts=max_attempts,
            backoff=backoff,
            logger=self._log,
        )
        self._generation = 0
        self._variants: dict[int, _Variant] = {}
        self._master: HlsFile | None = None
        self._probe: asyncio.Task[None] | None = None
        self._dropping = False
        self._closed = False

    @property
    def settings(self) -> S3Settings:
        return self._settings

    @property
    def pending_segments(self) -> int:
        """Segments reported but not yet uploaded or given up (their files are on local disk)."""
        return sum(len(v.pending) for v in self._variants.values())

    # VideoStorage ----------------------------------------------------------------------------
    async def setup(self) -> None:
        """Forget the previous broadcast, empty the local HLS tree, open the bucket client.

        Raises ``StorageError`` only for settings the client cannot use; an unreachable bucket is
        logged (from a background check) and does not stop the stream.
        """
        if self._closed:
            raise StorageError("this S3 storage is closed")
        self._generation += 1
        for job in self._queue.waiting():
            self._queue.discard(job)
        self._variants.clear()
        self._master = None
        await asyncio.to_thread(reset_hls_tree, self._root)
        await self._bucket.open()
        self._queue.start()
        self._log.info("uploading HLS to %s under %s; viewers fetch it from %s", self._settings.describe(),
                       self._settings.hls_prefix, self._settings.public_base)
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._check_reachable(), name="s3-probe")

    async def segment_written(self, segment: SegmentInfo) -> None:
        rel = self._relative(segment.path)
        variant = self._variant(segment.variant)
        name = rel.rsplit("/", 1)[-1]
        key = self._settings.hls_prefix + rel
        job = _Upload(segment.variant, name, key, self._generation, path=segment.path)
        variant.pending[name] = job
        self._queue.submit(job)
        self._bound(segment.variant, variant)

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        self._relative(path)
        body = await _read(path)
        state = self._variant(variant)
        state.latest = state.wanted = body
        self._publish(variant, state)

    async def master_playlist_written(self, path: str) -> None:
        text = (await _read(path)).decode("utf-8", errors="replace")
        base = f"{self._settings.public_base}/{self._settings.hls_prefix}"
        self._master = HlsFile(absolute_master(text, base).encode(), PLAYLIST_TYPE)

    async def get(self, relative_path: str) -> HlsFile:
        rel = check_hls_path(relative_path)
        if rel == "stream.m3u8" and self._master is not None:
            return self._master
        raise NotFoundError(f"{relative_path} is served from {self._settings.public_base}")

    async def stream_ended(self, variant_count: int) -> None:
        for index in range(variant_count):
            state = self._variant(index)
            body = state.latest
            if body is None:
                try:
                    body = await _read(str(self._root / str(index) / "stream.m3u8"))
                except StorageError:
                    continue
            state.latest = state.wanted = with_endlist(body)
            self._publish(index, state)

    async def cleanup(self) -> None:
        """Delete old segment objects (see the class docstring); raises ``StorageError``."""
        objects = await self._bucket.list(self._settings.hls_prefix)
        doomed = self._expired(objects)
        if doomed:
            self._log.debug("deleting %d old segments from %s", len(doomed), self._settings.describe())
            await self._bucket.delete(doomed)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for index, state in self._variants.items():
            self._publish(index, state)
        if not await self._queue.join(self._drain_timeout):
            self._log.warning(
                "%d uploads to %s still pending after %.0f s; giving them up",
                self._queue.busy, self._settings.describe(), self._drain_timeout,
            )
        await self._queue.close()
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        await self._bucket.close()

    # uploads ---------------------------------------------------------------------------------
    async def _put(self, job: _Upload) -> None:
        if job.body is not None:
            await self._bucket.put(job.key, job.body, content_type=PLAYLIST_TYPE,
                                   cache_control=PLAYLIST_CACHE_CONTROL)
            return
        assert job.path is not None
        try:
            body = await asyncio.to_thread(Path(job.path).read_bytes)
        except FileNotFoundError:  # not retried: the transcoder dropped it from its window
            raise FileNotFoundError(f"{job.path} left the local disk before it could be uploaded") from None
        await self._bucket.put(job.key, body, content_type=content_type(job.key),
                               cache_control=SEGMENT_CACHE_CONTROL)

    def _still_wanted(self, job: _Upload) -> bool:
        if job.generation != self._generation:
            return False
        # A playlist version is moot once a newer one waits for its turn.
        return job.body is None or self._variant(job.variant).wanted is None

    def _settled(self, job: _Upload, outcome: Outcome, error: BaseException | None) -> None:
        """Queue callback: record how an upload ended and publish what became publishable."""
        if job.path is not None:
            with contextlib.suppress(OSError):
                os.unlink(job.path)
        if job.generation != self._generation:
            return
        state = self._variant(job.variant)
        if job.body is not None:
            state.sending = None
            if outcome is Outcome.DONE:
                state.published = job.body
            elif state.wanted is None and outcome is Outcome.FAILED:
                state.wanted = job.body  # offered again on the variant's next event
                return
        else:
            state.pending.pop(job.name, None)
            if outcome is Outcome.DONE:
                state.uploaded.add(job.name)
                self._dropping = self._dropping and bool(state.pending)  # warn again after catching up
            else:
                state.lost.add(job.name)
        if not self._closed or outcome is not Outcome.DISCARDED:
            self._publish(job.variant, state)

    def _publish(self, index: int, state: _Variant) -> None:
        """Queue the newest playlist of a variant if every segment it names is uploaded."""
        if state.sending is not None or state.wanted is None:
            return
        text = state.wanted.decode("utf-8", errors="replace")
        names = playlist_entries(text)
        last_lost = max((i for i, n in enumerate(names) if n in state.lost), default=-1)
        if last_lost >= 0:
            text = drop_leading_segments(text, last_lost + 1)
            names = names[last_lost + 1:]
        if not names or not all(n in state.uploaded for n in names):
            return
        state.wanted = None
        key = f"{self._settings.hls_prefix}{index}/stream.m3u8"
        state.sending = _Upload(index, "stream.m3u8", key, self._generation, body=text.encode())
        self._queue.submit(state.sending)

    def _bound(self, index: int, state: _Variant) -> None:
        """Drop the oldest waiting segments of a variant beyond ``max_pending_segments``."""
        for job in list(state.pending.values()):
            if len(state.pending) <= self._max_pending:
                return
            if self._queue.discard(job):
                if not self._dropping:
                    self._dropping = True
                    self._log.warning(
                        "uploads to %s are behind: dropping the oldest waiting segments of variant %d "
                        "(at most %d wait on local disk); playlists will skip them",
                        self._settings.describe(), index, self._max_pending,
                    )

    async def _check_reachable(self) -> None:
        try:
            await self._bucket.check()
        except StorageError as exc:
            self._log.warning("%s; segments will be uploaded once it answers", exc)

    # cleanup ---------------------------------------------------------------------------------
    def _expired(self, objects: list[StoredObject]) -> list[str]:
        prefix = self._settings.hls_prefix
        by_variant: dict[int, list[StoredObject]] = defaultdict(list)
        for obj in objects:
            variant, _, name = obj.key[len(prefix):].partition("/")
            if variant.isdigit() and name.endswith(".ts") and "/" not in name:
                by_variant[int(variant)].append(obj)
        doomed: list[str] = []
        for index, found in by_variant.items():
            state = self._variants.get(index)
            keep = self._keep if state is not None else 0
            protected = self._named(state) if state is not None else set()
            found.sort(key=lambda o: (o.last_modified, _segment_number(o.key)), reverse=True)
            doomed += [o.key for o in found[keep:] if o.key.rsplit("/", 1)[-1] not in protected]
        return doomed

    @staticmethod
    def _named(state: _Variant) -> set[str]:
        names = set(state.pending)
        for body in (state.latest, state.wanted, state.published):
            if body is not None:
                names.update(playlist_entries(body.decode("utf-8", errors="replace")))
        return names

    # helpers ---------------------------------------------------------------------------------
    def _variant(self, index: int) -> _Variant:
        return self._variants.setdefault(index, _Variant())

    def _relative(self, path: str) -> str:
        try:
            rel = Path(path).resolve().relative_to(self._root.resolve()).as_posix()
            return check_hls_path(rel)
        except (ValueError, NotFoundError) as exc:
            raise StorageError(f"{path} is not an HLS file under {self._root}") from exc


def _segment_number(key: str) -> int:
    match = _SEGMENT_NUMBER.search(key)
    return int(match.group(1)) if match else -1


async def _read(path: str) -> bytes:
    try:
        return await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc}") from exc

