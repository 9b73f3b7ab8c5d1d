"""Reading the broadcast goes on past a broken packet (``read_all``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import av
import pytest

from owncast_adapters.video.transcoder.logsample import worth_logging
from owncast_adapters.video.transcoder.pipeline import read_all


class Demuxer:
    """Stands in for ``container.demux``: yields items; an exception item is raised (each call
    of ``demux()`` goes on where the last stopped, as FFmpeg's reading does)."""

    def __init__(self, items: list[Any]) -> None:
        self._items = iter(items)
        self.calls = 0

    def demux(self) -> Iterator[Any]:
        self.calls += 1
        for item in self._items:
            if isinstance(item, BaseException):
                raise item
            yield item


def invalid() -> av.error.InvalidDataError:
    return av.error.InvalidDataError(1094995529, "Invalid data found when processing input")


def test_broken_packets_are_skipped_and_reading_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    demuxer = Demuxer([1, 2, invalid(), 3, invalid(), invalid(), 4])
    handled: list[Any] = []
    assert read_all(demuxer.demux, handled.append) is None
    assert handled == [1, 2, 3, 4] and demuxer.calls == 4
    assert "skipped a broken packet of the broadcast (3 so far)" in caplog.text


def test_an_input_that_is_only_broken_packets_ends_with_its_error() -> None:
    demuxer = Demuxer([1, *[invalid() for _ in range(6)], 2])
    handled: list[Any] = []
    error = read_all(demuxer.demux, handled.append, max_bad=5)
    assert isinstance(error, av.error.InvalidDataError) and handled == [1]


def test_other_read_errors_end_reading_at_once() -> None:
    demuxer = Demuxer([1, av.error.OSError(5, "Input/output error"), 2])
    handled: list[Any] = []
    assert isinstance(read_all(demuxer.demux, handled.append), av.error.OSError)
    assert handled == [1]


def test_pyavs_index_error_at_the_end_of_a_stream_that_gained_a_stream_is_the_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    demuxer = Demuxer([1, 2, IndexError("list index out of range"), 3])
    handled: list[Any] = []
    assert read_all(demuxer.demux, handled.append) is None
    assert handled == [1, 2] and "gained a stream mid-way" in caplog.text


def test_repeated_problems_are_logged_three_times_then_every_thousandth() -> None:
    assert [n for n in range(1, 3001) if worth_logging(n)] == [1, 2, 3, 1000, 2000, 3000]
