"""``ContentFilter`` from a word list (by default the list shipped with ``better-profanity``).

Only the word list is used: the library's own matcher tries every spelling variant and costs
about 20 ms per message, too slow for a chat hot path. Here a message is lower-cased, common
letter substitutions are undone, and its words and word sequences are looked up in a set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources

_WORD = re.compile(r"[a-z0-9@$!|*]+")
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "*": "",
    }
)


def _tokens(text: str) -> list[str]:
    # "!", "|" and "*" stand for letters only inside a word ("sh!t"), not as punctuation ("heck!").
    return [t for t in (w.strip("!|*").translate(_LEET) for w in _WORD.findall(text.lower())) if t]


class WordListContentFilter:
    """Implements ``owncast_core.ports.render.ContentFilter``: whole-word (and phrase) matches."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._phrases: set[tuple[str, ...]] = set()
        for phrase in phrases:
            words = tuple(_tokens(phrase))
            if words:
                self._phrases.add(words)
        self._longest = max((len(p) for p in self._phrases), default=0)

    @classmethod
    def default(cls) -> WordListContentFilter:
        """The ``better-profanity`` package's word list."""
        text = resources.files("better_profanity").joinpath("profanity_wordlist.txt").read_text("utf-8")
        return cls(line for line in text.splitlines() if line.strip())

    def allowed(self, text: str) -> bool:
        words = _tokens(text)
        for size in range(1, self._longest + 1):
            for start in range(len(words) - size + 1):
                if tuple(words[start : start + size]) in self._phrases:
                    return False
        return True
