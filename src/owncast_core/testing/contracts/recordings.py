"""Contract suite for ``RecordingStore``.

Bindings provide a ``recording_env`` fixture returning a ``RecordingEnv``: the store under test;
``segments``, paths ``read_segment`` can read, in order, of consecutive MPEG-TS segments of one
muxer (for a real store: real h264/aac segments); ``seconds``, their total duration; and
``reopen()``, a new store over the same place (what a restarted server gets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.recordings import Recording, RecordingStatus
from owncast_core.errors import NotFoundError, StorageError, ValidationError
from owncast_core.ports.recordings import RecordingStore

HOSTILE_IDS = ("", ".", "..", "../x", "..\\x", "a/b", "/etc", "x" * 81, "r\u00e9cording", "\u202eabc",
               "a b", "a\x00b", "-leading-dash", "%2e%2e")

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class RecordingEnv:
    store: RecordingStore
    segments: list[str]
    seconds: float
    reopen: Callable[[], RecordingStore]


def _recording(recording_id: str = "20260101-120000-abc", minutes: int = 0, title: str = "My show") -> Recording:
    return Recording(id=recording_id, title=title, started_at=T0 + timedelta(minutes=minutes))


async def _record_all(env: RecordingEnv, recording_id: str) -> None:
    for path in env.segments:
        await env.store.append(recording_id, await env.store.read_segment(path))


class RecordingStoreContract:
    """Provide a ``recording_env`` fixture (``RecordingEnv``)."""

    @pytest.fixture
    def recording_env(self) -> RecordingEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_a_new_recording_is_listed_as_recording(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        assert await store.list() == []
        await store.create(_recording())
        got = await store.get("20260101-120000-abc")
        assert (got.title, got.started_at, got.status) == ("My show", T0, RecordingStatus.RECORDING)
        assert await store.list() == [got]

    async def test_list_is_newest_first(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        for minutes, rid in ((0, "a1"), (20, "c3"), (10, "b2")):
            await store.create(_recording(rid, minutes))
        assert [r.id for r in await store.list()] == ["c3", "b2", "a1"]

    async def test_create_refuses_a_bad_or_taken_id(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        await store.create(_recording("taken"))
        with pytest.raises(ValidationError):
            await store.create(_recording("taken"))
        for bad in HOSTILE_IDS:
            with pytest.raises(ValidationError):
                await store.create(_recording(bad))
        assert [r.id for r in await store.list()] == ["taken"]

    async def test_hostile_ids_are_unknown(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        await store.create(_recording("real"))
        for bad in HOSTILE_IDS:
            for call in (store.get, store.delete, store.media_path, store.finalize):
                with pytest.raises(NotFoundError):
                    await call(bad)
            with pytest.raises(NotFoundError):
                await store.append(bad, b"x")
        assert [r.id for r in await store.list()] == ["real"]

    async def test_unknown_ids_are_not_found(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        for call in (store.get, store.delete, store.media_path, store.finalize):
            with pytest.raises(NotFoundError):
                await call("nope")
        with pytest.raises(NotFoundError):
            await store.save(_recording("nope"))

    async def test_save_replaces_the_metadata(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        await store.create(_recording())
        done = replace(_recording(), status=RecordingStatus.READY, ended_at=T0 + timedelta(minutes=12),
                       duration_seconds=720.5, size_bytes=123456, title="Renamed \u2603 <b>",
                       archive_key="live/recordings/20260101-120000-abc.mp4")
        await store.save(done)
        assert await store.get(done.id) == done
        assert await recording_env.reopen().get(done.id) == done

    async def test_segments_become_one_playable_file(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        await store.create(_recording())
        await _record_all(recording_env, "20260101-120000-abc")
        media = await store.finalize("20260101-120000-abc")
        assert abs(media.duration_seconds - recording_env.seconds) < 1.0
        assert media.size_bytes > 0
        assert isinstance(await store.media_path("20260101-120000-abc"), str)

    async def test_finalize_again_measures_the_same_file(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        await store.create(_recording())
        await _record_all(recording_env, "20260101-120000-abc")
        first = await store.finalize("20260101-120000-abc")
        again = await recording_env.reopen().finalize("20260101-120000-abc")
        assert again.size_bytes == first.size_bytes
        assert abs(again.duration_seconds - first.duration_seconds) < 0.1

    async def test_nothing_appended_is_nothing_to_play(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        await store.create(_recording())
        with pytest.raises(StorageError):
            await store.finalize("20260101-120000-abc")
        with pytest.raises(NotFoundError):
            await store.media_path("20260101-120000-abc")

    async def test_recordings_survive_a_restart(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        await store.create(_recording())
        await _record_all(recording_env, "20260101-120000-abc")
        reopened = recording_env.reopen()  # a crash while recording: the entry and its stream stay
        assert [r.status for r in await reopened.list()] == [RecordingStatus.RECORDING]
        media = await reopened.finalize("20260101-120000-abc")
        assert abs(media.duration_seconds - recording_env.seconds) < 1.0

    async def test_delete_removes_everything(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        await store.create(_recording())
        await store.create(_recording("other", 5))
        await _record_all(recording_env, "20260101-120000-abc")
        await store.finalize("20260101-120000-abc")
        await store.delete("20260101-120000-abc")
        for call in (store.get, store.media_path, store.delete):
            with pytest.raises(NotFoundError):
                await call("20260101-120000-abc")
        assert [r.id for r in await store.list()] == ["other"]
        assert [r.id for r in await recording_env.reopen().list()] == ["other"]

    async def test_drop_media_keeps_the_entry(self, recording_env: RecordingEnv) -> None:
        store = recording_env.store
        await store.create(_recording())
        await _record_all(recording_env, "20260101-120000-abc")
        await store.finalize("20260101-120000-abc")
        await store.drop_media("20260101-120000-abc")
        with pytest.raises(NotFoundError):
            await store.media_path("20260101-120000-abc")
        await store.drop_media("20260101-120000-abc")  # nothing left to drop: not an error
        assert [r.id for r in await recording_env.reopen().list()] == ["20260101-120000-abc"]
        for bad in ("nope", *HOSTILE_IDS):
            with pytest.raises(NotFoundError):
                await store.drop_media(bad)
        await store.delete("20260101-120000-abc")
        assert await store.list() == []

    async def test_read_segment_of_a_missing_file_fails(self, recording_env: RecordingEnv) -> None:
        with pytest.raises(StorageError):
            await recording_env.store.read_segment(recording_env.segments[0] + ".missing")

    async def test_free_bytes_and_location(self, recording_env: RecordingEnv) -> None:
        assert await recording_env.store.free_bytes() > 0
        assert "20260101-120000-abc" in recording_env.store.location("20260101-120000-abc")
