"""The custom emoji port (Owncast's ``data/emoji`` directory)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Emoji:
    """One custom emoji: ``name`` is the file name without extension, ``path`` the file's path
    relative to the emoji root (``/``-separated), served at ``/img/emoji/<path>``."""

    name: str
    path: str

    @property
    def url(self) -> str:
        return f"/img/emoji/{self.path}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url}


@dataclass(frozen=True, slots=True)
class EmojiFile:
    """Bytes of an emoji image and its content type."""

    body: bytes
    content_type: str


class EmojiStore(Protocol):
    """Custom emoji images.

    Contract (``owncast_core.testing.contracts.emoji.EmojiStoreContract``):
    - ``list`` returns every emoji (files in sub-folders too), sorted by path.
    - ``get(path)`` returns the file; ``NotFoundError`` for a missing file and for any path that
      would leave the emoji root (``..``, absolute paths).
    - ``add(file_name, data)`` stores a new file under its base name (directories in the name are
      dropped); ``ValidationError`` when it exists already or the name is empty or hidden.
    - ``delete(file_name)`` removes it; ``NotFoundError`` when missing, ``ValidationError`` for a
      name that would leave the root.
    """

    async def list(self) -> list[Emoji]: ...

    async def get(self, path: str) -> EmojiFile: ...

    async def add(self, file_name: str, data: bytes) -> Emoji: ...

    async def delete(self, file_name: str) -> None: ...
