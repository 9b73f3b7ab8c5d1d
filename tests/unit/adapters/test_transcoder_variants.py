"""How a variant takes its input: on a thread of its own (several variants) or inline (one)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, cast

import pytest

from owncast_adapters.video.transcoder.events import EventWriter
from owncast_adapters.video.transcoder.master import MasterPlaylistPublisher
from owncast_adapters.video.transcoder.variants import Item, VariantWorker
from owncast_core.domain.stream import BroadcasterDetails, StreamOutputVariant, TranscodeJob, latency_level


class Stop(Exception):
    """Raised by the failure handler in place of ending the process."""


class Recorder:
    """Stands in for a worker's encoding: records what it was handed, on which thread."""

    def __init__(self) -> None:
        self.items: list[tuple[Item, Any, bool, str]] = []
        self.flushed_on: str | None = None
        self.handled = threading.Event()

    def handle(self, kind: Item, payload: Any, exclusive: bool) -> None:
        self.items.append((kind, payload, exclusive, threading.current_thread().name))
        self.handled.set()

    def flush(self) -> None:
        self.flushed_on = threading.current_thread().name


@pytest.fixture
def events() -> Iterator[EventWriter]:
    fd = os.open(os.devnull, os.O_WRONLY)
    try:
        yield EventWriter(fd)
    finally:
        os.close(fd)


def make_worker(tmp_path: Path, events: EventWriter, *, inline: bool, failures: list[BaseException]) -> VariantWorker:
    """A worker for a stream with video (a stand-in stream object: its encoding is replaced)."""
    job = TranscodeJob(
        variants=(StreamOutputVariant(),),
        latency=latency_level(2),
        output_dir=str(tmp_path),
        details=BroadcasterDetails(remote_addr="test", connected_at=datetime.now(UTC)),
        segment_prefix="t",
    )

    def on_failure(worker: VariantWorker, exc: BaseException) -> NoReturn:
        failures.append(exc)
        raise Stop from exc

    master = MasterPlaylistPublisher(str(tmp_path / "stream.m3u8"), 1, events.emit)
    return VariantWorker(
        index=0, job=job, video_in=cast(Any, object()), audio_in=None, events=events, master=master,
        on_failure=on_failure, inline=inline,
    )  # fmt: skip


def attach(worker: VariantWorker, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "_handle", recorder.handle)
    monkeypatch.setattr(worker, "_flush", recorder.flush)


def test_inline_worker_handles_each_item_at_once_in_the_callers_thread(
    tmp_path: Path, events: EventWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures: list[BaseException] = []
    worker = make_worker(tmp_path, events, inline=True, failures=failures)
    recorder = Recorder()
    attach(worker, recorder, monkeypatch)
    threads_before = threading.active_count()
    worker.start()
    assert threading.active_count() == threads_before  # no thread of its own
    worker.put(Item.AUDIO_PACKET, "a1")
    assert [i[:3] for i in recorder.items] == [(Item.AUDIO_PACKET, "a1", True)]  # not held for a picture
    worker.put(Item.VIDEO_FRAME, "v1", False)
    me = threading.current_thread().name
    assert recorder.items == [(Item.AUDIO_PACKET, "a1", True, me), (Item.VIDEO_FRAME, "v1", False, me)]
    worker.finish()
    assert recorder.flushed_on == me
    worker.join()
    assert failures == []


def test_inline_worker_reports_a_failure_to_its_handler(
    tmp_path: Path, events: EventWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures: list[BaseException] = []
    worker = make_worker(tmp_path, events, inline=True, failures=failures)
    boom = OSError(28, "No space left on device")

    def failing(kind: Item, payload: Any, exclusive: bool) -> None:
        raise boom

    monkeypatch.setattr(worker, "_handle", failing)
    with pytest.raises(Stop):
        worker.put(Item.AUDIO_PACKET, "a1")
    assert failures == [boom]

    def failing_flush() -> None:
        raise boom

    monkeypatch.setattr(worker, "_flush", failing_flush)
    with pytest.raises(Stop):
        worker.finish()
    assert failures == [boom, boom]


def test_threaded_worker_hands_audio_over_with_the_next_picture(
    tmp_path: Path, events: EventWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures: list[BaseException] = []
    worker = make_worker(tmp_path, events, inline=False, failures=failures)
    recorder = Recorder()
    attach(worker, recorder, monkeypatch)
    worker.start()
    worker.put(Item.AUDIO_PACKET, "a1")
    assert not recorder.handled.wait(0.2)  # held back for the next picture
    worker.put(Item.VIDEO_FRAME, "v1", False)
    assert recorder.handled.wait(5)
    worker.finish()
    worker.join()
    names = {name for *_, name in recorder.items}
    assert names == {"variant-0"} and recorder.flushed_on == "variant-0"
    assert [i[:3] for i in recorder.items] == [(Item.AUDIO_PACKET, "a1", True), (Item.VIDEO_FRAME, "v1", False)]
    assert failures == []
