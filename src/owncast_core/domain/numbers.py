"""JSON numbers as the validators read them (pure).

Python's ``json`` decodes an integer literal of any length to an ``int`` (``10**400`` included),
and ``math.isfinite``/``float`` raise ``OverflowError`` on one too large for a double: a
validator that calls them unguarded answers a 500 to a body it should refuse with a 400.
"""

from __future__ import annotations

import math


def finite_number(value: object) -> float | None:
    """``value`` as a float when it is a JSON number (``int`` or ``float``, never ``bool``) that
    a double holds finitely; ``None`` otherwise: other types, NaN, infinities, and integers too
    large for a double (what Go's ``float64`` decoding refuses too)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
