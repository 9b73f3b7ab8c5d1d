"""Which occurrences of a repeated problem are logged: a publisher sending garbage must not
flood the streamer's log, yet the log must show that it goes on."""

from __future__ import annotations

FIRST = 3  # logged one by one
EVERY = 1000  # then every this many, with the count so far


def worth_logging(count: int) -> bool:
    """Whether the ``count``-th occurrence (from 1) is logged: the first three, then every 1000th."""
    return count <= FIRST or count % EVERY == 0
