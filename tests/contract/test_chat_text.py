"""Bindings of the MessageRenderer and EmojiStore contracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from owncast_adapters.render.chat_markdown import MarkdownChatRenderer
from owncast_adapters.storage.emoji import LocalEmojiStore
from owncast_core.testing.contracts.emoji import EmojiStoreContract
from owncast_core.testing.contracts.render import MessageRendererContract
from owncast_core.testing.fakes import EscapingMessageRenderer, InMemoryEmojiStore


class TestEscapingMessageRenderer(MessageRendererContract):
    @pytest.fixture
    def renderer(self) -> EscapingMessageRenderer:
        return EscapingMessageRenderer()


class TestMarkdownChatRenderer(MessageRendererContract):
    @pytest.fixture
    def renderer(self) -> MarkdownChatRenderer:
        return MarkdownChatRenderer()


class TestInMemoryEmojiStore(EmojiStoreContract):
    @pytest.fixture
    async def store(self) -> InMemoryEmojiStore:
        return InMemoryEmojiStore()


class TestLocalEmojiStore(EmojiStoreContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> LocalEmojiStore:
        (tmp_path / "owncast.db").write_text("secret")
        return LocalEmojiStore(root=tmp_path / "emoji")
