"""Contract suite for ``ChatRepository`` (bindings also provide the ``UserRepository`` whose
users the messages refer to)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from owncast_core.domain.chat import ChatRecord
from owncast_core.errors import ValidationError
from owncast_core.ports.chat import ChatRepository, UserRepository
from owncast_core.testing.contracts.users import T0, make_user

ChatStores = tuple[ChatRepository, UserRepository]
ChatStoresFactory = Callable[[], Awaitable[ChatStores]]


def record(n: int, user_id: str | None = "user1", kind: str = "CHAT", **changes: object) -> ChatRecord:
    base = {
        "id": f"m{n}",
        "event_type": kind,
        "body": f"<p>message {n}</p>",
        "timestamp": T0 + timedelta(seconds=n),
        "user_id": user_id,
    }
    return ChatRecord(**{**base, **changes})  # type: ignore[arg-type]


class ChatRepositoryContract:
    """Bindings provide ``make_stores``: an async factory of (chat repository, user repository)
    on one store; two calls give handles on the same data."""

    @pytest.fixture
    async def make_stores(self) -> ChatStoresFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def stores(self, make_stores: ChatStoresFactory) -> ChatStores:
        chat, users = await make_stores()
        await users.create_user(make_user(1, name="Ada"), "tok-1")
        await users.create_user(make_user(2, name="Bob"), "tok-2")
        return chat, users

    async def test_history_is_newest_n_oldest_first(self, stores: ChatStores) -> None:
        chat, _ = stores
        await chat.save([record(n) for n in range(1, 8)])
        entries = await chat.history(5)
        assert [e.record.id for e in entries] == ["m3", "m4", "m5", "m6", "m7"]
        assert entries[0].user is not None and entries[0].user.display_name == "Ada"
        assert entries[0].record == record(3)

    async def test_history_skips_hidden_and_disabled_authors_but_keeps_server_messages(
        self, stores: ChatStores
    ) -> None:
        chat, users = stores
        await chat.save(
            [
                record(1),
                record(2, "user2"),
                record(3, None, "SYSTEM"),
                record(4, None, "CHAT_ACTION"),
                record(5, "ghost"),
            ]
        )
        await chat.set_hidden(["m1"], T0)
        await users.set_disabled("user2", T0)
        entries = await chat.history(50)
        assert [(e.record.id, e.user) for e in entries] == [("m3", None), ("m4", None)]
        await chat.set_hidden(["m1", "unknown"], None)
        assert [e.record.id for e in await chat.history(50)] == ["m1", "m3", "m4"]

    async def test_all_messages_newest_first_including_hidden(self, stores: ChatStores) -> None:
        chat, users = stores
        await chat.save([record(1), record(2, "user2"), record(3, None, "SYSTEM")])
        await chat.set_hidden(["m2"], T0 + timedelta(minutes=1))
        await users.set_disabled("user1", T0)
        entries = await chat.all_messages()
        assert [e.record.id for e in entries] == ["m3", "m2", "m1"]
        assert entries[1].record.hidden_at == T0 + timedelta(minutes=1)
        assert entries[2].user is not None and not entries[2].user.enabled

    async def test_authors_show_their_current_name(self, stores: ChatStores) -> None:
        chat, users = stores
        await chat.save([record(1)])
        await users.rename("user1", "Ada L.", T0)
        assert (await chat.history(1))[0].user.display_name == "Ada L."  # type: ignore[union-attr]

    async def test_duplicate_ids_store_nothing_of_the_batch(self, stores: ChatStores) -> None:
        chat, _ = stores
        await chat.save([record(1)])
        with pytest.raises(ValidationError):
            await chat.save([record(2), record(1)])
        assert [e.record.id for e in await chat.all_messages()] == ["m1"]

    async def test_by_user_and_prune(self, stores: ChatStores) -> None:
        chat, _ = stores
        await chat.save([record(1), record(2, "user2"), record(3), record(4, None, "SYSTEM")])
        assert await chat.message_ids_for_user("user1") == ["m1", "m3"]
        assert [r.id for r in await chat.messages_from_user("user1")] == ["m1", "m3"]
        assert await chat.prune(T0 + timedelta(seconds=3)) == 2
        assert [e.record.id for e in await chat.all_messages()] == ["m4", "m3"]

    async def test_count_includes_hidden_records(self, stores: ChatStores) -> None:
        chat, _ = stores
        assert await chat.count() == 0
        await chat.save([record(1), record(2, "user2"), record(3, None, "SYSTEM")])
        await chat.set_hidden(["m2"], T0)
        assert await chat.count() == 3

    async def test_fediverse_fields_round_trip(self, stores: ChatStores) -> None:
        chat, _ = stores
        item = record(
            1,
            None,
            "FEDIVERSE_ENGAGEMENT_FOLLOW",
            image="https://x/a.png",
            link="https://x/@a",
            title="@a@x",
            subtitle="sub",
        )
        await chat.save([item])
        assert (await chat.all_messages())[0].record == item

    async def test_messages_persist_across_handles(self, make_stores: ChatStoresFactory) -> None:
        chat, users = await make_stores()
        await users.create_user(make_user(1), "tok-1")
        await chat.save([record(1)])
        again, _ = await make_stores()
        assert [e.record.id for e in await again.history(10)] == ["m1"]
