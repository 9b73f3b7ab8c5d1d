"""``OwncastImportService`` on fakes: what it maps, what it skips and why, and that a second run
changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from owncast_core.domain.activitypub import FederatedAction, Follower
from owncast_core.domain.chat import ChatRecord, ChatUser, IPBan
from owncast_core.domain.config import Keys
from owncast_core.domain.notifications import NotificationDestination
from owncast_core.domain.owncast_import import (
    LegacyAccessToken,
    LegacyConfigEntry,
    LegacyFile,
    LegacyWebhook,
    map_config_entry,
)
from owncast_core.errors import ImportSourceError, NotFoundError
from owncast_core.services.owncast_import import OwncastImportService
from owncast_core.testing.fakes import (
    FakeClock,
    InMemoryActivityPubRepository,
    InMemoryChatRepository,
    InMemoryConfigRepository,
    InMemoryEmojiStore,
    InMemoryFollowersRepository,
    InMemoryLogoStore,
    InMemoryNotificationsRepository,
    InMemoryOwncastSource,
    InMemoryUserRepository,
    InMemoryWebhookRepository,
    PlainPasswordHasher,
    SequentialIds,
)

NOW = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)
BCRYPT = "$2a$04$m/dl1e4hVK/nFuu6A5rw/e8WcrfrgHgJg7SkwE7ZbgEqiZtaq3Yxy"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 8
PUSH_SUBSCRIPTION = json.dumps({"endpoint": "https://push.example.com/s/1",
                                "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}})


class Rig:
    def __init__(self) -> None:
        self.source = InMemoryOwncastSource()
        self.config = InMemoryConfigRepository()
        self.users = InMemoryUserRepository()
        self.messages = InMemoryChatRepository(self.users)
        self.webhooks = InMemoryWebhookRepository()
        self.followers = InMemoryFollowersRepository()
        self.activities = InMemoryActivityPubRepository()
        self.notifications = InMemoryNotificationsRepository()
        self.logo = InMemoryLogoStore()
        self.emoji = InMemoryEmojiStore()
        self.backups: list[dict[str, Any]] = []

    async def backup(self) -> str:
        self.backups.append(await self.config.all())  # what the database held when backed up
        return "/backup/owncast-backup.db"

    def service(self) -> OwncastImportService:
        return OwncastImportService(
            source=self.source, config=self.config, users=self.users, messages=self.messages,
            webhooks=self.webhooks, followers=self.followers, activities=self.activities,
            notifications=self.notifications,
            logo_store=self.logo, emoji_store=self.emoji, hasher=PlainPasswordHasher(), clock=FakeClock(NOW),
            secrets=SequentialIds(), backup=self.backup,
        )


def go_user(uid: str, name: str, colour: int, **extra: Any) -> ChatUser:
    return ChatUser(id=uid, display_name=name, display_color=colour, created_at=NOW - timedelta(days=9),
                    previous_names=(name,), **extra)


@pytest.fixture
def rig() -> Rig:
    rig = Rig()
    src = rig.source
    src.config = [
        LegacyConfigEntry("server_name", "Radio"),
        LegacyConfigEntry("server_metadata_tags", "music,#coding, chill"),
        LegacyConfigEntry("stream_keys", [{"Key": "k1", "Comment": "OBS"}, {"Key": "k2", "Comment": ""}]),
        LegacyConfigEntry("social_handles", [{"Platform": "mastodon", "URL": "https://social.example/@r",
                                              "Icon": ""}]),
        LegacyConfigEntry("video_stream_output_variants", [
            {"Name": "", "IsVideoPassthrough": False, "IsAudioPassthrough": True, "VideoBitrate": 1800,
             "AudioBitrate": 0, "ScaledWidth": 0, "ScaledHeight": 720, "Framerate": 30, "EncoderPreset": "faster",
             "CPUUsageLevel": 0}]),
        LegacyConfigEntry("admin_password_key", BCRYPT),
        LegacyConfigEntry("http_port_number", 8080.0),
        LegacyConfigEntry("video_latency_level", 9.0),
        LegacyConfigEntry("federation_blocked_domains", "a.example,b.example"),
        LegacyConfigEntry("logo_path", "logo.png"),
        LegacyConfigEntry("server_url", "http://192.168.1.2"),  # private: refused by our rule
        LegacyConfigEntry("chat_disabled", "yes"),  # wrong type
        LegacyConfigEntry("brand_new_key", 1.0),
        LegacyConfigEntry("custom_css", error="truncated: need 4 bytes"),
        LegacyConfigEntry("HAS_POPULATED_DEFAULTS", True),
    ]
    src.files = {"logo.png": LegacyFile("logo.png", PNG)}
    src.emoji_files = [LegacyFile("party.gif", b"GIF89a..")]
    src.user_rows = [go_user("u-a", "alice", 3), go_user("u-b", "bob", 5, scopes=("MODERATOR",)),
                     go_user("u-c", "carol", 1)]
    src.token_rows = [LegacyAccessToken("t-a1", "u-a", NOW), LegacyAccessToken("t-a2", "u-a", NOW),
                      LegacyAccessToken("t-b", "u-b", NOW), LegacyAccessToken("t-x", "u-nobody", NOW)]
    src.message_rows = [
        ChatRecord("m1", "CHAT", "hi", NOW - timedelta(minutes=30), user_id="u-a"),
        ChatRecord("m2", "SYSTEM", "welcome", NOW - timedelta(minutes=20)),
        ChatRecord("m-old", "CHAT", "last week", NOW - timedelta(days=7), user_id="u-b"),
    ]
    src.problems = {"messages": ["message 'm-bad': unreadable time 'x'"]}
    src.ban_rows = [IPBan("203.0.113.9", "spam", NOW)]
    src.webhook_rows = [LegacyWebhook("https://h.example/a", ("CHAT", "USER_JOINED"), NOW),
                        LegacyWebhook("https://h.example/b", ("STREAM_STARTED", "NOT_AN_EVENT"), NOW),
                        LegacyWebhook("https://h.example/c", ("NOT_AN_EVENT",), NOW)]
    src.follower_rows = [Follower("https://s.example/u/f", "https://s.example/u/f/inbox", "F", "f", "",
                                  NOW - timedelta(days=3), follow_iri="https://s.example/follows/1",
                                  approved_at=NOW - timedelta(days=3))]
    src.action_rows = [FederatedAction("https://s.example/likes/1", "https://s.example/u/f",
                                       "FEDIVERSE_ENGAGEMENT_LIKE", NOW - timedelta(hours=1))]
    src.destination_rows = [
        NotificationDestination("BROWSER_PUSH_NOTIFICATION", PUSH_SUBSCRIPTION, NOW),
        NotificationDestination("BROWSER_PUSH_NOTIFICATION", '{"endpoint": "http://10.0.0.1/x"}', NOW),
        NotificationDestination("SMS", "+15550100", NOW),
    ]
    return rig


async def test_settings_map_through_our_rules(rig: Rig) -> None:
    report = await rig.service().run()
    stored = await rig.config.all()
    assert stored[Keys.SERVER_NAME] == "Radio"
    assert stored[Keys.TAGS] == ["music", "coding", "chill"]
    assert stored[Keys.STREAM_KEYS] == [{"key": "k1", "comment": "OBS"}, {"key": "k2", "comment": ""}]
    assert stored[Keys.SOCIAL_HANDLES] == [{"platform": "mastodon", "url": "https://social.example/@r"}]
    [variant] = stored[Keys.VIDEO_VARIANTS]
    assert (variant["videoBitrate"], variant["scaledHeight"], variant["cpuUsageLevel"]) == (1800, 720, 4)
    assert stored[Keys.ADMIN_PASSWORD_HASH] == BCRYPT
    assert stored[Keys.WEB_PORT] == 8080
    assert stored[Keys.LATENCY_LEVEL] == 4  # Owncast reads anything above 4 as 4
    assert stored[Keys.FEDERATION_BLOCKED_DOMAINS] == ["a.example", "b.example"]
    assert Keys.SERVER_URL not in stored and Keys.CHAT_DISABLED not in stored

    settings = report.categories[0]
    assert settings.name == "settings" and settings.imported == 9
    skipped = {s.what: s.reason for s in settings.skipped}
    assert "Server URL cannot be private" in skipped["server_url"]
    assert "true/false" in skipped["chat_disabled"]
    assert "knows" in skipped["brand_new_key"]
    assert "unreadable" in skipped["custom_css"]
    assert {s.what for s in settings.not_needed} == {"HAS_POPULATED_DEFAULTS", "logo_path"}


async def test_backup_comes_before_any_write(rig: Rig) -> None:
    report = await rig.service().run()
    assert rig.backups == [{}]
    assert report.backup == "/backup/owncast-backup.db"
    assert rig.source.opened == rig.source.closed == 1


async def test_no_stream_keys_in_owncast_keeps_ours_and_says_which(rig: Rig) -> None:
    await rig.config.set(Keys.STREAM_KEYS, [{"key": "abc123", "comment": "Default stream key"}])
    rig.source.config = [LegacyConfigEntry("stream_keys", [])]
    report = await rig.service().run()
    assert (await rig.config.all())[Keys.STREAM_KEYS] == [{"key": "abc123", "comment": "Default stream key"}]
    [skipped] = report.categories[0].skipped
    assert skipped.what == "stream_keys" and "abc123" in skipped.reason and "set your own" in skipped.reason


async def test_a_plain_text_password_from_owncast_v01_is_hashed(rig: Rig) -> None:
    rig.source.config = [LegacyConfigEntry("admin_password_key", "hunter2")]
    await rig.service().run()
    stored = await rig.config.all()
    assert PlainPasswordHasher().verify("hunter2", stored[Keys.ADMIN_PASSWORD_HASH])
    await rig.service().run()
    assert (await rig.config.all())[Keys.ADMIN_PASSWORD_HASH] == stored[Keys.ADMIN_PASSWORD_HASH]


async def test_chat_users_keep_their_ids_tokens_names_and_colours(rig: Rig) -> None:
    report = await rig.service().run()
    for token, (uid, name, colour) in {"t-a1": ("u-a", "alice", 3), "t-a2": ("u-a", "alice", 3),
                                       "t-b": ("u-b", "bob", 5)}.items():
        user = await rig.users.user_by_token(token)
        assert (user.id, user.display_name, user.display_color) == (uid, name, colour)
    assert (await rig.users.user_by_id("u-b")).is_moderator
    assert (await rig.users.user_by_id("u-c")).display_name == "carol"  # no token: still the author of history
    with pytest.raises(NotFoundError):
        await rig.users.user_by_token("t-x")
    users = next(c for c in report.categories if c.name == "chat users")
    assert users.imported == 3 and [s.reason for s in users.skipped] == ["the tokens name users that do not exist"]


async def test_messages_within_the_retention_are_imported(rig: Rig) -> None:
    report = await rig.service().run()
    stored = {e.record.id: e for e in await rig.messages.all_messages()}
    assert set(stored) == {"m1", "m2"}
    assert stored["m1"].user is not None and stored["m1"].user.display_name == "alice"
    messages = next(c for c in report.categories if c.name == "chat messages")
    assert messages.imported == 2
    assert [s.what for s in messages.skipped] == ["a row", "1 message(s)"]


async def test_webhooks_get_a_secret_and_only_events_we_send(rig: Rig) -> None:
    report = await rig.service().run()
    hooks = {h.url: h for h in await rig.webhooks.list()}
    assert set(hooks) == {"https://h.example/a", "https://h.example/b"}
    assert hooks["https://h.example/b"].events == ("STREAM_STARTED",)
    assert all(len(h.secret) >= 32 for h in hooks.values())
    category = next(c for c in report.categories if c.name == "webhooks")
    assert category.imported == 2 and len(category.skipped) == 2


async def test_everything_else_lands(rig: Rig) -> None:
    await rig.service().run()
    assert rig.logo.files == {"logo.png": PNG}
    stored = await rig.config.all()
    assert stored[Keys.LOGO] == "logo.png" and stored[Keys.LOGO_UUID]
    assert [e.name for e in await rig.emoji.list()] == ["party"]
    assert await rig.users.is_ip_banned("203.0.113.9")
    follower = await rig.followers.get("https://s.example/u/f")
    assert follower is not None and follower.follow_iri == "https://s.example/follows/1"
    assert await rig.activities.count_actions() == 1
    assert [d.destination for d in await rig.notifications.list("BROWSER_PUSH_NOTIFICATION")] == [PUSH_SUBSCRIPTION]


async def test_a_second_run_changes_nothing(rig: Rig) -> None:
    await rig.service().run()
    before = (await rig.config.all(), [e.record for e in await rig.messages.all_messages()],
              await rig.webhooks.list(), await rig.users.ip_bans(), rig.logo.files)
    report = await rig.service().run()
    after = (await rig.config.all(), [e.record for e in await rig.messages.all_messages()],
             await rig.webhooks.list(), await rig.users.ip_bans(), rig.logo.files)
    assert after == before
    assert report.total_imported == 0
    assert all(c.unchanged > 0 for c in report.categories)


async def test_a_bad_source_writes_nothing(rig: Rig) -> None:
    rig.source.error = "not an Owncast database"
    with pytest.raises(ImportSourceError, match="not an Owncast database"):
        await rig.service().run()
    assert rig.backups == [] and await rig.config.all() == {}


def test_report_lines_are_short_and_say_why() -> None:
    entry = map_config_entry(LegacyConfigEntry("nsfw", 1.0))
    assert entry.key is None and entry.skip_reason is not None and "true/false" in entry.skip_reason
