"""``LogoStore`` on the local disk (the data directory)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from owncast_core.errors import StorageError


class LocalLogoStore:
    """Implements ``owncast_core.ports.assets.LogoStore``: ``data_dir/logo<ext>`` written via a
    temporary file and ``os.replace``; other ``logo.*`` files are removed afterwards."""

    def __init__(self, *, data_dir: str | Path) -> None:
        self._dir = Path(data_dir)

    async def save(self, data: bytes, extension: str) -> str:
        if not extension.startswith(".") or "/" in extension or len(extension) > 6:
            raise StorageError(f"bad logo extension {extension!r}")
        return await asyncio.to_thread(self._save_sync, data, extension)

    def _save_sync(self, data: bytes, extension: str) -> str:
        name = f"logo{extension}"
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".logo-", dir=self._dir)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self._dir / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            for old in self._dir.glob("logo.*"):
                if old.name != name:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot write the logo: {exc}") from exc
        return name
