"""Contract suite for ``LegacyOwncastSource`` (the "Move from Owncast" import's source).

Bindings provide ``build``: an async function taking a ``LegacyScenario`` and returning a source
(not yet opened) that holds exactly that data, the way the adapter's real storage would hold it
(for a Go Owncast database: rows in its tables, settings gob-encoded in ``datastore``, files in
its data directory); and ``missing``: a source whose location does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from owncast_core.domain.chat import ChatRecord, ChatUser, IPBan
from owncast_core.domain.owncast_import import LegacyAccessToken, LegacyFile, LegacyWebhook
from owncast_core.errors import ImportSourceError
from owncast_core.ports.owncast_import import LegacyOwncastSource

_T0 = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)


@dataclass
class LegacyScenario:
    """What a source under test holds. Settings are strings and booleans (every encoding of
    them is simple); ``logo`` is named by the ``logo_path`` setting."""

    config: dict[str, str | bool] = field(default_factory=dict)
    users: list[ChatUser] = field(default_factory=list)
    tokens: list[LegacyAccessToken] = field(default_factory=list)
    messages: list[ChatRecord] = field(default_factory=list)
    bans: list[IPBan] = field(default_factory=list)
    webhooks: list[LegacyWebhook] = field(default_factory=list)
    logo: LegacyFile | None = None
    emoji: list[LegacyFile] = field(default_factory=list)


SCENARIO = LegacyScenario(
    config={"server_name": "Ünïcode Radio", "server_summary": "", "nsfw": True, "chat_disabled": False,
            "logo_path": "logo.png"},
    users=[
        ChatUser("u-1", "alice", 3, _T0, previous_names=("al", "alice")),
        ChatUser("u-2", "Bob 🎸", 7, _T0, previous_names=("Bob 🎸",), scopes=("MODERATOR",),
                 disabled_at=_T0 + timedelta(days=1)),
    ],
    tokens=[LegacyAccessToken("tok-1", "u-1", _T0), LegacyAccessToken("tok-2", "u-1", _T0),
            LegacyAccessToken("tok-3", "u-2", _T0)],
    messages=[ChatRecord("m-1", "CHAT", "hello **there**", _T0 + timedelta(minutes=1), user_id="u-1"),
              ChatRecord("m-2", "SYSTEM", "Stream starts soon", _T0 + timedelta(minutes=2))],
    bans=[IPBan("203.0.113.9", "spam", _T0), IPBan("2001:db8::1", "", _T0 + timedelta(hours=1))],
    webhooks=[LegacyWebhook("https://hooks.example/a", ("CHAT", "USER_JOINED"), _T0)],
    logo=LegacyFile("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(16)),
    emoji=[LegacyFile("party.gif", b"GIF89a" + bytes(8)), LegacyFile("wave.png", b"\x89PNG" + bytes(8))],
)

Build = Callable[[LegacyScenario], Awaitable[LegacyOwncastSource]]


class LegacyOwncastSourceContract:
    """The rows, settings and files a source holds come back as our domain types, unchanged."""

    @pytest.fixture
    def build(self) -> Build:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    def missing(self) -> LegacyOwncastSource:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def source(self, build: Build) -> LegacyOwncastSource:
        src = await build(SCENARIO)
        await src.open()
        return src

    async def test_a_missing_source_is_refused_with_a_one_line_reason(self, missing: LegacyOwncastSource) -> None:
        with pytest.raises(ImportSourceError) as caught:
            await missing.open()
        assert str(caught.value) and "\n" not in str(caught.value)

    async def test_settings_come_back_decoded(self, source: LegacyOwncastSource) -> None:
        entries = (await source.config_entries()).items
        assert {e.key: e.value for e in entries} == SCENARIO.config
        assert all(e.error is None for e in entries)
        await source.close()

    async def test_users_and_their_tokens(self, source: LegacyOwncastSource) -> None:
        users = {u.id: u for u in (await source.users()).items}
        assert set(users) == {u.id for u in SCENARIO.users}
        for expected in SCENARIO.users:
            got = users[expected.id]
            assert (got.display_name, got.display_color, got.created_at) == (
                expected.display_name, expected.display_color, expected.created_at)
            assert (got.previous_names, got.scopes, got.disabled_at) == (
                expected.previous_names, expected.scopes, expected.disabled_at)
        tokens = (await source.access_tokens()).items
        assert sorted((t.token, t.user_id) for t in tokens) == sorted((t.token, t.user_id) for t in SCENARIO.tokens)
        await source.close()

    async def test_messages_bans_and_webhooks(self, source: LegacyOwncastSource) -> None:
        messages = sorted((await source.messages()).items, key=lambda m: m.id)
        assert [(m.id, m.event_type, m.body, m.timestamp, m.user_id) for m in messages] == [
            (m.id, m.event_type, m.body, m.timestamp, m.user_id) for m in SCENARIO.messages]
        bans = sorted((await source.ip_bans()).items, key=lambda b: b.ip_address)
        assert [(b.ip_address, b.notes, b.created_at) for b in bans] == sorted(
            (b.ip_address, b.notes, b.created_at) for b in SCENARIO.bans)
        hooks = (await source.webhooks()).items
        assert [(h.url, h.events) for h in hooks] == [(h.url, h.events) for h in SCENARIO.webhooks]
        await source.close()

    async def test_logo_and_emoji_files(self, source: LegacyOwncastSource) -> None:
        assert SCENARIO.logo is not None
        assert await source.logo(SCENARIO.logo.name) == SCENARIO.logo
        assert await source.logo("absent.png") is None
        for outside in ("/etc/passwd", "../../../../../../etc/passwd"):  # never a file outside the data directory
            assert await source.logo(outside) is None
        assert sorted((await source.emoji()).items, key=lambda f: f.name) == SCENARIO.emoji
        await source.close()

    async def test_an_empty_source_gives_empty_extracts(self, build: Build) -> None:
        src = await build(LegacyScenario())
        await src.open()
        for read in (src.config_entries, src.users, src.access_tokens, src.messages, src.ip_bans, src.webhooks,
                     src.followers, src.federated_actions, src.notification_destinations, src.emoji):
            extract = await read()
            assert (extract.items, extract.problems) == ([], [])
        await src.close()
