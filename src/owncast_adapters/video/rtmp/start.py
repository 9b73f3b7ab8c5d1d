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

For the same reason each stream keeps the codec of its first tag: FFmpeg's FLV demuxer makes
a new stream for a tag of another codec (or another track of an enhanced-RTMP multitrack
tag), so such tags are dropped, with a warning, and so are empty ones.
"""

from __future__ import annotations

import logging

from owncast_adapters.video.rtmp import flv

WAIT_MS = 5000
MAX_BYTES = 8 * 1024 * 1024
_EX_HEADER_AUDIO = 9  # SoundFormat 9: an enhanced-RTMP audio tag (a FourCC follows)
_MULTITRACK = 5  # AudioPacketType 5 (VideoPacketType 6): a multitrack tag
_VIDEO_MULTITRACK = 6
_NAMES = {flv.TAG_AUDIO: "audio", flv.TAG_VIDEO: "video"}
_TAG_HEADER = 11


def codec_signature(kind: int, tag: bytes) -> bytes | None:
    """What FFmpeg's FLV demuxer tells a stream's codec by in a media tag (the whole tag, with
    its 11-byte header): ``None`` for a tag it would put in a new stream of its own whatever
    came before (empty, or a multitrack tag)."""
    if len(tag) <= _TAG_HEADER + 4:  # no payload (only the trailing PreviousTagSize)
        return None
    flags = tag[_TAG_HEADER]
    fourcc = tag[_TAG_HEADER + 1 : _TAG_HEADER + 5]
    if kind == flv.TAG_AUDIO:
        if flags >> 4 == _EX_HEADER_AUDIO:  # enhanced RTMP: a FourCC after the flags
            return None if flags & 0x0F == _MULTITRACK else b"\x90" + fourcc
        return bytes((flags & 0xF2,))  # SoundFormat and SoundSize: FFmpeg compares both
    if flags & 0x80:  # enhanced RTMP
        return None if flags & 0x0F == _VIDEO_MULTITRACK else b"\x80" + fourcc
    return bytes((flags & 0x0F,))  # CodecID


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
        self._signatures: dict[int, bytes] = {}  # each stream's codec, from its first tag
        self._refused: set[tuple[int, bool]] = set()  # (kind, multitrack) already warned about

    @property
    def is_open(self) -> bool:
        return self._streams is not None

    def offer(self, kind: int, timestamp: int, data: bytes) -> bytes:
        """What to write for one tag (``timestamp`` in ms, its FLV/RTMP time)."""
        if kind in _NAMES and not self._same_codec(kind, data):
            return b""
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

    def _same_codec(self, kind: int, tag: bytes) -> bool:
        """Whether ``tag`` may go on in its stream (see module); warns once per kind of refusal."""
        signature = codec_signature(kind, tag)
        known = self._signatures.setdefault(kind, signature) if signature is not None else None
        if signature is not None and signature == known:
            return True
        if len(tag) > _TAG_HEADER + 4 and (kind, signature is None) not in self._refused:
            self._refused.add((kind, signature is None))
            what = "multitrack" if signature is None else "a codec other than its first"
            self._log.warning(
                "RTMP %s: %s tags in %s are dropped: a stream keeps the codec it began with "
                "(restart the stream to change it)", self._who, _NAMES[kind], what,
            )  # fmt: skip
        return False

    def _drop(self, kind: int) -> None:
        if kind not in self._dropped:
            self._dropped.add(kind)
            self._log.warning(
                "RTMP %s: %s began after the broadcast had started without it; it is left out "
                "(restart the stream to include it)", self._who, _NAMES[kind],
            )  # fmt: skip
