"""Contract suite for ``EmojiStore``."""

from __future__ import annotations

import pytest

from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.ports.emoji import EmojiStore


class EmojiStoreContract:
    """Bindings provide ``store``: an empty store."""

    @pytest.fixture
    async def store(self) -> EmojiStore:  # pragma: no cover - bindings override
        raise NotImplementedError

    async def test_add_list_get_delete(self, store: EmojiStore) -> None:
        assert await store.list() == []
        added = await store.add("party.gif", b"GIF89a")
        assert (added.name, added.url) == ("party", "/img/emoji/party.gif")
        await store.add("wave.png", b"\x89PNG")
        assert [(e.name, e.path) for e in await store.list()] == [
            ("party", "party.gif"),
            ("wave", "wave.png"),
        ]
        assert (await store.get("party.gif")).body == b"GIF89a"
        await store.delete("party.gif")
        with pytest.raises(NotFoundError):
            await store.get("party.gif")
        with pytest.raises(NotFoundError):
            await store.delete("party.gif")

    async def test_names_cannot_escape_the_root(self, store: EmojiStore) -> None:
        added = await store.add("../../etc/evil.png", b"x")
        assert added.path == "evil.png"
        for bad in ("../owncast.db", "/etc/passwd", "a/../../b.png", ".."):
            with pytest.raises(NotFoundError):
                await store.get(bad)
        with pytest.raises(ValidationError):
            await store.delete("../owncast.db")

    async def test_existing_or_hidden_names_are_refused(self, store: EmojiStore) -> None:
        await store.add("a.png", b"1")
        with pytest.raises(ValidationError):
            await store.add("a.png", b"2")
        with pytest.raises(ValidationError):
            await store.add(".hidden.png", b"2")
        with pytest.raises(ValidationError):
            await store.add("", b"2")
        assert (await store.get("a.png")).body == b"1"
