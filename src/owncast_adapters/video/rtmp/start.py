"""The start of the FLV stream handed to the transcoder: held back until every stream the
publisher announced has begun.

The transcoder opens the FLV with minimal probing, so it knows the streams whose first tag
comes in its first bytes. A stream that begins later (a publisher whose sound starts after a
second of video) would appear in the middle of the demuxing, which PyAV cannot follow: the
broadcast would stay silent and fail at its end. So the first tags are held back until
every stream the FLV header will announce has sent its first tag, and the header announces
exactly those streams, each one's first tag (its sequence header, as a rule) at the front.
A stream announced by ``onMetaData`` that has not begun within
``wait_ms`` of media (the ffmpeg CLI probes 5 s by default) or ``max_bytes`` is left out of
the header, and its tags are dropped if it begins after all (logged): a stream cannot join
later, as with the ffmpeg CLI that Owncast runs.
"""

from __future__ import annotations

import logging

from owncast_adapters.video.rtmp import flv

WAIT_MS = 5000
MAX_BYTES = 8 * 1024 * 1024
_NAMES = {flv.TAG_AUDIO: "audio", flv.TAG_VIDEO: "video"}


class StartGate:
    """Holds the first tags until the streams are known (see module); one per broadcast.

    ``offer`` takes each tag in order (``kind`` is the FLV tag type; script tags pass with the
    media) and returns the bytes to write now: nothing while holding, then the file header,
    the held tags and this one, then each tag as it comes (or nothing for a stream left out).
    ``release`` opens the gate at once (the publisher left while it was holding).
    """

    def __init__(
        self,
        announced: frozenset[int],
        metadata_tag: bytes,
        *,
        logger: logging.Logger,
        who: str,
        wait_ms: int = WAIT_MS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self._announced = announced
        self._metadata_tag = metadata_tag
        self._log, self._who = logger, who
        self._wait_ms, self._max_bytes = wait_ms, max_bytes
        self._held: list[bytes] = []
        self._firsts: list[int] = []  # where in ``_held`` each stream's first tag is
        self._held_bytes = 0
        self._seen: set[int] = set()
        self._first_ms: int | None = None
        self._streams: frozenset[int] | None = None  # once open: the streams the header announces
        self._dropped: set[int] = set()

    @property
    def is_open(self) -> bool:
        return self._streams is not None

    def offer(self, kind: int, timestamp: int, data: bytes) -> bytes:
        """What to write for one tag (``timestamp`` in ms, its FLV/RTMP time)."""
        streams = self._streams
        if streams is not None:
            if kind in streams or kind not in _NAMES:
                return data
            self._drop(kind)
            return b""
        if kind in _NAMES and kind not in self._seen:
            self._firsts.append(len(self._held))
        self._held.append(data)
        self._held_bytes += len(data)
        if kind in _NAMES:
            self._seen.add(kind)
            if self._first_ms is None:
                self._first_ms = timestamp
            waited = (timestamp - self._first_ms) & 0xFFFFFFFF
            if self._announced <= self._seen or waited >= self._wait_ms or self._held_bytes >= self._max_bytes:
                return self.release()
        elif self._held_bytes >= self._max_bytes:
            return self.release()
        return b""

    def release(self) -> bytes:
        """Open now: the header for the streams seen so far and every held tag."""
        if self._streams is not None:
            return b""
        streams = self._streams = frozenset(self._seen) if self._seen else self._announced
        missing = sorted(_NAMES[k] for k in self._announced - streams)
        if missing:
            self._log.warning(
                "RTMP %s: the publisher announced %s but sent none in the first %.0f s; going live without it",
                self._who, " and ".join(missing), self._wait_ms / 1000,
            )  # fmt: skip
        head = flv.file_header(has_audio=flv.TAG_AUDIO in streams, has_video=flv.TAG_VIDEO in streams)
        # Each stream's first tag (its sequence header, as a rule) goes first, so that the
        # transcoder's short probe finds the late one too; the rest keep their order.
        firsts = [self._held[i] for i in self._firsts]
        rest = [data for i, data in enumerate(self._held) if i not in self._firsts]
        out = b"".join([head, self._metadata_tag, *firsts, *rest])
        self._held, self._held_bytes, self._firsts = [], 0, []
        return out

    def _drop(self, kind: int) -> None:
        if kind not in self._dropped:
            self._dropped.add(kind)
            self._log.warning(
                "RTMP %s: %s began after the broadcast had started without it; it is left out "
                "(restart the stream to include it)", self._who, _NAMES[kind],
            )  # fmt: skip
