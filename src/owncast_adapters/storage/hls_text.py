"""Pure edits of HLS playlist text that storages publish (no I/O).

- ``with_endlist``: the playlist with ``#EXT-X-ENDLIST`` appended (once).
- ``drop_leading_segments``: the media playlist without its first ``count`` segments, with
  ``#EXT-X-MEDIA-SEQUENCE`` (and ``#EXT-X-DISCONTINUITY-SEQUENCE`` when a dropped segment started a
  discontinuity) advanced, so every remaining segment keeps its sequence number (RFC 8216 §6.2.2).
- ``absolute_master``: a master playlist whose relative variant URIs point under a base URL.
"""

from __future__ import annotations

import re

ENDLIST = "#EXT-X-ENDLIST"
_MEDIA_SEQUENCE = "#EXT-X-MEDIA-SEQUENCE:"
_DISCONTINUITY_SEQUENCE = "#EXT-X-DISCONTINUITY-SEQUENCE:"
# Tags that belong to the segment whose URI follows them (they open a segment's block of lines).
_SEGMENT_TAGS = (
    "#EXTINF:", "#EXT-X-PROGRAM-DATE-TIME:", "#EXT-X-DISCONTINUITY", "#EXT-X-BYTERANGE:",
    "#EXT-X-GAP", "#EXT-X-BITRATE:", "#EXT-X-DATERANGE:", "#EXT-X-KEY:", "#EXT-X-MAP:",
)
_PERSISTENT_TAGS = ("#EXT-X-KEY:", "#EXT-X-MAP:")
_URI_ATTRIBUTE = re.compile(r'URI="([^"]*)"')
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^/")


def with_endlist(body: bytes) -> bytes:
    """``body`` ending in ``#EXT-X-ENDLIST`` (unchanged when it already has one)."""
    if ENDLIST.encode() in body:
        return body
    if body and not body.endswith(b"\n"):
        body += b"\n"
    return body + ENDLIST.encode() + b"\n"


def drop_leading_segments(text: str, count: int) -> str:
    """``text`` (a media playlist) without its first ``count`` segments.

    The tags of a dropped segment (``#EXTINF``, ``#EXT-X-PROGRAM-DATE-TIME``...) go with it;
    ``#EXT-X-MEDIA-SEQUENCE`` grows by ``count`` and ``#EXT-X-DISCONTINUITY-SEQUENCE`` by the
    number of dropped ``#EXT-X-DISCONTINUITY`` tags. ``count`` beyond the list drops every segment.
    """
    if count <= 0:
        return text
    header, segments, trailer = _split_media(text)
    dropped = segments[:count]
    discontinuities = sum(1 for block in dropped for line in block if line.strip() == "#EXT-X-DISCONTINUITY")
    header = _advance(header, _MEDIA_SEQUENCE, len(dropped), always=True)
    header = _advance(header, _DISCONTINUITY_SEQUENCE, discontinuities, always=discontinuities > 0)
    # Keys and init sections apply to every later segment: carry the last dropped ones forward.
    carried = {tag: line for block in dropped for line in block
               for tag in _PERSISTENT_TAGS if line.strip().startswith(tag)}
    remaining = segments[count:]
    if remaining:
        present = {tag for line in remaining[0] for tag in _PERSISTENT_TAGS if line.strip().startswith(tag)}
        remaining[0] = [line for tag, line in carried.items() if tag not in present] + remaining[0]
    kept = [line for block in remaining for line in block]
    return "\n".join(header + kept + trailer) + "\n"


def absolute_master(text: str, base_url: str) -> str:
    """``text`` (a master playlist) with each relative variant URI resolved under ``base_url``.

    ``base_url`` ends where the relative paths start (``https://cdn.example/prefix/hls``); URIs
    already absolute are left alone, as are comments.
    """
    base = base_url.rstrip("/") + "/"

    def resolve(uri: str) -> str:
        return uri if _ABSOLUTE.match(uri) else base + uri.removeprefix("./")

    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if _is_uri(stripped):
            out.append(resolve(stripped))
        elif stripped.startswith("#"):
            out.append(_URI_ATTRIBUTE.sub(lambda m: f'URI="{resolve(m.group(1))}"', line))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _split_media(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    """(header lines, one block of lines per segment ending with its URI, trailing lines)."""
    header: list[str] = []
    segments: list[list[str]] = []
    block: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not segments and not block and not (stripped.startswith(_SEGMENT_TAGS) or _is_uri(stripped)):
            header.append(line)
            continue
        block.append(line)
        if _is_uri(stripped):
            segments.append(block)
            block = []
    return header, segments, block


def _is_uri(line: str) -> bool:
    return bool(line) and not line.startswith("#")


def _advance(header: list[str], tag: str, by: int, *, always: bool) -> list[str]:
    for i, line in enumerate(header):
        if line.strip().startswith(tag):
            value = int(line.strip()[len(tag):] or 0)
            return [*header[:i], f"{tag}{value + by}", *header[i + 1:]]
    if not always:
        return header
    insert_at = 1 if header and header[0].strip() == "#EXTM3U" else 0
    return [*header[:insert_at], f"{tag}{by}", *header[insert_at:]]
