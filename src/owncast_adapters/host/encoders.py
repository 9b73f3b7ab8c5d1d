"""``EncoderProbe``: H.264 encoders PyAV can open here, and ffmpeg path checks."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Final

from owncast_core.errors import ValidationError

KNOWN_ENCODERS: Final = ("libx264", "h264_omx", "h264_v4l2m2m", "h264_vaapi", "h264_nvenc", "h264_qsv",
                         "h264_videotoolbox")
"""Owncast's supported H.264 encoders (``core/transcoder/codecs.go``), in its order."""


class PyAVEncoderProbe:
    """Implements ``owncast_core.ports.system.EncoderProbe``.

    ``supported_codecs``: the known encoders present in this PyAV/FFmpeg build (computed once,
    in a worker thread). ``verify_ffmpeg``: the path must be an executable file that prints
    ``ffmpeg version`` for ``-version`` within ``timeout`` seconds.
    """

    def __init__(self, *, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._codecs: list[str] | None = None

    async def supported_codecs(self) -> list[str]:
        if self._codecs is None:
            self._codecs = await asyncio.to_thread(_available)
        return list(self._codecs)

    async def verify_ffmpeg(self, path: str) -> None:
        if not path:
            return
        candidate = Path(path)
        if not await asyncio.to_thread(_is_executable, candidate):
            raise ValidationError(f"ffmpeg does not exist at {path}, or is not executable")
        try:
            proc = await asyncio.create_subprocess_exec(
                str(candidate), "-version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
                stdin=asyncio.subprocess.DEVNULL)
        except OSError as exc:
            raise ValidationError(f"unable to run {path}: {exc}") from exc
        try:
            async with asyncio.timeout(self._timeout):
                out, _ = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise ValidationError(f"{path} did not answer -version in time") from None
        if proc.returncode != 0 or not out.startswith(b"ffmpeg version"):
            raise ValidationError(f"{path} is not a usable ffmpeg")


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _available() -> list[str]:
    try:
        import av
    except ImportError:  # pragma: no cover - PyAV is a dependency
        return ["libx264"]
    present = set(av.codecs_available)
    return [name for name in KNOWN_ENCODERS if name in present]
