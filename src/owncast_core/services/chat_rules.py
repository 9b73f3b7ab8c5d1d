"""Pure chat rules: display names, the spam guard, established users, offline chat, random names.

Nothing here does I/O or reads a clock: times are passed in, randomness comes from a ``pick``
function (``pick(n)`` returns an integer in ``[0, n)``), so every rule is unit-testable.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum

from owncast_core.domain.chat import (
    ESTABLISHED_USER_AGE,
    MAX_DISPLAY_NAME_LENGTH,
    MIN_SUGGESTED_NAMES,
    OFFLINE_CHAT_GRACE,
    SPAM_MUTE_SECONDS,
    SPAM_RATE_PER_SECOND,
    ChatUser,
)

Pick = Callable[[int], int]

_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_display_name(raw: object, limit: int = MAX_DISPLAY_NAME_LENGTH) -> str:
    """Owncast's ``MakeSafeStringOfLength``: strip HTML tags, decode entities (again stripping any
    tag that decoding revealed), drop control characters, keep ``limit`` code points, trim."""
    if not isinstance(raw, str):
        return ""
    text = raw
    for _ in range(3):  # entity-encoded markup must not survive as markup
        stripped = _TAG.sub("", text)
        decoded = html.unescape(stripped)
        if decoded == text:
            break
        text = decoded
    text = _TAG.sub("", text)
    text = _CONTROL.sub(" ", text).replace("\r", "")
    return text.strip()[:limit].strip()


def name_blocked(name: str, blocklist: Iterable[str]) -> bool:
    """True when ``name`` may not be used: it is part of a blocked name (Owncast's check, a quirk:
    ``"adm"`` is blocked by ``"admin"``) or contains one (``"admin2"``). Case-insensitive."""
    proposed = name.strip().lower()
    if not proposed:
        return True
    for entry in blocklist:
        blocked = str(entry).strip().lower()
        if blocked and (proposed in blocked or blocked in proposed):
            return True
    return False


def is_established(user: ChatUser, now: datetime) -> bool:
    """Old enough to chat in established-user mode (moderators always are)."""
    return user.is_moderator or now - user.created_at >= ESTABLISHED_USER_AGE


def offline_too_long(online: bool, last_disconnect: datetime | None, now: datetime) -> bool:
    """Messages are ignored once the stream has been offline for more than five minutes
    (a server that was never live accepts them)."""
    return not online and last_disconnect is not None and now - last_disconnect > OFFLINE_CHAT_GRACE


class SpamVerdict(Enum):
    ALLOW = "allow"
    MUTED = "muted"
    """Still in the 10 s timeout: drop silently."""
    FLOODING = "flooding"
    """Just exceeded the rate: drop, tell the user, start the timeout."""


class SpamGuard:
    """Owncast's flood protection for one connection: a token bucket refilled at 1.5 events/s
    with a burst of one; an event the bucket cannot pay for mutes the client for 10 s.
    ``check`` takes monotonic seconds."""

    __slots__ = ("_last", "_muted_until", "_tokens")

    def __init__(self) -> None:
        self._tokens = 1.0
        self._last: float | None = None
        self._muted_until = 0.0

    def check(self, now: float) -> SpamVerdict:
        if now < self._muted_until:
            return SpamVerdict.MUTED
        if self._last is not None:
            self._tokens = min(1.0, self._tokens + (now - self._last) * SPAM_RATE_PER_SECOND)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return SpamVerdict.ALLOW
        self._muted_until = now + SPAM_MUTE_SECONDS
        return SpamVerdict.FLOODING


_ADJECTIVES = (
    "Amber",
    "Brave",
    "Calm",
    "Clever",
    "Cosmic",
    "Curious",
    "Daring",
    "Eager",
    "Fancy",
    "Gentle",
    "Happy",
    "Jolly",
    "Kind",
    "Lucky",
    "Mellow",
    "Nimble",
    "Plucky",
    "Quiet",
    "Rapid",
    "Sunny",
    "Swift",
    "Tidy",
    "Witty",
    "Zesty",
)
_NOUNS = (
    "Badger",
    "Beaver",
    "Comet",
    "Falcon",
    "Ferret",
    "Heron",
    "Koala",
    "Lemur",
    "Lynx",
    "Marmot",
    "Narwhal",
    "Otter",
    "Panda",
    "Pebble",
    "Puffin",
    "Quokka",
    "Raven",
    "Robin",
    "Salmon",
    "Tapir",
    "Walrus",
    "Wombat",
    "Yak",
    "Zebra",
)


def random_display_name(suggested: list[str], pick: Pick) -> str:
    """A name for a user who gave none: one of the streamer's suggested names when there are at
    least ten of them (Owncast's rule), else a generated "Adjective Noun" phrase."""
    names = [n for n in suggested if isinstance(n, str) and n.strip()]
    if len(names) >= MIN_SUGGESTED_NAMES:
        return safe_display_name(names[pick(len(names))])
    return f"{_ADJECTIVES[pick(len(_ADJECTIVES))]} {_NOUNS[pick(len(_NOUNS))]}"
