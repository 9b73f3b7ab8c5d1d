"""The admin, config, stats, webhook and integration APIs on a running in-process server.

One ``OwncastServer`` (real SQLite file, Hypercorn on a free loopback port, RTMP on another) per
test; requests go over HTTP with httpx.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from starlette.routing import Route
from websockets.asyncio.client import connect

from owncast_adapters.auth.passwords import BcryptPasswordHasher
from owncast_core.domain import webhooks as wh
from owncast_core.domain.chat import ApiScope
from owncast_core.services.admin_config import SETTER_NAMES
from owncast_runners.container import Container
from owncast_runners.server import OwncastServer
from owncast_runners.settings import Settings
from owncast_runners.web.integrations import SCOPES

from ..geoip_support import write_city_db
from ..unit.adapters.test_page_markdown import OWNCAST_DEFAULT_PAGE_HTML
from ..unit.test_admin_config import ROUND_TRIPS, dig
from ..webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")


class Running:
    def __init__(self, server: OwncastServer, client: httpx.AsyncClient, data_dir: Path) -> None:
        self.server, self.client, self.data_dir = server, client, data_dir

    @property
    def port(self) -> int:
        return self.server.web_port

    async def admin_get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(path, auth=ADMIN, **kw)

    async def admin_post(self, path: str, body: Any) -> httpx.Response:
        return await self.client.post(path, auth=ADMIN, json=body)


async def start_server(data_dir: Path) -> Running:
    settings = Settings(data_dir=data_dir, web_host=("127.0.0.1",), web_port=0, rtmp_host="127.0.0.1",
                        rtmp_port=0, webhooks_allow_private=True)
    container = Container(settings=settings)
    container.password_hasher.override(providers.Singleton(BcryptPasswordHasher, rounds=4))  # fast, still bcrypt
    server = OwncastServer(settings, container)
    await server.start()
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.web_port}", timeout=10)
    return Running(server, client, data_dir)


async def stop_server(running: Running) -> None:
    await running.client.aclose()
    await running.server.stop()


@pytest.fixture
async def owncast(tmp_path: Path) -> AsyncIterator[Running]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    running = await start_server(tmp_path / "data")
    yield running
    await stop_server(running)
    root.setLevel(level)


# --- defaults -------------------------------------------------------------------------------------


async def test_fresh_database_web_config_is_owncasts_default(owncast: Running) -> None:
    r = await owncast.client.get("/api/config")
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert "no-cache" in r.headers["cache-control"]
    doc = r.json()
    assert doc.pop("version").startswith("Owncast v0.2.3-")
    public_key = doc["notifications"]["browser"].pop("publicKey")  # made at the first start, as Owncast
    assert len(base64.urlsafe_b64decode(public_key + "=")) == 65
    assert doc == {
        "appearanceVariables": {},
        "name": "New Owncast Server",
        "customStyles": "",
        "offlineMessage": "",
        "logo": "/logo",
        "extraPageContent": OWNCAST_DEFAULT_PAGE_HTML,
        "summary": "This is a new live video streaming server powered by Owncast.",
        "tags": ["owncast", "streaming"],
        "socialHandles": [{"platform": "github", "url": "https://github.com/owncast/owncast",
                           "icon": "/img/platformlogos/github.svg"}],
        "externalActions": [],
        "notifications": {"browser": {"enabled": True}},  # browser push is on by default
        "federation": {"enabled": False},
        "maxSocketPayloadSize": 2048,
        "hideViewerCount": False,
        "chatDisabled": False,
        "chatSpamProtectionDisabled": True,
        "nsfw": False,
        "authentication": {"indieAuthEnabled": False},
    }


async def test_fresh_database_server_config_is_owncasts_default(owncast: Running) -> None:
    r = await owncast.admin_get("/api/admin/serverconfig")
    assert r.status_code == 200 and "no-cache" in r.headers["cache-control"]
    doc = r.json()
    assert doc.pop("adminPassword").startswith("$2")  # bcrypt
    assert doc["instanceDetails"].pop("version").startswith("Owncast v0.2.3-")
    assert doc.pop("supportedCodecs")[0] == "libx264"
    assert doc == {
        "instanceDetails": {
            "appearanceVariables": {}, "welcomeMessage": "", "offlineMessage": "", "logo": "logo.svg",
            "name": "New Owncast Server", "extraPageContent": doc["instanceDetails"]["extraPageContent"],
            "streamTitle": "", "customStyles": "", "customJavascript": "",
            "summary": "This is a new live video streaming server powered by Owncast.",
            "tags": ["owncast", "streaming"],
            "socialHandles": [{"platform": "github", "url": "https://github.com/owncast/owncast"}], "nsfw": False,
        },
        "notifications": {"browser": {"enabled": True, "goLiveMessage": "I've gone live!"},
                          "discord": {"enabled": False}},
        "yp": {"enabled": False, "instanceUrl": ""},
        "ffmpegPath": "",
        "webServerIP": "0.0.0.0",
        "videoCodec": "libx264",
        "videoServingEndpoint": "",
        "s3": {"enabled": False, "forcePathStyle": False},
        "federation": {"username": "streamer", "goLiveMessage": "I've gone live!", "blockedDomains": [],
                       "enabled": False, "isPrivate": False, "showEngagement": True},
        "externalActions": [],
        "forbiddenUsernames": ["owncast", "operator", "admin", "system"],
        "suggestedUsernames": [],
        "streamKeys": [{"key": "abc123", "comment": "Default stream key"}],
        "videoSettings": {"videoQualityVariants": [{
            "name": "1.2Mbps@24fps", "videoPassthrough": False, "audioPassthrough": True, "videoBitrate": 1200,
            "audioBitrate": 0, "framerate": 24, "cpuUsageLevel": 2}], "latencyLevel": 2},
        "rtmpServerPort": 1935,
        "webServerPort": 8080,
        "chatDisabled": False,
        "chatJoinMessagesEnabled": True,
        "chatEstablishedUserMode": False,
        "chatSpamProtectionEnabled": True,
        "chatSlurFilterEnabled": False,
        "disableSearchIndexing": False,
        "streamKeyOverridden": False,
        "hideViewerCount": False,
        "recordingsEnabled": False,  # ours (Owncast has no recordings): off by default
        "recordingsRetention": {"maxAgeDays": 0, "maxTotalGB": 0},  # kept forever by default
    }
    assert doc["instanceDetails"]["extraPageContent"].startswith("# Welcome to Owncast!")


# --- auth on every route ------------------------------------------------------------------------


def _concrete(path: str) -> str:
    return (path.replace("{name:path}", "name").replace("{client_id}", "1").replace("{user_id}", "nobody")
            .replace("{path:path}", "x").replace("{id}", "x"))


def _routes(running: Running, prefix: str) -> list[tuple[str, str]]:
    app = running.server.container.web_app()
    found = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith(prefix):
            methods = sorted(m for m in (route.methods or {"GET"}) if m not in ("HEAD", "OPTIONS"))
            method = "POST" if "POST" in methods else methods[0]
            if route.path == "/api/admin/config/{name:path}":
                found += [(method, f"/api/admin/config/{name}") for name in SETTER_NAMES]
            else:
                found.append((method, _concrete(route.path)))
    return found


async def test_every_admin_route_needs_the_admin_password(owncast: Running) -> None:
    routes = _routes(owncast, "/api/admin/")
    assert len(routes) >= 75, routes  # every setter, status, stats, webhooks, tokens, chat moderation, emoji
    for method, path in routes:
        for auth in (None, ("admin", "wrong"), ("root", "abc123")):
            r = await owncast.client.request(method, path, auth=auth)
            assert r.status_code == 401, (method, path, auth, r.status_code)
            assert r.headers["www-authenticate"] == 'Basic realm="Owncast Authenticated Request"'
        # a successful login forgets the failures (ten in ten minutes would get this address a 429)
        assert (await owncast.admin_get("/api/admin/status")).status_code == 200
    r = await owncast.admin_get("/api/admin/status")
    assert r.status_code == 200


async def test_every_integration_route_needs_a_token_with_its_scope(owncast: Running) -> None:
    routes = _routes(owncast, "/api/integrations/")
    assert {p for _, p in routes} == {_concrete(p) for p in SCOPES}
    tokens = {}
    for scope in ApiScope.ALL:
        r = await owncast.admin_post("/api/admin/accesstokens/create", {"name": f"bot {scope}", "scopes": [scope]})
        assert r.status_code == 200
        tokens[scope] = r.json()["accessToken"]
    raw = {(_concrete(p)): s for p, s in SCOPES.items()}
    for method, path in routes:
        needed = raw[path]
        for header in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {tokens[needed]}"},
                       *({"Authorization": f"Bearer {tokens[s]}"} for s in ApiScope.ALL if s != needed)):
            r = await owncast.client.request(method, path, headers=header, json={})
            assert r.status_code == 401 and r.text == "unauthorized", (method, path, header, r.status_code)
        r = await owncast.client.request(method, path, headers={"Authorization": f"bearer {tokens[needed]}"},
                                         json={})
        assert r.status_code != 401, (method, path)
        assert r.headers["access-control-allow-origin"] == "*"
        r = await owncast.client.options(path)
        assert r.status_code == 204 and r.headers["access-control-allow-origin"] == "*"


# --- setters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value", "path", "expected", "bad"), ROUND_TRIPS, ids=[c[0] for c in ROUND_TRIPS])
async def test_setter_over_http(owncast: Running, name: str, value: Any, path: str, expected: Any,
                                bad: list[Any]) -> None:
    if name == "ffmpegpath":
        value = expected = ""  # the real probe accepts "" (built-in transcoder); a bad path is refused
        bad = ["/nonexistent/ffmpeg", 3]
    if name == "video/codec":
        value = expected = "libx264"
    before = (await owncast.admin_get("/api/admin/serverconfig")).json()
    for candidate in bad:
        r = await owncast.admin_post(f"/api/admin/config/{name}", {"value": candidate})
        assert r.status_code == 400 and r.json()["success"] is False, (name, candidate, r.text)
    r = await owncast.admin_post(f"/api/admin/config/{name}", {"value": copy.deepcopy(value)})
    assert r.status_code == 200 and r.json()["success"] is True, r.text
    after = (await owncast.admin_get("/api/admin/serverconfig")).json()
    assert dig(after, path) == expected
    before_bad = after
    assert (await owncast.admin_post(f"/api/admin/config/{name}", {"id": "zz"})).status_code == 400
    assert (await owncast.admin_get("/api/admin/serverconfig")).json() == before_bad
    assert before != after or name in ("video/codec", "ffmpegpath")


async def test_setter_protocol_details(owncast: Running) -> None:
    r = await owncast.admin_get("/api/admin/config/name")
    assert r.status_code == 400 and r.json() == {"success": False, "message": "GET not supported"}
    r = await owncast.client.post("/api/admin/config/name", auth=ADMIN, content=b"{not json")
    assert r.status_code == 400 and r.json() == {"success": False, "message": "unable to parse new value"}
    assert (await owncast.admin_post("/api/admin/config/nosuchsetting", {"value": 1})).status_code == 404


async def test_changes_show_on_public_pages(owncast: Running) -> None:
    bundled = await owncast.client.get("/favicon.ico")  # no upload yet: the bundled PNG, not the SVG logo
    assert (bundled.status_code, bundled.headers["content-type"], bundled.content[:8]) == (
        200, "image/png", b"\x89PNG\r\n\x1a\n")
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32
    logo = "data:image/png;base64," + base64.b64encode(png).decode()
    await owncast.admin_post("/api/admin/config/logo", {"value": logo})
    assert (await owncast.client.get("/logo")).content == png
    assert (await owncast.client.get("/favicon.ico")).content == png
    for snapshot in ("/thumbnail.jpg", "/preview.gif"):  # never live yet: the logo stands in
        r = await owncast.client.get(snapshot)
        assert (r.status_code, r.headers["content-type"], r.content) == (200, "image/png", png)
    r = await owncast.client.get("/images/owncast-logo.png")  # Owncast's own, whatever the upload
    assert (r.status_code, r.headers["content-type"], r.content[:8]) == (200, "image/png", b"\x89PNG\r\n\x1a\n")
    assert r.content != png
    r = await owncast.client.get("/logo/external")
    assert r.headers["content-type"] == "image/png" and r.content == png
    assert (owncast.data_dir / "logo.png").read_bytes() == png
    await owncast.admin_post("/api/admin/config/disablesearchindexing", {"value": True})
    robots = (await owncast.client.get("/robots.txt")).text
    assert robots == "User-agent: *\nDisallow: /admin\nDisallow: /api\nDisallow: /"
    assert (await owncast.client.get("/api/yp")).status_code == 404
    await owncast.admin_post("/api/admin/config/directoryenabled", {"value": True})
    await owncast.admin_post("/api/admin/config/streamtitle", {"value": "Tonight"})
    yp = (await owncast.client.get("/api/yp")).json()
    assert yp["name"] == "New Owncast Server" and yp["streamTitle"] == "Tonight" and yp["online"] is False
    platforms = (await owncast.client.get("/api/socialplatforms")).json()
    assert platforms["github"] == {"platform": "GitHub", "icon": "/img/platformlogos/github.svg"}
    await owncast.admin_post("/api/admin/config/hideviewercount", {"value": True})
    assert "viewerCount" not in (await owncast.client.get("/api/status")).json()


async def test_settings_survive_a_restart(tmp_path: Path) -> None:
    running = await start_server(tmp_path / "data")
    try:
        await running.admin_post("/api/admin/config/name", {"value": "Persisted"})
        await running.admin_post("/api/admin/config/adminpass", {"value": "n3w-pass"})
    finally:
        await stop_server(running)
    running = await start_server(tmp_path / "data")
    try:
        assert (await running.client.get("/api/config")).json()["name"] == "Persisted"
        assert (await running.client.get("/api/admin/status", auth=ADMIN)).status_code == 401
        assert (await running.client.get("/api/admin/status", auth=("admin", "n3w-pass"))).status_code == 200
    finally:
        await stop_server(running)


# --- webhooks -----------------------------------------------------------------------------------


async def test_webhook_crud_and_stream_title_delivery(owncast: Running) -> None:
    receiver = await WebhookReceiver().start()
    try:
        r = await owncast.admin_post("/api/admin/webhooks/create", {"url": receiver.url, "events": ["BOGUS"]})
        assert r.status_code == 400 and "error" in r.json()
        r = await owncast.admin_post("/api/admin/webhooks/create",
                                     {"url": receiver.url, "events": ["STREAM_TITLE_UPDATED", "CHAT"]})
        assert r.status_code == 200
        hook = r.json()
        assert hook["url"] == receiver.url and hook["events"] == ["STREAM_TITLE_UPDATED", "CHAT"]
        assert hook["lastUsed"] is None and isinstance(hook["id"], int)
        await owncast.admin_post("/api/admin/config/streamtitle", {"value": "Cooking"})
        (got,) = await receiver.wait_for(1)
        payload = json.loads(got.body)
        assert payload["type"] == "STREAM_TITLE_UPDATED"
        assert payload["eventData"]["streamTitle"] == "Cooking" and payload["eventData"]["name"] == "New Owncast Server"
        assert payload["eventData"]["status"]["streamTitle"] == "Cooking"
        assert wh.verify(hook["secret"], got.body, got.headers["x-owncast-signature"], now=int(time.time()))
        listed = (await owncast.admin_get("/api/admin/webhooks")).json()
        for _ in range(50):
            if listed[0]["lastUsed"]:
                break
            await asyncio.sleep(0.05)
            listed = (await owncast.admin_get("/api/admin/webhooks")).json()
        assert [h["id"] for h in listed] == [hook["id"]] and listed[0]["lastUsed"]
        r = await owncast.admin_post("/api/admin/webhooks/delete", {"id": hook["id"]})
        assert r.json() == {"success": True, "message": "deleted webhook"}
        assert (await owncast.admin_get("/api/admin/webhooks")).json() == []
        assert (await owncast.admin_post("/api/admin/webhooks/delete", {})).status_code == 400
    finally:
        await receiver.stop()


# --- access tokens and integrations ---------------------------------------------------------------


async def test_access_tokens_and_bot_chat(owncast: Running) -> None:
    r = await owncast.admin_post("/api/admin/accesstokens/create", {"name": "bot"})
    assert r.status_code == 400 and r.json() == {"error": "scopes field is required"}
    r = await owncast.admin_post("/api/admin/accesstokens/create", {"scopes": ["CAN_SEND_MESSAGES"]})
    assert r.status_code == 400 and r.json() == {"error": "name field is required"}
    r = await owncast.admin_post("/api/admin/accesstokens/create", {"name": "bot", "scopes": ["ROOT"]})
    assert r.status_code == 400
    r = await owncast.admin_post("/api/admin/accesstokens/create",
                                 {"name": "Helper", "scopes": ["CAN_SEND_MESSAGES", "HAS_ADMIN_ACCESS"]})
    token = r.json()
    assert token["displayName"] == "Helper" and 0 <= token["displayColor"] <= 7 and token["lastUsedAt"] is None
    bearer = {"Authorization": f"Bearer {token['accessToken']}"}
    r = await owncast.client.post("/api/integrations/chat/send", headers=bearer, json={"body": "hello **world**"})
    assert r.json() == {"success": True, "message": "sent"}
    empty = await owncast.client.post("/api/integrations/chat/send", headers=bearer, json={"body": ""})
    assert empty.status_code == 400
    r = await owncast.client.post("/api/integrations/chat/user", headers=bearer, json={"body": "x"})
    assert r.status_code == 400 and "no longer supported" in r.json()["message"]
    history = (await owncast.client.get("/api/integrations/chat", headers=bearer)).json()
    assert history[-1]["body"] == "<p>hello <strong>world</strong></p>" and history[-1]["user"]["isBot"] is True
    status = (await owncast.client.get("/api/integrations/status", headers=bearer)).json()
    assert set(status) >= {"online", "versionNumber", "viewerCount", "streamTitle"}
    r = await owncast.client.post("/api/integrations/streamtitle", headers=bearer, json={"value": "Via bot"})
    assert r.json()["success"] is True
    assert (await owncast.client.get("/api/status")).json()["streamTitle"] == "Via bot"
    listed = (await owncast.admin_get("/api/admin/accesstokens")).json()
    assert listed[0]["lastUsedAt"] is not None and listed[0]["type"] == "API"
    r = await owncast.admin_post("/api/admin/accesstokens/delete", {"token": token["accessToken"]})
    assert r.json() == {"success": True, "message": "deleted token"}
    assert (await owncast.client.get("/api/integrations/status", headers=bearer)).status_code == 401


# --- statistics -----------------------------------------------------------------------------------


async def test_prometheus_counts_stored_chat_users_and_messages(owncast: Running) -> None:
    def gauge(text: str, name: str) -> float:
        [line] = [line for line in text.splitlines() if line.startswith(name + "{")]
        return float(line.rsplit(" ", 1)[1])

    users = [(await owncast.client.post("/api/chat/register", json={})).json() for _ in range(2)]
    url = f"ws://127.0.0.1:{owncast.port}/ws?accessToken={users[0]['accessToken']}"
    async with connect(url) as ws:
        await ws.recv()  # CONNECTED_USER_INFO
        for body in ("one", "two", "three"):
            await ws.send(json.dumps({"type": "CHAT", "body": body}))
            await asyncio.sleep(0.7)  # under the flood guard
        text = (await owncast.admin_get("/api/admin/prometheus")).text
        assert gauge(text, "owncast_instance_active_chat_client_count") == 1
    assert gauge(text, "owncast_instance_total_chat_users") == 2
    assert gauge(text, "owncast_instance_current_chat_message_count") == 3


async def test_statistics_routes(owncast: Running) -> None:
    assert (await owncast.admin_get("/api/admin/viewersOverTime")).status_code == 400
    assert (await owncast.admin_get("/api/admin/viewersOverTime", params={"windowStart": "x"})).status_code == 400
    r = await owncast.admin_get("/api/admin/viewersOverTime", params={"windowStart": "0"})
    assert r.status_code == 200 and r.json() == []
    hw = (await owncast.admin_get("/api/admin/hardwarestats")).json()
    assert set(hw) == {"cpu", "memory", "disk"} and len(hw["memory"]) >= 1 and 0 <= hw["memory"][0]["value"] <= 100
    text = (await owncast.admin_get("/api/admin/prometheus")).text
    assert "owncast_instance_cpu_usage" in text and "# TYPE owncast_instance_active_viewer_count gauge" in text
    r = await owncast.client.post("/api/metrics/playback", json={"bandwidth": 2000, "latency": 4.5,
                                                                "downloadDuration": 0.4, "errors": 1,
                                                                "qualityVariantChanges": 2})
    assert r.status_code == 200
    assert (await owncast.client.post("/api/metrics/playback", json={"latency": "slow"})).status_code == 400
    for broken in (b"{not json", b"\xff\xfe", b""):
        r = await owncast.client.post("/api/metrics/playback", content=broken)
        assert r.status_code == 400 and "must be a JSON object" in r.text, (broken, r.text)
    owncast.server.container.stats().collect_playback_job()
    video = (await owncast.admin_get("/api/admin/metrics/video")).json()
    assert video["errors"][-1]["value"] == 1 and video["medianLatency"][-1]["value"] == 4.5
    assert video["maxPlayerBitrate"][-1]["value"] == 2000 and video["segmentLength"] == 3
    assert video["availableBitrates"] == [1200]
    assert (await owncast.admin_get("/api/admin/viewers")).json() == []
    logging.getLogger("owncast.test").warning("a warning for the admin")
    logs = (await owncast.admin_get("/api/admin/logs")).json()
    assert any("web server listening" in e["message"] for e in logs)
    warnings = (await owncast.admin_get("/api/admin/logs/warnings")).json()
    assert warnings and all(e["level"] in ("warning", "error", "fatal") for e in warnings)
    assert warnings[-1]["message"] == "a warning for the admin"
    status = (await owncast.admin_get("/api/admin/status")).json()
    assert status["broadcaster"] is None and status["online"] is False and status["health"] is None


async def test_peaks_are_persisted_across_restarts(tmp_path: Path) -> None:
    running = await start_server(tmp_path / "data")
    try:
        viewers = running.server.container.viewers()
        viewers.stream_started()
        for n in range(3):
            viewers.seen(f"203.0.113.{n}", "ua")
        await running.server.container.stats().save_peaks_job()
    finally:
        await stop_server(running)
    running = await start_server(tmp_path / "data")
    try:
        status = (await running.admin_get("/api/admin/status")).json()
        assert status["overallPeakViewerCount"] == 3 and status["sessionPeakViewerCount"] == 3
    finally:
        await stop_server(running)


# --- GeoIP ----------------------------------------------------------------------------------------


async def test_geoip_on_chat_clients_and_viewers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(parents=True)
    known = write_city_db(data / "GeoLite2-City.mmdb")
    address, geo = next(iter(known.items()))
    running = await start_server(data)
    try:
        r = await running.client.post("/api/chat/register", json={"displayName": "geo"})
        token = r.json()["accessToken"]
        url = f"ws://127.0.0.1:{running.port}/ws?accessToken={token}"
        async with connect(url, additional_headers={"X-Forwarded-For": address}):
            for _ in range(50):
                clients = (await running.admin_get("/api/admin/chat/clients")).json()
                if clients and clients[0]["geo"]:
                    break
                await asyncio.sleep(0.05)
            assert clients[0]["geo"] == geo.to_json()
        viewers = running.server.container.viewers()
        viewers.stream_started()
        viewers.seen(address, "ua")
        viewers.seen("127.0.0.1", "ua")
        listed = (await running.admin_get("/api/admin/viewers")).json()
        by_ip = {v["ipAddress"]: v["geo"] for v in listed}
        assert by_ip == {address: geo.to_json(), "127.0.0.1": {"countryCode": "N/A", "regionName": "Localhost",
                                                               "timeZone": ""}}
    finally:
        await stop_server(running)


async def test_corrupt_geoip_and_hanging_webhook_do_not_slow_chat_or_status(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(parents=True)
    (data / "GeoLite2-City.mmdb").write_bytes(b"\xab\xcd\xefMaxMind.com" + b"\x00junk" * 4000)
    hanging = await WebhookReceiver(default="hang").start()
    running = await start_server(data)
    try:
        await running.admin_post("/api/admin/webhooks/create", {"url": hanging.url, "events": ["CHAT", "USER_JOINED"]})
        await running.admin_post("/api/admin/config/chat/spamprotectionenabled", {"value": False})
        token = (await running.client.post("/api/chat/register", json={})).json()["accessToken"]
        url = f"ws://127.0.0.1:{running.port}/ws?accessToken={token}"
        async with connect(url, additional_headers={"X-Forwarded-For": "198.18.7.7"}) as ws:
            worst_status = 0.0
            started = time.monotonic()
            for n in range(40):
                await ws.send(json.dumps({"type": "CHAT", "body": f"message {n}"}))
                t0 = time.monotonic()
                assert (await running.client.get("/api/status")).status_code == 200
                worst_status = max(worst_status, time.monotonic() - t0)
                await asyncio.sleep(0.02)
            elapsed = time.monotonic() - started
            # A path blocked by the receiver would wait out the 10 s delivery timeout; the bounds
            # sit far below that and far above scheduling noise on a loaded 2-core machine.
            assert worst_status < 2.0, f"/api/status took {worst_status:.3f} s"
            assert elapsed < 8, f"40 chat messages and status requests took {elapsed:.1f} s"
            for _ in range(50):  # every message is delivered and stored despite the hanging receiver
                history = (await running.client.get(f"/api/chat?accessToken={token}")).json()
                if sum(1 for m in history if m.get("type") == "CHAT") == 40:
                    break
                await asyncio.sleep(0.05)
            assert sum(1 for m in history if m.get("type") == "CHAT") == 40
        await hanging.wait_for(1)
        clients = (await running.admin_get("/api/admin/chat/clients")).json()
        assert all(c["geo"] is None for c in clients)
    finally:
        await stop_server(running)
        await hanging.stop()


async def test_stored_ports_apply_when_not_given_on_the_command_line(tmp_path: Path) -> None:
    from ..conftest import free_port

    running = await start_server(tmp_path / "data")
    wanted_web, wanted_rtmp = free_port(), free_port()
    try:
        for name, value in (("webserverport", wanted_web), ("rtmpserverport", wanted_rtmp),
                            ("webserverip", "127.0.0.1")):
            assert (await running.admin_post(f"/api/admin/config/{name}", {"value": value})).status_code == 200
    finally:
        await stop_server(running)
    settings = Settings(data_dir=tmp_path / "data", web_host=("0.0.0.0",), rtmp_host="127.0.0.1",
                        listen_from_config=frozenset({"web_port", "web_host", "rtmp_port"}))
    server = OwncastServer(settings)
    await server.start()
    try:
        assert (server.web_port, server.rtmp_port, server.settings.web_host) == (wanted_web, wanted_rtmp,
                                                                                 ("127.0.0.1",))
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{wanted_web}/api/status")).status_code == 200
    finally:
        await server.stop()
