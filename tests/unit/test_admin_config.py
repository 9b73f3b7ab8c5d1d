"""AdminConfigService + ConfigViews: every setter round-trips; bad values change nothing."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.events import ConfigChanged, StreamTitleChanged
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.services.admin_config import SETTER_NAMES, AdminConfigService
from owncast_core.services.config import ConfigService
from owncast_core.services.config_views import ConfigViews
from owncast_core.services.status import StatusService
from owncast_core.services.stream import StreamService
from owncast_core.services.viewers import ViewerService
from owncast_core.testing.fakes import (
    FakeClock,
    FakeEncoderProbe,
    FakeTranscoder,
    InMemoryConfigRepository,
    InMemoryEventBus,
    InMemoryLogoStore,
    InMemoryVideoStorage,
    PlainPageRenderer,
    PlainPasswordHasher,
    SequentialIds,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


class ChatSpy:
    def __init__(self) -> None:
        self.actions: list[tuple[str, bool]] = []

    async def send_action(self, body: str, *, persist: bool = True) -> None:
        self.actions.append((body, persist))


class Env:
    def __init__(self, config: ConfigService, admin: AdminConfigService, views: ConfigViews, bus: InMemoryEventBus,
                 chat: ChatSpy, logos: InMemoryLogoStore) -> None:
        self.config, self.admin, self.views, self.bus, self.chat, self.logos = config, admin, views, bus, chat, logos


@pytest.fixture
async def env(tmp_path) -> Env:  # type: ignore[no-untyped-def]
    clock, bus, ids = FakeClock(), InMemoryEventBus(), SequentialIds()
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await config.load()
    stream = StreamService(config=config, transcoder=FakeTranscoder(),
                           storage_factory=lambda: InMemoryVideoStorage(tmp_path / "hls"), bus=bus, clock=clock,
                           ids=ids, hls_dir=str(tmp_path / "hls"), thumbnail_path=str(tmp_path / "t.jpg"))
    viewers = ViewerService(clock=clock)
    status = StatusService(stream=stream, viewers=viewers, config=config, clock=clock)
    encoders = FakeEncoderProbe(["libx264", "h264_nvenc"], good_paths=("/usr/bin/ffmpeg",))
    logos, chat = InMemoryLogoStore(), ChatSpy()
    admin = AdminConfigService(config=config, bus=bus, clock=clock, ids=ids, logo_store=logos, encoders=encoders,
                               chat=chat)
    views = ConfigViews(config=config, renderer=PlainPageRenderer(), encoders=encoders, status=status,
                        release="Owncast v0.2.3-test (owncast-py)")
    return Env(config, admin, views, bus, chat, logos)


def dig(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


VARIANT = {"videoPassthrough": False, "audioPassthrough": True, "videoBitrate": 3000, "audioBitrate": 0,
           "framerate": 42, "cpuUsageLevel": 3, "scaledWidth": 1280, "scaledHeight": 720}
S3 = {"enabled": True, "endpoint": "https://s3.example.com", "accessKey": "AK", "secret": "SK", "bucket": "b",
      "region": "us-east-1", "acl": "public-read", "forcePathStyle": True, "pathPrefix": "live",
      "servingEndpoint": "https://cdn.example.com"}

# (setter, value sent, serverconfig path, expected value there, bad values)
ROUND_TRIPS: list[tuple[str, Any, str, Any, list[Any]]] = [
    ("name", "My Server", "instanceDetails.name", "My Server", [1, None, ["x"]]),
    ("serversummary", "About me", "instanceDetails.summary", "About me", [True]),
    ("pagecontent", "# Hi", "instanceDetails.extraPageContent", "# Hi", [{}]),
    ("welcomemessage", "  hello  ", "instanceDetails.welcomeMessage", "hello", [3]),
    ("offlinemessage", " gone ", "instanceDetails.offlineMessage", "gone", [[]]),
    ("streamtitle", "Live now", "instanceDetails.streamTitle", "Live now", [5]),
    ("customstyles", "body{}", "instanceDetails.customStyles", "body{}", [False]),
    ("customjavascript", "alert(1)", "instanceDetails.customJavascript", "alert(1)", [1.5]),
    ("sockethostoverride", "wss://chat.example", "socketHostOverride", "wss://chat.example", [1]),
    ("videoservingendpoint", "https://cdn.example/", "videoServingEndpoint", "https://cdn.example", ["ftp://x", 2]),
    ("tags", ["#one", "two"], "instanceDetails.tags", ["one", "two"], ["one", [1], ["a,b"]]),
    ("socialhandles", [{"platform": "mastodon", "url": "https://m.example/@me"}], "instanceDetails.socialHandles",
     [{"platform": "mastodon", "url": "https://m.example/@me"}], [{"platform": "x"}, [{"platform": "x"}], [1],
     [{"platform": "x", "url": "javascript:alert(1)"}], [{"platform": "x", "url": "data:text/html,<b>"}],
     [{"platform": "x", "url": "mailto:"}], [{"platform": "x", "url": "//evil.example"}]]),
    ("nsfw", True, "instanceDetails.nsfw", True, ["true", 1, None]),
    ("directoryenabled", True, "yp.enabled", True, ["yes"]),
    ("hideviewercount", True, "hideViewerCount", True, [0]),
    ("recordings/enabled", True, "recordingsEnabled", True, ["yes", 1, None]),
    ("recordings/retention", {"maxAgeDays": 30, "maxTotalGB": 50.5}, "recordingsRetention",
     {"maxAgeDays": 30, "maxTotalGB": 50.5},
     [None, 30, [30, 50], "30", {"maxAgeDays": -1}, {"maxAgeDays": "30"}, {"maxAgeDays": True},
      {"maxAgeDays": 1.5}, {"maxAgeDays": 36501}, {"maxTotalGB": -0.5}, {"maxTotalGB": 1e300},
      {"maxTotalGB": 0.01}, {"maxTotalGB": None}, {"maxAgeDay": 30}, {"maxAgeDays": 10**400},
      {"maxTotalGB": -(10**400)}]),  # NaN: over HTTP in test_recordings_retention
    ("disablesearchindexing", True, "disableSearchIndexing", True, ["no"]),
    ("streamkeys", [{"key": "k1", "comment": "one"}, {"key": "k2", "comment": ""}], "streamKeys",
     [{"key": "k1", "comment": "one"}, {"key": "k2", "comment": ""}], [[], None, [{"key": ""}], "abc", [{"key": 5}]]),
    ("key", "single", "streamKeys", [{"key": "single", "comment": ""}], ["", 4]),
    ("webserverport", 8081, "webServerPort", 8081, [0, 65536, "8080", 80.5, True, 10**400]),
    ("webserverip", "127.0.0.1", "webServerIP", "127.0.0.1", ["not-an-ip", 12]),
    ("rtmpserverport", 1936, "rtmpServerPort", 1936, [-1, "x", 70000]),
    ("serverurl", "https://live.example.com/", "yp.instanceUrl", "https://live.example.com",
     ["not.valid.url", "", "http://192.168.1.2", "ftp://x.example", 3]),
    ("video/streamlatencylevel", 4, "videoSettings.latencyLevel", 4, [5, -1, "2", 1.5, -(10**400)]),
    ("video/streamoutputvariants", [VARIANT], "videoSettings.videoQualityVariants.0.framerate", 42,
     [[], [{"videoBitrate": "fast"}], [{"framerate": -1}], {"x": 1}]),
    ("video/codec", "h264_nvenc", "videoCodec", "h264_nvenc", ["", "h264_nonsense", 5]),
    ("s3", S3, "s3", S3, [{"enabled": True}, {"enabled": True, "endpoint": "not a url", "accessKey": "a",
                                                "secret": "b", "region": "r", "bucket": "b"},
                          {**S3, "bucket": ""}, {**S3, "region": ""}, {**S3, "secret": ""}, "s3", {"enabled": "yes"},
                          {**S3, "servingEndpoint": "not a url"}]),
    ("externalactions", [{"url": "https://x.example", "title": "Donate", "description": "d", "icon": "",
                          "color": "#fff", "openExternally": True}], "externalActions",
     [{"url": "https://x.example", "title": "Donate", "description": "d", "icon": "", "color": "#fff",
       "openExternally": True}], [[{"title": ""}], [{"url": "javascript:alert(1)", "title": "x"}], "x"]),
    ("appearance", {"--theme-color": "#123456"}, "instanceDetails.appearanceVariables", {"--theme-color": "#123456"},
     [None, ["x"], {"a": 1}]),
    ("chat/disable", True, "chatDisabled", True, ["x"]),
    ("chat/joinmessagesenabled", False, "chatJoinMessagesEnabled", False, [0]),
    ("chat/establishedusermode", True, "chatEstablishedUserMode", True, [1]),
    ("chat/spamprotectionenabled", False, "chatSpamProtectionEnabled", False, [None]),
    ("chat/slurfilterenabled", True, "chatSlurFilterEnabled", True, ["true"]),
    ("chat/forbiddenusernames", ["badname"], "forbiddenUsernames", ["badname"], ["x", [1]]),
    ("chat/suggestedusernames", ["a", "b"], "suggestedUsernames", ["a", "b"], [{"a": 1}]),
    ("federation/enable", True, "federation.enabled", True, ["on"]),
    ("federation/private", True, "federation.isPrivate", True, [1]),
    ("federation/showengagement", False, "federation.showEngagement", False, [0]),
    ("federation/username", "me", "federation.username", "me", [7]),
    ("federation/livemessage", "Live!", "federation.goLiveMessage", "Live!", [False]),
    ("federation/blockdomains", ["bad.example"], "federation.blockedDomains", ["bad.example"], ["bad.example"]),
    ("notifications/discord", {"enabled": True, "webhook": "https://discord.example/api/webhooks/1",
                               "goLiveMessage": "on air"}, "notifications.discord",
     {"enabled": True, "webhook": "https://discord.example/api/webhooks/1", "goLiveMessage": "on air"},
     [{"enabled": True}, {"enabled": "x"}, {"enabled": False, "webhook": "nope"}]),
    ("notifications/browser", {"enabled": False, "goLiveMessage": "hey"}, "notifications.browser",
     {"enabled": False, "goLiveMessage": "hey"}, [{"enabled": 1}, []]),
    ("ffmpegpath", "/usr/bin/ffmpeg", "ffmpegPath", "/usr/bin/ffmpeg", ["/nonexistent/ffmpeg", 3]),
    ("logo", "data:image/png;base64," + base64.b64encode(PNG).decode(), "instanceDetails.logo", "logo.png",
     ["data:image/png;base64,notbase64!!", "data:image/png;base64," + base64.b64encode(b"GIF89a").decode(),
      "data:text/html;base64,PGI+", "just text", 5]),
]


def test_the_table_covers_every_setter_except_adminpass() -> None:
    assert {case[0] for case in ROUND_TRIPS} | {"adminpass"} == set(SETTER_NAMES)


@pytest.mark.parametrize(("name", "value", "path", "expected", "bad"), ROUND_TRIPS, ids=[c[0] for c in ROUND_TRIPS])
async def test_setter_round_trips_and_bad_values_change_nothing(
    env: Env, name: str, value: Any, path: str, expected: Any, bad: list[Any]
) -> None:
    before = await env.views.server_config()
    for candidate in bad:
        with pytest.raises(ValidationError):
            await env.admin.apply(name, {"value": candidate})
        assert await env.views.server_config() == before, f"{name} changed on bad value {candidate!r}"
    message = await env.admin.apply(name, {"value": copy.deepcopy(value)})
    assert isinstance(message, str) and message
    assert dig(await env.views.server_config(), path) == expected
    assert any(isinstance(e, ConfigChanged) and e.name == name for e in env.bus.published)


async def test_admin_password_is_hashed_and_verifiable(env: Env) -> None:
    await env.admin.apply("adminpass", {"value": "n3w-pass"})
    doc = await env.views.server_config()
    assert doc["adminPassword"] != "n3w-pass" and env.config.verify_admin_password("n3w-pass")
    with pytest.raises(ValidationError):
        await env.admin.apply("adminpass", {"value": ""})
    assert env.config.verify_admin_password("n3w-pass")


async def test_missing_value_and_unknown_setter(env: Env) -> None:
    with pytest.raises(ValidationError, match="unable to parse new value"):
        await env.admin.apply("name", {"id": "zz", "comment": "ouch"})
    with pytest.raises(ValidationError):
        await env.admin.apply("streamkeys", ["not", "an", "object"])
    with pytest.raises(NotFoundError):
        await env.admin.apply("nosuchthing", {"value": 1})


async def test_stream_title_fires_event_and_ephemeral_chat_action(env: Env) -> None:
    await env.admin.apply("streamtitle", {"value": "Cooking **pasta**"})
    (event,) = env.bus.of_type(StreamTitleChanged)
    assert event.title == "Cooking **pasta**"  # type: ignore[attr-defined]
    assert env.chat.actions == [("Stream title changed to **Cooking **pasta****", False)]
    await env.admin.apply("streamtitle", {"value": ""})
    assert len(env.bus.of_type(StreamTitleChanged)) == 1 and len(env.chat.actions) == 1


async def test_failing_chat_does_not_fail_the_title(env: Env) -> None:
    class Broken:
        async def send_action(self, body: str, *, persist: bool = True) -> None:
            raise RuntimeError("chat down")

    env.admin.attach_chat(Broken())
    assert await env.admin.apply("streamtitle", {"value": "x"}) == "changed"
    assert env.config.string(Keys.STREAM_TITLE) == "x"


async def test_logo_upload_writes_file_and_new_uuid(env: Env) -> None:
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    await env.admin.apply("logo", {"value": uri})
    first = env.config.string(Keys.LOGO_UUID)
    await env.admin.apply("logo", {"value": uri})
    assert env.logos.files == {"logo.png": PNG}
    assert env.config.string(Keys.LOGO_UUID) not in ("", first)


async def test_web_config_defaults(env: Env) -> None:
    doc = await env.views.web_config()
    assert doc["name"] == "New Owncast Server"
    assert doc["summary"] == "This is a new live video streaming server powered by Owncast."
    assert "streamTitle" not in doc and "socketHostOverride" not in doc
    assert doc["offlineMessage"] == "" and doc["logo"] == "/logo"
    assert doc["socialHandles"] == [{"platform": "github", "url": "https://github.com/owncast/owncast",
                                     "icon": "/img/platformlogos/github.svg"}]
    assert doc["federation"] == {"enabled": False}
    assert doc["maxSocketPayloadSize"] == 2048 and doc["authentication"] == {"indieAuthEnabled": False}
    assert doc["chatSpamProtectionDisabled"] is True  # Owncast sends the *enabled* flag here
    assert doc["notifications"] == {"browser": {"enabled": False}}  # no VAPID key generated yet


async def test_web_config_after_changes(env: Env) -> None:
    await env.admin.apply("offlinemessage", {"value": "back soon"})
    await env.admin.apply("socialhandles", {"value": [{"platform": "weird", "url": "https://w.example"},
                                                      {"platform": "email", "url": "mailto:me@example.org"}]})
    await env.admin.apply("serverurl", {"value": "https://live.example.com:8443"})
    await env.admin.apply("federation/enable", {"value": True})
    env.config._values[Keys.VAPID_PUBLIC_KEY] = "BPUBKEY"
    doc = await env.views.web_config()
    assert doc["offlineMessage"] == "<p>back soon</p>"
    assert doc["socialHandles"] == [{"platform": "weird", "url": "https://w.example"},
                                    {"platform": "email", "url": "mailto:me@example.org"}]
    assert doc["federation"] == {"enabled": True, "account": "streamer@live.example.com:8443"}
    assert doc["authentication"] == {"indieAuthEnabled": True}
    assert doc["notifications"] == {"browser": {"enabled": True, "publicKey": "BPUBKEY"}}


async def test_server_config_defaults(env: Env) -> None:
    doc = await env.views.server_config()
    assert doc["streamKeys"] == [{"key": "abc123", "comment": "Default stream key"}]
    assert doc["s3"] == {"enabled": False, "forcePathStyle": False}
    assert doc["yp"] == {"enabled": False, "instanceUrl": ""}
    assert doc["federation"] == {"enabled": False, "isPrivate": False, "showEngagement": True,
                                 "goLiveMessage": "I've gone live!", "username": "streamer", "blockedDomains": []}
    assert doc["forbiddenUsernames"] == ["owncast", "operator", "admin", "system"]
    assert doc["notifications"] == {"browser": {"enabled": True, "goLiveMessage": "I've gone live!"},
                                    "discord": {"enabled": False}}
    assert doc["videoSettings"] == {"latencyLevel": 2, "videoQualityVariants": [
        {"name": "1.2Mbps@24fps", "videoPassthrough": False, "audioPassthrough": True, "videoBitrate": 1200,
         "audioBitrate": 0, "framerate": 24, "cpuUsageLevel": 2}]}
    assert doc["instanceDetails"]["socialHandles"] == [{"platform": "github",
                                                        "url": "https://github.com/owncast/owncast"}]
    assert doc["supportedCodecs"] == ["libx264", "h264_nvenc"] and doc["videoCodec"] == "libx264"
    assert doc["webServerPort"] == 8080 and doc["rtmpServerPort"] == 1935 and doc["webServerIP"] == "0.0.0.0"
    assert doc["streamKeyOverridden"] is False and "socketHostOverride" not in doc


async def test_directory_document(env: Env) -> None:
    assert env.views.directory() is None
    await env.admin.apply("directoryenabled", {"value": True})
    doc = env.views.directory()
    assert doc is not None and doc["name"] == "New Owncast Server" and doc["logo"] == "/logo"
    assert doc["online"] is False and "streamTitle" not in doc and doc["tags"] == ["owncast", "streaming"]
