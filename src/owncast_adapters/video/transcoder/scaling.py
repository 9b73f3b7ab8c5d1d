"""Output picture size of a variant (pure)."""

from __future__ import annotations


def _even_down(value: int) -> int:
    return max(2, value - value % 2)


def _even_nearest(value: float) -> int:
    """Nearest even integer (halves up), at least 2: FFmpeg's ``-2`` in ``scale=W:-2``."""
    return max(2, int(value / 2 + 0.5) * 2)


def output_size(
    source_width: int, source_height: int, scaled_width: int, scaled_height: int
) -> tuple[int, int]:
    """The encoded size for a variant, as Owncast's ``scale=W:H`` with ``-2`` for a missing side.

    Only one of ``scaled_width``/``scaled_height`` set keeps the source aspect ratio; neither
    keeps the source size. Sizes are even (4:2:0 chroma needs it): given sides are rounded
    down, the computed side to the nearest even number. Raises ``ValueError`` without a
    source size.
    """
    if source_width <= 0 or source_height <= 0:
        raise ValueError("source size unknown")
    if scaled_width and scaled_height:
        return _even_down(scaled_width), _even_down(scaled_height)
    if scaled_height:
        height = _even_down(scaled_height)
        return _even_nearest(source_width * height / source_height), height
    if scaled_width:
        width = _even_down(scaled_width)
        return width, _even_nearest(source_height * width / source_width)
    return _even_down(source_width), _even_down(source_height)
