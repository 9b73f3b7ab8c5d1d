"""JSON from chat clients, admin requests and remote servers, decoded into values that can be
stored and sent on.

JSON may spell a lone UTF-16 surrogate (``"\\ud800"`` without its pair). ``json.loads`` turns
it into a Python string that no UTF-8 text can hold: SQLite, the HTML sanitiser and every
encoder then raise, which took a chat connection or a request down with a server error.
"""

from __future__ import annotations

import json
from typing import Any

_ESCAPE = "\\u"


def loads(text: str | bytes | bytearray) -> Any:
    """``json.loads(text)``, with each lone surrogate in a string (keys too) replaced by
    U+FFFD. Raises ``ValueError`` for text that is not JSON, as ``json.loads`` does."""
    value = json.loads(text)
    escapes = _ESCAPE in text if isinstance(text, str) else _ESCAPE.encode() in text
    return _repaired(value) if escapes else value


def _repaired(value: Any) -> Any:
    if isinstance(value, str):
        if any("\ud800" <= c <= "\udfff" for c in value):
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, dict):
        return {_repaired(k): _repaired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_repaired(v) for v in value]
    return value
