"""``EmojiStore`` on local disk (Owncast's ``data/emoji`` directory)."""

from __future__ import annotations

import asyncio
import mimetypes
import os
from pathlib import Path, PurePosixPath

from owncast_core.errors import NotFoundError, StorageError, ValidationError
from owncast_core.ports.emoji import Emoji, EmojiFile


class LocalEmojiStore:
    """Implements ``owncast_core.ports.emoji.EmojiStore``; file work runs in worker threads."""

    def __init__(self, *, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _resolve(self, path: str) -> Path:
        clean = PurePosixPath(path.replace("\\", "/"))
        if (
            not path
            or clean.is_absolute()
            or any(part in ("..", ".") for part in clean.parts)
            or not clean.parts
        ):
            raise NotFoundError(path)
        target = (self.root / clean).resolve()
        if self.root.resolve() not in target.parents:
            raise NotFoundError(path)
        return target

    async def list(self) -> list[Emoji]:
        def walk() -> list[Emoji]:
            if not self.root.is_dir():
                return []
            found = []
            for path in self.root.rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    rel = path.relative_to(self.root).as_posix()
                    found.append(Emoji(name=path.stem, path=rel))
            return sorted(found, key=lambda e: e.path)

        return await asyncio.to_thread(walk)

    async def get(self, path: str) -> EmojiFile:
        target = self._resolve(path)
        try:
            body = await asyncio.to_thread(target.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(path) from None
        except OSError as exc:
            raise StorageError(f"cannot read emoji {path!r}: {exc}") from exc
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return EmojiFile(body, kind)

    async def add(self, file_name: str, data: bytes) -> Emoji:
        name = PurePosixPath(file_name.replace("\\", "/")).name
        if not name or name.startswith(".") or name in ("..", "."):
            raise ValidationError("invalid emoji name")
        target = self.root / name

        def write() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            try:
                with open(target, "xb") as fh:
                    fh.write(data)
            except FileExistsError:
                raise ValidationError(f"An emoji with the name {name!r} already exists") from None

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            raise StorageError(f"cannot save emoji {name!r}: {exc}") from exc
        return Emoji(name=PurePosixPath(name).stem, path=name)

    async def delete(self, file_name: str) -> None:
        try:
            target = self._resolve(file_name)
        except NotFoundError:
            raise ValidationError("Emoji path is not valid") from None
        try:
            await asyncio.to_thread(target.unlink)
        except FileNotFoundError:
            raise NotFoundError(f"Emoji {file_name!r} doesn't exist") from None
        except OSError as exc:
            raise StorageError(f"cannot delete emoji {file_name!r}: {exc}") from exc
