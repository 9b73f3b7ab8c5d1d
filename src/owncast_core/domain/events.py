"""Domain events published on the ``EventBus``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from owncast_core.domain.stream import BroadcasterDetails


@dataclass(frozen=True, slots=True)
class StreamStarted:
    """A publisher went live (the transcoder is starting)."""

    details: BroadcasterDetails
    at: datetime


@dataclass(frozen=True, slots=True)
class StreamOnline:
    """The first playlist exists: viewers can play."""

    at: datetime


@dataclass(frozen=True, slots=True)
class StreamStopped:
    """The broadcast ended (publisher gone, transcoder died, or admin disconnect)."""

    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class StreamTitleChanged:
    """The streamer set a new stream title."""

    title: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ConfigChanged:
    """An admin changed a setting (``name`` is the setter, e.g. ``"tags"``; ``keys`` the
    ``domain.config.Keys`` written). Federation pushes profile updates on this; caches reload."""

    name: str
    keys: tuple[str, ...]
    at: datetime
