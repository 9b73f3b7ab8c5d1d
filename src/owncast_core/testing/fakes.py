"""In-memory fakes of the core ports, for unit tests of services.

Every fake here passes the same contract suite (``owncast_core.testing.contracts``) as the real
adapter of its port; ``tests/contract/`` binds them.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import logging
import os
import shutil
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping

from pathlib import Path

from owncast_core.domain.stream import TranscodeJob
from owncast_core.errors import NotFoundError, TranscoderGone, ValidationError
from owncast_core.ports.bus import EventHandler
from owncast_core.ports.repositories import JsonValue
from owncast_core.ports.video import HlsFile, SegmentInfo, TranscoderListener, VariantInfo


class InMemoryConfigRepository:
    """``ConfigRepository`` kept in a dict (values deep-copied through JSON)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def get(self, key: str) -> JsonValue:
        try:
            return json.loads(self._values[key])
        except KeyError:
            raise NotFoundError(f"no configuration value for {key!r}") from None

    async def set(self, key: str, value: JsonValue) -> None:
        await self.set_many({key: value})

    async def set_many(self, values: Mapping[str, JsonValue]) -> None:
        try:
            encoded = {k: json.dumps(v, allow_nan=False) for k, v in values.items()}
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"configuration values must be JSON: {exc}") from exc
        async with self._lock:
            self._values.update(encoded)

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def all(self) -> dict[str, JsonValue]:
        return {k: json.loads(v) for k, v in self._values.items()}


class FakeClock:
    """A ``Clock`` that only moves when told (``advance``)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


class SequentialIds:
    """An ``IdGenerator`` returning ``id1``, ``id2``, ... (and ``SecretGenerator`` ``tok1``...)."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._n = 0

    def new_id(self) -> str:
        self._n += 1
        return f"{self._prefix}{self._n}"

    def token(self, nbytes: int = 32) -> str:
        self._n += 1
        return f"tok{self._n}".ljust(nbytes, "x")


class PlainPasswordHasher:
    """A fast ``PasswordHasher`` for tests (salted SHA-256; never use in production)."""

    def hash(self, password: str) -> str:
        return "sha256$" + hashlib.sha256(b"salt:" + password.encode()).hexdigest()

    def verify(self, password: str, hashed: str) -> bool:
        return hmac.compare_digest(self.hash(password), hashed)


class InMemoryEventBus:
    """An ``EventBus`` delivering in-process, in subscription order; records what was published."""

    def __init__(self) -> None:
        self._handlers: list[EventHandler] = []
        self.published: list[object] = []
        self._log = logging.getLogger("owncast.bus")

    async def publish(self, event: object) -> None:
        self.published.append(event)
        for handler in list(self._handlers):
            try:
                await handler(event)
            except Exception:
                self._log.exception("event handler failed for %s", type(event).__name__)

    def subscribe(self, handler: EventHandler) -> Callable[[], None]:
        self._handlers.append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return unsubscribe

    def of_type(self, kind: type) -> list[object]:
        return [copy.copy(e) for e in self.published if isinstance(e, kind)]


class InMemoryVideoStorage:
    """``VideoStorage`` holding published files in a dict; serves every HLS path it was given.

    Mirrors ``LocalVideoStorage`` semantics without a cache policy: a reported file is read once
    and kept until ``setup`` (which also empties ``root`` on disk, as a new broadcast does).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.files: dict[str, HlsFile] = {}
        self.events: list[tuple[str, str]] = []
        self.closed = 0

    def _rel(self, path: str) -> str:
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()

    def _keep(self, path: str, kind: str) -> None:
        rel = self._rel(path)
        ctype = "application/x-mpegURL" if rel.endswith(".m3u8") else "video/mp2t"
        self.files[rel] = HlsFile(Path(path).read_bytes(), ctype)
        self.events.append((kind, rel))

    async def setup(self) -> None:
        self.files.clear()
        if self.root.exists():
            for child in self.root.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        self.root.mkdir(parents=True, exist_ok=True)

    async def segment_written(self, segment: SegmentInfo) -> None:
        self._keep(segment.path, "segment")

    async def variant_playlist_written(self, variant: int, path: str) -> None:
        self._keep(path, "playlist")

    async def master_playlist_written(self, path: str) -> None:
        self._keep(path, "master")

    async def get(self, relative_path: str) -> HlsFile:
        if ".." in relative_path or not relative_path.endswith((".m3u8", ".ts")):
            raise NotFoundError(relative_path)
        try:
            return self.files[relative_path]
        except KeyError:
            raise NotFoundError(relative_path) from None

    async def stream_ended(self, variant_count: int) -> None:
        for index in range(variant_count):
            path = self.root / str(index) / "stream.m3u8"
            if not path.exists():
                continue
            text = path.read_bytes()
            if b"#EXT-X-ENDLIST" not in text:
                path.write_bytes(text.rstrip(b"\n") + b"\n#EXT-X-ENDLIST\n")
            self._keep(str(path), "playlist")

    async def cleanup(self) -> None:
        listed: set[str] = set()
        for rel, item in self.files.items():
            if rel.endswith("/stream.m3u8"):
                prefix = rel.rsplit("/", 1)[0]
                listed |= {f"{prefix}/{line}" for line in item.body.decode(errors="replace").splitlines()
                           if line and not line.startswith("#")}
        for rel in [r for r in self.files if r.endswith(".ts") and r not in listed]:
            del self.files[rel]

    async def close(self) -> None:
        self.closed += 1


class FakeTranscoder:
    """``Transcoder`` that treats input as opaque bytes and writes tiny fake HLS files.

    Every ``bytes_per_segment`` bytes written become one segment per variant (reported before
    the playlist that names it); the master playlist is written with the first segment. ``close``
    ends the session with exit code 0; ``crash`` simulates a child dying with code 1.
    """

    def __init__(self, *, bytes_per_segment: int = 1000) -> None:
        self.bytes_per_segment = bytes_per_segment
        self.sessions: list[FakeTranscodeSession] = []

    async def start(self, job: TranscodeJob, listener: TranscoderListener) -> FakeTranscodeSession:
        session = FakeTranscodeSession(job, listener, self.bytes_per_segment)
        self.sessions.append(session)
        return session


class FakeTranscodeSession:
    """The session of ``FakeTranscoder`` (see there)."""

    def __init__(self, job: TranscodeJob, listener: TranscoderListener, bytes_per_segment: int) -> None:
        self.job = job
        self._listener = listener
        self._per_segment = bytes_per_segment
        self._pending = 0
        self._segments = 0
        self._running = True
        self.received = 0
        self.stopped = False

    @property
    def running(self) -> bool:
        return self._running

    async def write(self, data: bytes) -> None:
        if not self._running:
            raise TranscoderGone("fake transcoder has exited")
        self.received += len(data)
        self._pending += len(data)
        while self._pending >= self._per_segment:
            self._pending -= self._per_segment
            await self._emit_segment()

    async def _emit_segment(self) -> None:
        root = Path(self.job.output_dir)
        n = self._segments
        self._segments += 1
        for index, variant in enumerate(self.job.variants):
            vdir = root / str(index)
            vdir.mkdir(parents=True, exist_ok=True)
            name = f"stream-{self.job.segment_prefix}-{n}.ts"
            (vdir / name).write_bytes(b"G" * 188)
            await self._listener.segment_written(
                SegmentInfo(variant=index, path=str(vdir / name), duration=float(self.job.latency.segment_seconds))
            )
            first = max(0, n + 1 - self.job.latency.playlist_segments)
            names = [f"stream-{self.job.segment_prefix}-{i}.ts" for i in range(first, n + 1)]
            body = "#EXTM3U\n#EXT-X-VERSION:3\n" + "".join(f"#EXTINF:1.0,\n{x}\n" for x in names)
            (vdir / "stream.m3u8").write_text(body)
            await self._listener.variant_playlist_written(index, str(vdir / "stream.m3u8"))
        if n == 0:
            infos = tuple(
                VariantInfo(index=i, bandwidth=v.effective_video_bitrate * 1000, width=640, height=360,
                            codecs="avc1.64001e,mp4a.40.2", framerate=float(v.effective_framerate))
                for i, v in enumerate(self.job.variants)
            )
            lines = ["#EXTM3U"] + [
                f"#EXT-X-STREAM-INF:BANDWIDTH={i.bandwidth},RESOLUTION=640x360\n{i.index}/stream.m3u8"
                for i in infos
            ]
            (root / "stream.m3u8").write_text("\n".join(lines) + "\n")
            await self._listener.master_playlist_written(str(root / "stream.m3u8"), infos)

    async def close(self) -> None:
        await self._exit(0)

    async def crash(self) -> None:
        await self._exit(1)

    async def stop(self) -> None:
        self.stopped = True
        await self._exit(0)

    async def _exit(self, code: int) -> None:
        if not self._running:
            return
        self._running = False
        await self._listener.transcoder_exited(code)
