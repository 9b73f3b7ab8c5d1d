"""``RecordingStore`` on the local disk: one directory per recording under ``data/recordings/``.

Layout of ``<root>/<id>/``: ``recording.json`` (the metadata, ``Recording.to_json``, replaced
atomically), ``recording.ts`` (MPEG-TS appended while live), ``recording.mp4`` (the finished
file). ``finalize`` remuxes in a child process (``owncast_adapters.video.remux``, PyAV) into
``recording.mp4.part``, renames it, then deletes the TS; an interruption at any point leaves
either the TS or the MP4, so calling ``finalize`` again completes the job. All file work runs
in worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import errno
import json
import logging
import os
import shutil
import sys
from pathlib import Path

from owncast_core.domain.recordings import MediaInfo, Recording, check_recording_id, is_recording_id
from owncast_core.errors import DiskFullError, NotFoundError, StorageError, ValidationError

METADATA = "recording.json"
STREAM = "recording.ts"
MEDIA = "recording.mp4"
REMUX_MODULE = "owncast_adapters.video.remux"


class LocalRecordingStore:
    """Recordings under ``root`` (see the module docstring). ``remux_timeout`` bounds one remux
    (seconds); ``python`` is the interpreter that runs the remux child."""

    def __init__(self, *, root: str | Path, python: str = sys.executable, remux_timeout: float = 3600.0,
                 logger: logging.Logger | None = None) -> None:
        self._root = Path(root)
        self._python = python
        self._remux_timeout = remux_timeout
        self._log = logger or logging.getLogger("owncast.recordings")

    @property
    def root(self) -> Path:
        return self._root

    def _dir(self, recording_id: str) -> Path:
        if not is_recording_id(recording_id):
            raise NotFoundError("no such recording")
        return self._root / recording_id

    def _existing(self, recording_id: str) -> Path:
        directory = self._dir(recording_id)
        if not (directory / METADATA).is_file():
            raise NotFoundError(f"no recording {recording_id}")
        return directory

    # metadata ----------------------------------------------------------------------------------
    async def create(self, recording: Recording) -> None:
        check_recording_id(recording.id)
        await asyncio.to_thread(self._create, recording)

    def _create(self, recording: Recording) -> None:
        directory = self._root / recording.id
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            directory.mkdir()
        except FileExistsError:
            raise ValidationError(f"recording {recording.id} exists") from None
        except OSError as exc:
            raise _storage_error(f"cannot create {directory}", exc) from exc
        self._write_metadata(directory, recording)

    async def save(self, recording: Recording) -> None:
        await asyncio.to_thread(self._save, recording)

    def _save(self, recording: Recording) -> None:
        self._write_metadata(self._existing(recording.id), recording)

    def _write_metadata(self, directory: Path, recording: Recording) -> None:
        part = directory / (METADATA + ".part")
        try:
            with part.open("w", encoding="utf-8") as out:
                json.dump(recording.to_json(), out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, directory / METADATA)
        except OSError as exc:
            raise _storage_error(f"cannot save {directory / METADATA}", exc) from exc

    async def get(self, recording_id: str) -> Recording:
        return await asyncio.to_thread(self._get, recording_id)

    def _get(self, recording_id: str) -> Recording:
        directory = self._existing(recording_id)
        try:
            return Recording.from_json(json.loads((directory / METADATA).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot read {directory / METADATA}: {exc}") from exc

    async def list(self) -> list[Recording]:
        return await asyncio.to_thread(self._list)

    def _list(self) -> builtins.list[Recording]:
        found: builtins.list[Recording] = []
        try:
            entries = sorted(self._root.iterdir()) if self._root.is_dir() else []
        except OSError as exc:
            raise StorageError(f"cannot list {self._root}: {exc}") from exc
        for entry in entries:
            if not is_recording_id(entry.name) or not (entry / METADATA).is_file():
                continue
            try:
                found.append(self._get(entry.name))
            except StorageError as exc:  # one damaged entry does not hide the others
                self._log.warning("skipping a damaged recording: %s", exc)
        return sorted(found, key=lambda r: (r.started_at, r.id), reverse=True)

    # media -------------------------------------------------------------------------------------
    async def read_segment(self, path: str) -> bytes:
        try:
            return await asyncio.to_thread(Path(path).read_bytes)
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc}") from exc

    async def append(self, recording_id: str, data: bytes) -> None:
        directory = self._dir(recording_id)
        await asyncio.to_thread(self._append, directory, data)

    def _append(self, directory: Path, data: bytes) -> None:
        if not (directory / METADATA).is_file():
            raise NotFoundError(f"no recording {directory.name}")
        try:
            with (directory / STREAM).open("ab") as out:
                out.write(data)
        except OSError as exc:
            raise _storage_error(f"cannot write {directory / STREAM}", exc) from exc

    async def finalize(self, recording_id: str) -> MediaInfo:
        directory = await asyncio.to_thread(self._existing, recording_id)
        stream, media = directory / STREAM, directory / MEDIA
        if await asyncio.to_thread(_nonempty, stream):
            part = directory / (MEDIA + ".part")
            seconds = await self._run_remux(str(stream), str(part))
            try:
                await asyncio.to_thread(os.replace, part, media)
                await asyncio.to_thread(stream.unlink)
            except OSError as exc:
                raise _storage_error(f"cannot finish {media}", exc) from exc
        elif await asyncio.to_thread(media.is_file):
            seconds = await self._run_remux("--probe", str(media))
        else:
            raise StorageError(f"{directory} holds nothing to play")
        size = (await asyncio.to_thread(media.stat)).st_size
        return MediaInfo(duration_seconds=seconds, size_bytes=size)

    async def _run_remux(self, *args: str) -> float:
        try:
            process = await asyncio.create_subprocess_exec(
                self._python, "-m", REMUX_MODULE, *args,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise StorageError(f"cannot start the remux: {exc}") from exc
        try:
            out, err = await asyncio.wait_for(process.communicate(), self._remux_timeout)
        except (TimeoutError, asyncio.CancelledError):
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise
        if process.returncode != 0:
            reason = err.decode(errors="replace").strip().splitlines()
            raise StorageError(f"remux failed: {reason[-1] if reason else f'exit code {process.returncode}'}")
        try:
            return float(json.loads(out.decode().strip().splitlines()[-1])["duration"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise StorageError(f"remux gave no duration: {out[:200]!r}") from exc

    async def delete(self, recording_id: str) -> None:
        directory = await asyncio.to_thread(self._existing, recording_id)
        try:
            await asyncio.to_thread(shutil.rmtree, directory)
        except OSError as exc:
            raise StorageError(f"cannot delete {directory}: {exc}") from exc

    async def drop_media(self, recording_id: str) -> None:
        directory = await asyncio.to_thread(self._existing, recording_id)
        try:
            await asyncio.to_thread((directory / MEDIA).unlink, missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete {directory / MEDIA}: {exc}") from exc

    async def media_path(self, recording_id: str) -> str:
        media = self._dir(recording_id) / MEDIA
        if not await asyncio.to_thread(media.is_file):
            raise NotFoundError(f"recording {recording_id} has no finished file")
        return str(media)

    async def free_bytes(self) -> int:
        try:
            return await asyncio.to_thread(_free_bytes, self._root)
        except OSError as exc:
            raise StorageError(f"cannot measure free space in {self._root}: {exc}") from exc

    def location(self, recording_id: str) -> str:
        return f"{self._root / recording_id}/"


def _nonempty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _free_bytes(root: Path) -> int:
    probe = root
    while not probe.exists() and probe != probe.parent:  # before the first recording
        probe = probe.parent
    return shutil.disk_usage(probe).free


def _storage_error(what: str, exc: OSError) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"{what}: no space left on the device")
    return StorageError(f"{what}: {exc}")
