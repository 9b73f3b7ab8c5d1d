"""What the machine can do for video: encoders and an external ffmpeg."""

from __future__ import annotations

from typing import Protocol


class EncoderProbe(Protocol):
    """Reports the H.264 encoders this installation can use and checks an ffmpeg path.

    ``supported_codecs`` returns encoder names (``libx264``, ``h264_nvenc``...) usable by the
    transcoder, never raising (an empty list when nothing can be probed). ``verify_ffmpeg``
    returns normally for an empty path (meaning "use the built-in transcoder") or a working
    ffmpeg executable, and raises ``ValidationError`` with a message for anything else. Neither
    blocks the event loop.
    """

    async def supported_codecs(self) -> list[str]: ...

    async def verify_ffmpeg(self, path: str) -> None: ...
