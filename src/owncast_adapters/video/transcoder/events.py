"""The event protocol between the transcoder child process and its parent.

The child writes one JSON object per line on a pipe; the parent decodes each line into one of
the event types below and hands it to its ``TranscoderListener`` (``deliver``). Shapes::

    {"event": "segment", "variant": 0, "path": "/abs/0/stream-x-3.ts", "duration": 1.0}
    {"event": "variant_playlist", "variant": 0, "path": "/abs/0/stream.m3u8"}
    {"event": "master_playlist", "path": "/abs/stream.m3u8", "variants": [{VariantInfo fields}]}
    {"event": "thumbnail", "path": "/abs/thumbnail.jpg"}
    {"event": "error", "message": "disk full: ...", "fatal": true}

This module is pure (no PyAV); both sides import it.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from typing import Any, TypeAlias

from owncast_core.ports.video import SegmentInfo, TranscoderListener, VariantInfo


@dataclass(frozen=True, slots=True)
class VariantPlaylistWritten:
    """Variant ``variant``'s media playlist was (re)written at ``path``."""

    variant: int
    path: str


@dataclass(frozen=True, slots=True)
class MasterPlaylistWritten:
    """The master playlist was written at ``path``, describing ``variants``."""

    path: str
    variants: tuple[VariantInfo, ...]


@dataclass(frozen=True, slots=True)
class ThumbnailWritten:
    """A fresh JPEG of the stream was written at ``path``."""

    path: str


@dataclass(frozen=True, slots=True)
class TranscoderFailed:
    """A problem the streamer must know about; ``fatal``: the child is exiting because of it."""

    message: str
    fatal: bool


TranscoderEvent: TypeAlias = (
    SegmentInfo | VariantPlaylistWritten | MasterPlaylistWritten | ThumbnailWritten | TranscoderFailed
)


def encode_event(event: TranscoderEvent) -> bytes:
    """Serialise ``event`` as one JSON line (UTF-8, ending in a newline)."""
    body: dict[str, Any]
    if isinstance(event, SegmentInfo):
        body = {"event": "segment", **asdict(event)}
    elif isinstance(event, VariantPlaylistWritten):
        body = {"event": "variant_playlist", **asdict(event)}
    elif isinstance(event, MasterPlaylistWritten):
        body = {
            "event": "master_playlist",
            "path": event.path,
            "variants": [asdict(v) for v in event.variants],
        }
    elif isinstance(event, ThumbnailWritten):
        body = {"event": "thumbnail", "path": event.path}
    elif isinstance(event, TranscoderFailed):
        body = {"event": "error", "message": event.message, "fatal": event.fatal}
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"not a transcoder event: {event!r}")
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"


def _str(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _int(data: dict[str, Any], key: str) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an integer")
    return value


def _float(data: dict[str, Any], key: str) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number")
    return float(value)


def _variant_info(data: Any) -> VariantInfo:
    if not isinstance(data, dict):
        raise ValueError("variant info must be an object")
    return VariantInfo(
        index=_int(data, "index"),
        bandwidth=_int(data, "bandwidth"),
        width=_int(data, "width"),
        height=_int(data, "height"),
        codecs=_str(data, "codecs"),
        framerate=_float(data, "framerate"),
    )


def decode_event(line: bytes | str) -> TranscoderEvent:
    """Parse one JSON line written by ``encode_event``; raises ``ValueError`` when malformed."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("an event must be a JSON object")
    try:
        kind = data["event"]
        if kind == "segment":
            return SegmentInfo(
                variant=_int(data, "variant"),
                path=_str(data, "path"),
                duration=_float(data, "duration"),
            )
        if kind == "variant_playlist":
            return VariantPlaylistWritten(variant=_int(data, "variant"), path=_str(data, "path"))
        if kind == "master_playlist":
            variants = data["variants"]
            if not isinstance(variants, list):
                raise ValueError("variants must be a list")
            return MasterPlaylistWritten(
                path=_str(data, "path"), variants=tuple(_variant_info(v) for v in variants)
            )
        if kind == "thumbnail":
            return ThumbnailWritten(path=_str(data, "path"))
        if kind == "error":
            fatal = data["fatal"]
            if not isinstance(fatal, bool):
                raise ValueError("fatal must be true or false")
            return TranscoderFailed(message=_str(data, "message"), fatal=fatal)
    except KeyError as exc:
        raise ValueError(f"missing field {exc.args[0]!r}") from None
    raise ValueError(f"unknown event {kind!r}")


async def deliver(event: TranscoderEvent, listener: TranscoderListener) -> None:
    """Call the ``listener`` method that matches ``event``."""
    if isinstance(event, SegmentInfo):
        await listener.segment_written(event)
    elif isinstance(event, VariantPlaylistWritten):
        await listener.variant_playlist_written(event.variant, event.path)
    elif isinstance(event, MasterPlaylistWritten):
        await listener.master_playlist_written(event.path, event.variants)
    elif isinstance(event, ThumbnailWritten):
        await listener.thumbnail_written(event.path)
    else:
        await listener.transcoder_error(event.message, fatal=event.fatal)


class EventWriter:
    """Writes events to a file descriptor (the child's side of the pipe); thread-safe.

    Each event is written whole with ``os.write`` (unbuffered, so nothing is lost when the
    process exits with ``os._exit``). A write blocks while the parent is behind. When the parent
    has gone (broken pipe) events are dropped silently: the child will see EOF on its input.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._broken = False

    def emit(self, event: TranscoderEvent) -> None:
        """Send ``event`` to the parent."""
        data = memoryview(encode_event(event))
        with self._lock:
            if self._broken:
                return
            try:
                while data:
                    written = os.write(self._fd, data)
                    data = data[written:]
            except (BrokenPipeError, ConnectionResetError):
                self._broken = True
