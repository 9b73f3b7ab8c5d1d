"""PyAV transcoder: FLV in, HLS variants out, in a child process per broadcast.

``PyAVTranscoder`` (the ``Transcoder`` port) lives in ``session.py`` and never imports PyAV;
the child's modules (``child``, ``pipeline``, ``variants``, ...) do.

The names below are loaded on first use: the child process (``python -m ...child``) imports
this package too, and must not pay for the parent's asyncio machinery at every stream start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from owncast_adapters.video.transcoder.session import PyAVTranscoder, PyAVTranscodeSession

__all__ = ["PyAVTranscodeSession", "PyAVTranscoder"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("owncast_adapters.video.transcoder.session"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
