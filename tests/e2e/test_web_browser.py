"""The web application in a real browser: headless Debian Chromium driven by Playwright against a
running ``owncast serve`` while ffmpeg publishes.

Screenshots of the viewer page (desktop and phone) and the admin dashboard are taken on every
run; they replace ``docs/screenshots/`` only with ``OWNCAST_UPDATE_SCREENSHOTS=1`` (otherwise they
go to a temporary directory, so a test run leaves the work tree clean).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.stream import StreamOutputVariant

from ..indieauth_stub import IndieAuthStub

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ADMIN = {"username": "admin", "password": "abc123"}
ADMIN_AUTH = ("admin", "abc123")
ONE_PIXEL_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                 "AAAABJRU5ErkJggg==")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
TWO_VARIANTS = [
    {"name": "Good", "videoBitrate": 600, "framerate": 30, "cpuUsageLevel": 0, "scaledHeight": 240},
    {"videoBitrate": 200, "framerate": 15, "cpuUsageLevel": 0, "scaledHeight": 120},  # named "120h"
]
PLAYING = """() => {
  const v = document.querySelector('#player video');
  return v && v.currentTime > 1 && v.getVideoPlaybackQuality().totalVideoFrames > 0;
}"""
PLAYBACK = """() => {
  const v = document.querySelector('#player video');
  return [v.currentTime, v.getVideoPlaybackQuality().totalVideoFrames];
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless system Chromium; fails (never skips) when it or Playwright is missing. Playwright
    starts it with a fresh temporary --user-data-dir; every context is isolated (own storage)."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium "
                    "(apt-get install -y chromium; ./run test does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]' (./run test does)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_until(page: Any, check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check``; waiting through the page lets Playwright deliver its events meanwhile."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        page.wait_for_timeout(200)


def screenshot(page: Any, name: str) -> None:
    if os.environ.get("OWNCAST_UPDATE_SCREENSHOTS") == "1":
        folder = DOCS_SCREENSHOTS
    else:
        folder = Path(tempfile.gettempdir()) / "owncast-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name))
    assert (folder / name).stat().st_size > 1000


def test_viewer_page_goes_live_plays_and_reports(browser: Any, make_owncast: Any, publish: Any) -> None:
    server = make_owncast()
    server.configure({Keys.VIDEO_VARIANTS: TWO_VARIANTS, Keys.LATENCY_LEVEL: 0,
                                   Keys.STREAM_TITLE: "Browser test stream"})
    server.start()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(f"{request.method} {request.url}"))
    page.goto(server.url + "/")

    # offline first: the message and the thumbnail poster, no playback
    page.wait_for_selector(".player-offline:not([hidden])")
    assert "offline" in page.inner_text(".player-offline").lower()
    assert "/thumbnail.jpg" in page.get_attribute("#player video", "poster")
    assert page.inner_text("#stream-state") == "OFFLINE"

    publisher = publish(f"{server.rtmp_url}/abc123", seconds=120)
    server.wait_for(online=True, timeout=40)

    # switches to live without a reload, and plays: time advances and frames are decoded
    page.wait_for_function(PLAYING, timeout=30_000)
    time_before, frames_before = page.evaluate(PLAYBACK)
    # Playback advances by more than a second; allowed 10 s of wall time, as a loaded machine can
    # make a low-latency player rebuffer for a moment (a fixed 2 s wait failed once that way).
    page.wait_for_function(f"() => ({PLAYBACK})()[0] > {time_before} + 1", timeout=10_000)
    time_after, frames_after = page.evaluate(PLAYBACK)
    assert time_after > time_before + 1, (time_before, time_after)
    assert frames_after > frames_before > 0
    assert page.inner_text("#stream-title") == "Browser test stream"
    assert page.inner_text("#stream-state").startswith("LIVE")
    assert page.is_hidden(".player-offline")

    # the quality menu offers auto plus every variant, and picking one loads its playlist
    variants = httpx.get(server.url + "/api/video/variants", timeout=5).json()
    assert page.eval_on_selector_all(".player-quality option", "os => os.map(o => o.textContent)") == [
        "Auto", *[v["name"] for v in variants]]
    assert [v["name"] for v in variants] == ["Good", "120h"]
    page.select_option(".player-quality", "1")
    wait_until(page, lambda: any("/hls/1/stream" in r and r.endswith(".ts") for r in requests), 15,
               "segments of variant 1 after choosing it")
    page.select_option(".player-quality", "-1")

    # viewer ping and playback metrics while playing
    wait_until(page, lambda: f"GET {server.url}/api/ping" in requests, 15, "a viewer ping")
    wait_until(page, lambda: f"POST {server.url}/api/metrics/playback" in requests, 15, "a metrics report")
    screenshot(page, "viewer-desktop.png")

    admin_context = browser.new_context(viewport=DESKTOP, http_credentials=ADMIN)
    admin = admin_context.new_page()
    admin.goto(server.url + "/admin/#/")
    admin.wait_for_selector("#page[data-ready='/']")
    assert admin.inner_text(".stats .stat >> nth=0") == "State\nLIVE"
    assert "320\u00d7240" in admin.inner_text(".details")  # the broadcaster's stream details
    # the output variants by the names viewers see (a variant without a custom one included)
    output = admin.locator(".card", has=admin.locator("h2", has_text="Output"))
    assert output.locator("tbody td:first-child").all_inner_texts() == ["Good", "120h"]
    screenshot(admin, "admin-dashboard.png")
    admin_context.close()

    phone = browser.new_context(**PHONE)
    phone_page = phone.new_page()
    phone_page.goto(server.url + "/")
    phone_page.wait_for_function(PLAYING, timeout=30_000)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
    chat_box = phone_page.locator("#chat").bounding_box()
    video_box = phone_page.locator("#player").bounding_box()
    assert chat_box and video_box and chat_box["y"] >= video_box["y"] + video_box["height"] - 1
    screenshot(phone_page, "viewer-phone.png")
    phone_page.click(".mobile-tabs [data-tab=about]")  # the about panel replaces chat on a phone
    assert phone_page.is_visible(".about") and phone_page.is_hidden("#chat")
    phone.close()

    # the video embed plays on its own
    embed = context.new_page()
    embed.goto(server.url + "/embed/video")
    embed.wait_for_function(PLAYING, timeout=30_000)
    assert embed.locator("#chat, .about").count() == 0
    embed.close()

    # the broadcaster leaves: the page turns offline by itself
    publisher.terminate()
    page.wait_for_selector(".player-offline:not([hidden])", timeout=20_000)
    assert page.inner_text("#stream-state") == "OFFLINE"
    context.close()


def test_chat_message_typed_in_one_browser_appears_in_another(browser: Any, owncast: Any) -> None:
    alice_context = browser.new_context(viewport=DESKTOP)
    bob_context = browser.new_context(viewport=DESKTOP)
    alice = alice_context.new_page()
    bob = bob_context.new_page()
    alice.goto(owncast.url + "/")
    bob.goto(owncast.url + "/embed/chat/readwrite")
    for page in (alice, bob):
        page.wait_for_function("() => document.querySelector('.chat-me')?.textContent.length > 1",
                               timeout=15_000)

    alice.fill(".chat-input", "hello from **alice** <script>window.pwned = 1</script>")
    alice.press(".chat-input", "Enter")
    message = bob.locator(".chat-message", has_text="hello from")
    message.wait_for(timeout=15_000)
    assert message.locator("strong").inner_text() == "alice"  # markdown rendered by the server
    assert bob.evaluate("window.pwned") is None  # and sanitised: no script ran
    alice_name = alice.inner_text(".chat-me")
    assert message.locator(".chat-author").inner_text() == alice_name

    # a rename from the second browser shows in the first
    bob.click(".chat-me")
    bob.fill(".chat-settings input", "Bob the tester")
    bob.click(".chat-settings button[type=submit]")
    alice.locator(".chat-line", has_text="is now known as Bob the tester").wait_for(timeout=15_000)

    # colour: after picking a swatch, bob's next message reaches alice in that colour
    bob.wait_for_timeout(1500)  # chat's flood protection allows about 1.5 events a second
    bob.click(".chat-me")
    bob.click(".chat-swatches [data-color='5']")
    bob.wait_for_selector(".chat-me.user-color-5")
    bob.wait_for_timeout(1500)
    bob.fill(".chat-input", "bob in colour five")
    bob.press(".chat-input", "Enter")
    coloured = alice.locator(".chat-message", has_text="bob in colour five")
    coloured.wait_for(timeout=15_000)
    assert coloured.locator(".chat-author").get_attribute("class") == "chat-author user-color-5"

    # moderator tools appear inline once the admin makes bob a moderator; hiding works for all
    bob_id = bob.evaluate("JSON.parse(localStorage.getItem('owncast.chat.identity')).id")
    assert bob.locator(".chat-mod-tools").first.is_hidden()
    made = httpx.post(owncast.url + "/api/admin/chat/users/setmoderator", auth=ADMIN_AUTH, timeout=5,
                      json={"userId": bob_id, "isModerator": True})
    assert made.status_code == 200, made.text
    bob.wait_for_selector(".chat.is-moderator", timeout=10_000)
    # no Ban on one's own messages (it would lock the moderator out); there is one on alice's
    own = bob.locator(".chat-message", has_text="bob in colour five")
    assert own.locator(".chat-mod-tools button", has_text="Hide").is_visible()
    assert own.locator(".chat-mod-tools button", has_text="Ban").is_hidden()
    assert message.locator(".chat-mod-tools button", has_text="Ban").is_visible()
    message.locator(".chat-mod-tools button", has_text="Hide").click()
    alice.locator(".chat-message", has_text="hello from").wait_for(state="hidden", timeout=10_000)
    message.wait_for(state="hidden", timeout=10_000)

    # a moderator can remove a user from chat inline: alice is told and loses the input
    bob.once("dialog", lambda dialog: dialog.accept())
    alice_line = bob.locator(".chat-message", has=bob.locator(".chat-author", has_text=alice_name))
    alice.fill(".chat-input", "second message from alice")
    alice.wait_for_timeout(1500)
    alice.press(".chat-input", "Enter")
    alice_line.filter(has_text="second message").wait_for(timeout=15_000)
    alice_line.filter(has_text="second message").locator(".chat-mod-tools button", has_text="Ban").click()
    alice.locator(".chat-notice", has_text="removed from chat").wait_for(timeout=15_000)
    assert alice.is_hidden(".chat-form")

    # the read-only embed shows messages but offers no input
    viewer = alice_context.new_page()
    viewer.goto(owncast.url + "/embed/chat/readonly")
    viewer.locator(".chat-message", has_text="bob in colour five").wait_for(timeout=15_000)
    assert viewer.locator(".chat-message", has_text="hello from").count() == 0  # hidden messages stay hidden
    assert viewer.locator(".chat-input").count() == 0
    alice_context.close()
    bob_context.close()


def test_admin_title_change_shows_on_the_viewer_page(browser: Any, owncast: Any) -> None:
    viewer_context = browser.new_context(viewport=DESKTOP)
    viewer = viewer_context.new_page()
    viewer.goto(owncast.url + "/")
    viewer.wait_for_selector("#stream-state .offline-badge")

    admin_context = browser.new_context(viewport=DESKTOP, http_credentials=ADMIN)
    admin = admin_context.new_page()
    admin.goto(owncast.url + "/admin/#/general")
    admin.fill("#setting-streamtitle", "Changed from the admin page")
    title_setting = admin.locator(".setting", has=admin.locator("#setting-streamtitle"))
    title_setting.get_by_role("button", name="Save").click()
    title_setting.locator(".save-status.ok").wait_for(timeout=10_000)

    viewer.wait_for_function(
        "() => document.querySelector('#stream-title').textContent === 'Changed from the admin page'",
        timeout=15_000)
    status = httpx.get(owncast.url + "/api/status", timeout=5).json()
    assert status["streamTitle"] == "Changed from the admin page"

    admin.goto(owncast.url + "/admin/#/")
    admin.wait_for_selector("#page[data-ready='/']")
    assert "Changed from the admin page" in admin.inner_text(".admin-page")
    viewer_context.close()
    admin_context.close()


def test_admin_fediverse_page_shows_the_delivery_queue(browser: Any, owncast: Any) -> None:
    context = browser.new_context(viewport=DESKTOP, http_credentials=ADMIN)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(owncast.url + "/admin/#/federation")
    queue = page.locator(".card", has=page.locator("h2", has_text="Waiting deliveries"))
    queue.locator("text=Nothing waiting: every post has been delivered.").wait_for(timeout=10_000)
    queue.get_by_role("button", name="Refresh").click()
    queue.locator("text=Nothing waiting").wait_for(timeout=10_000)
    assert errors == []
    context.close()


def seed_failing_servers(server: Any, *records: Any) -> None:
    """Store what the delivery sender knows about failing servers before ``server`` starts."""
    from concurrent.futures import ThreadPoolExecutor

    from owncast_adapters.sqlite.database import Database
    from owncast_adapters.sqlite.domain_health import SqliteDomainHealthRepository

    async def write() -> None:
        database = Database(server.data_dir / "owncast.db")
        await database.open()
        try:
            for record in records:
                await SqliteDomainHealthRepository(database=database).save(record)
        finally:
            await database.close()

    server.data_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's sync API runs a loop in this thread
        pool.submit(asyncio.run, write()).result()


def test_admin_fediverse_page_tries_a_failing_server_again(browser: Any, make_owncast: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from owncast_core.domain.delivery import DomainHealth

    now = datetime.now(UTC)
    hostile = "<img src=x onerror=alert(1)>.example"
    server = make_owncast()
    seed_failing_servers(
        server,
        DomainHealth("dead.example", failures=40, pause=3600, open_until=now + timedelta(hours=1),
                     first_failure_at=now - timedelta(days=8), unavailable_since=now - timedelta(days=1),
                     next_probe_at=now + timedelta(days=6)),
        DomainHealth(hostile, failures=5, pause=600, open_until=now + timedelta(minutes=10), first_failure_at=now))
    server.start()
    context = browser.new_context(viewport=DESKTOP, http_credentials=ADMIN)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    page.goto(server.url + "/admin/#/federation")
    queue = page.locator(".card", has=page.locator("h2", has_text="Waiting deliveries"))
    dead = queue.locator("tr", has_text="dead.example")
    dead.locator("text=deliveries to it stopped").wait_for(timeout=10_000)
    assert "unavailable since" in dead.inner_text()
    paused = queue.locator("tr", has_text="not answering, paused until")
    assert paused.locator("td").first.inner_text() == hostile  # shown as text, never parsed
    assert queue.locator("img").count() == 0
    dead.get_by_role("button", name="Try again").click()
    queue.locator(".save-status.ok", has_text="Trying dead.example again").wait_for(timeout=10_000)
    queue.locator("tr", has_text="dead.example").wait_for(state="detached", timeout=10_000)
    assert httpx.get(server.url + "/api/admin/federation/deliveries", auth=ADMIN_AUTH,
                     timeout=5).json()["unavailableDomains"] == []
    paused.get_by_role("button", name="Try again").click()
    queue.locator("tr", has_text="not answering").wait_for(state="detached", timeout=10_000)
    assert queue.locator("text=Nothing waiting: every post has been delivered.").is_visible()
    assert errors == []
    context.close()


def test_admin_video_page_keeps_variant_names_automatic(browser: Any, owncast: Any) -> None:
    # serverconfig reports each variant's computed name ("1.2Mbps@24fps"); saving the page must
    # not store it as a custom name, or it goes stale when the bitrate changes
    context = browser.new_context(viewport=DESKTOP, http_credentials=ADMIN)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(owncast.url + "/admin/#/video")
    page.wait_for_selector("#page[data-ready='/video']")
    rows = page.locator(".setting-rows .list-row")
    assert rows.nth(0).locator("input[aria-label=Name]").input_value() == ""
    rows.nth(0).locator("input[aria-label='Video kbps']").fill("2500")
    page.click("text=Add variant")
    rows.nth(1).locator("input[aria-label=Height]").fill("360")
    page.click(".setting-rows button.primary")
    page.wait_for_selector(".setting-rows .save-status.ok")
    variants = httpx.get(owncast.url + "/api/admin/serverconfig", auth=ADMIN_AUTH,
                         timeout=5).json()["videoSettings"]["videoQualityVariants"]
    assert [v["name"] for v in variants] == ["2.5Mbps@24fps", "360h"]
    assert variants[1]["audioPassthrough"] is True  # a new row copies the audio, as the default does
    assert errors == []
    context.close()


def test_admin_pages_name_variants_as_the_server_does(browser: Any, owncast: Any) -> None:
    """The admin page tells computed names from custom ones by computing them in JavaScript;
    for every bitrate it must agree with the server (display_name), or a save would turn a
    computed name into a stale custom one."""
    context = browser.new_context(http_credentials=ADMIN)
    page = context.new_page()
    page.goto(owncast.url + "/admin/")
    rates = [*range(1, 20001, 7), 1250, 2250, 1750, 1150, 1350, 1450, 999, 1000, 1001]
    names = page.evaluate(
        """async (rates) => {
            const { automaticName } = await import('/admin/js/forms.js');
            return rates.map((r) => automaticName({ videoBitrate: r, framerate: 24 }));
        }""",
        rates,
    )
    expected = [StreamOutputVariant(video_bitrate=r, framerate=24).display_name for r in rates]
    assert [(r, n) for r, n, e in zip(rates, names, expected, strict=True) if n != e] == []
    context.close()


def test_admin_accounts_page_manages_accounts_and_shows_the_audit(browser: Any, owncast: Any) -> None:
    context = browser.new_context(viewport=DESKTOP, http_credentials=ADMIN)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(owncast.url + "/admin/#/admins")
    accounts = page.locator(".card", has=page.locator("h2", has_text="Admin accounts"))
    accounts.locator("text=No named accounts").wait_for(timeout=10_000)
    page.fill("#admin-new-username", "Zoe")
    page.fill("#admin-new-password", "short")
    accounts.get_by_role("button", name="Create account").click()
    page.locator(".save-status.error", has_text="at least 8 characters").wait_for(timeout=10_000)
    page.fill("#admin-new-password", "zoes password")
    assert page.input_value("#admin-new-role") == "moderator"  # the least a new account can do, shown
    accounts.get_by_role("button", name="Create account").click()
    accounts.locator("td", has_text="zoe").wait_for(timeout=10_000)
    recent = page.locator(".card", has=page.locator("h2", has_text="Recent changes"))
    recent.locator("code", has_text="POST /api/admin/accounts/create").wait_for(timeout=10_000)
    listing = httpx.get(owncast.url + "/api/admin/accounts", auth=ADMIN_AUTH, timeout=5).json()
    assert [(a["username"], a["role"]) for a in listing] == [("zoe", "moderator")]
    # Zoe becomes an admin through the role menu of her row
    assert page.input_value("select[aria-label='Role of zoe']") == "moderator"
    page.select_option("select[aria-label='Role of zoe']", "admin")
    page.locator(".save-status.ok", has_text="Role changed").wait_for(timeout=10_000)
    recent.locator("code", has_text="POST /api/admin/accounts/role").wait_for(timeout=10_000)
    recent.locator("td", has_text="zoe is now admin").wait_for(timeout=10_000)  # what changed, not just where
    assert page.input_value("select[aria-label='Role of zoe']") == "admin"
    listing = httpx.get(owncast.url + "/api/admin/accounts", auth=ADMIN_AUTH, timeout=5).json()
    assert [(a["username"], a["role"]) for a in listing] == [("zoe", "admin")]
    screenshot(page, "admin-accounts.png")
    assert errors == []
    context.close()

    zoe = browser.new_context(viewport=DESKTOP, http_credentials={"username": "zoe", "password": "zoes password"})
    page = zoe.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(owncast.url + "/admin/#/admins")
    delete_button = page.get_by_role("button", name="Delete")
    row = page.locator("tr", has=page.locator("td", has_text="zoe")).filter(has=delete_button)
    row.wait_for(timeout=10_000)
    row.get_by_role("button", name="Delete").click()
    page.locator(".save-status.error", has_text="signed in with").wait_for(timeout=10_000)
    page.fill("#admin-password-username", "zoe")
    page.fill("#admin-password-password", "zoes new password")
    page.get_by_role("button", name="Change password").click()
    page.locator(".save-status.ok", has_text="Password changed").wait_for(timeout=10_000)
    zoe.close()
    audit = httpx.get(owncast.url + "/api/admin/audit", auth=("zoe", "zoes new password"), timeout=5).json()
    assert [(e["admin"], e["path"]) for e in audit] == [
        ("zoe", "/api/admin/accounts/password"), ("admin", "/api/admin/accounts/role"),
        ("admin", "/api/admin/accounts/create")]


def test_a_moderator_sees_the_dashboard_and_chat_moderation_only(browser: Any, owncast: Any) -> None:
    """A moderator account's admin app: two pages, nothing it would be refused, and moderation
    that works (and is audited under its name)."""
    made = httpx.post(owncast.url + "/api/admin/accounts/create", auth=ADMIN_AUTH, timeout=10,
                      json={"username": "mia", "password": "mias password", "role": "moderator"})
    assert made.status_code == 200, made.text
    context = browser.new_context(viewport=DESKTOP, http_credentials={"username": "mia", "password": "mias password"})
    page = context.new_page()
    errors: list[str] = []
    refused: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status in (401, 403) else None)

    page.goto(owncast.url + "/admin/")
    page.wait_for_selector("#page[data-ready='/']")
    assert page.eval_on_selector_all("#nav a", "as => as.map(a => a.textContent)") == ["Dashboard", "Moderation"]
    assert page.inner_text("#signed-in") == "mia \u00b7 moderator"
    assert page.inner_text(".stats .stat >> nth=0") == "State\nOffline"
    titles = page.locator(".admin-page .card h2").all_inner_texts()
    assert titles == ["Stream title", "Broadcaster", "Stream health", "Output", "Your password (mia)"]

    # a config page asked for by address: the dashboard instead, and the address says so
    for hidden in ("#/general", "#/keys", "#/admins"):
        page.goto(owncast.url + "/admin/" + hidden)
        page.wait_for_function("() => location.hash === '#/'", timeout=10_000)
        page.wait_for_selector("#page[data-ready='/']")
        assert page.inner_text(".admin-page h1") == "Dashboard"

    page.goto(owncast.url + "/admin/#/moderation")
    page.wait_for_selector("#page[data-ready='/moderation']")
    page.wait_for_load_state("networkidle")
    bans = page.locator(".card", has=page.locator("h2", has_text="IP bans"))
    bans.locator("text=No IP bans.").wait_for(timeout=10_000)
    assert page.locator(".admin-page .card h2").all_inner_texts() == [
        "Messages", "Connected users", "Banned users", "Moderators", "IP bans"]  # no custom emoji
    assert "null" not in page.inner_text(".admin-page")  # nor a stray "null" where the emoji card would be
    assert page.eval_on_selector_all(".admin-page .error", "nodes => nodes.map(n => n.textContent)") == []
    page.fill("input[aria-label='IP address to ban']", "203.0.113.77")
    bans.get_by_role("button", name="Ban address").click()
    bans.locator("td", has_text="203.0.113.77").wait_for(timeout=10_000)
    screenshot(page, "admin-moderator.png")
    assert refused == [] and errors == []

    # the moderator changes its own password on the dashboard (both fields must agree)
    page.goto(owncast.url + "/admin/#/")
    page.wait_for_selector("#page[data-ready='/']")
    own = page.locator(".card", has=page.locator("h2", has_text="Your password (mia)"))
    own.locator("input[name=password]").fill("mias new password")
    own.locator("input[name=again]").fill("mias new passwort")
    own.get_by_role("button", name="Change my password").click()
    own.locator(".save-status.error", has_text="differ").wait_for(timeout=10_000)
    own.locator("input[name=again]").fill("mias new password")
    own.get_by_role("button", name="Change my password").click()
    own.locator(".save-status.ok").wait_for(timeout=10_000)
    assert httpx.get(owncast.url + "/api/admin/me", auth=("mia", "mias new password"), timeout=5).status_code == 200
    assert httpx.get(owncast.url + "/api/admin/me", auth=("mia", "mias password"), timeout=5).status_code == 401
    context.close()

    audit = httpx.get(owncast.url + "/api/admin/audit", auth=ADMIN_AUTH, timeout=5).json()
    assert [(e["admin"], e["method"], e["path"], e["status"]) for e in audit] == [
        ("mia", "POST", "/api/admin/me/password", 200),
        ("mia", "POST", "/api/admin/chat/users/ipbans/create", 200),
        ("admin", "POST", "/api/admin/accounts/create", 200)]


def test_admin_pages_refuse_without_credentials(browser: Any, owncast: Any) -> None:
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context()
    # The browser is challenged and, with no credentials to give, never gets the admin app.
    with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
        context.new_page().goto(owncast.url + "/admin/")
    wrong_password = "Basic " + base64.b64encode(b"admin:wrong").decode()
    for path in ("/admin/", "/admin/js/main.js", "/admin/admin.css"):
        for headers in ({}, {"Authorization": wrong_password}):
            response = context.request.get(owncast.url + path, headers=headers, max_redirects=0)
            assert response.status == 401, (path, headers)
            assert response.headers["www-authenticate"] == 'Basic realm="Owncast Authenticated Request"'
            assert response.text() == "Unauthorized"
    redirect = context.request.get(owncast.url + "/admin", max_redirects=0)
    assert redirect.status == 301 and redirect.headers["location"] == "/admin/"
    right = browser.new_context(http_credentials=ADMIN)
    response = right.new_page().goto(owncast.url + "/admin/")
    assert response is not None and response.status == 200
    context.close()
    right.close()


def test_every_admin_page_renders_from_the_admin_api(browser: Any, owncast: Any) -> None:
    context = browser.new_context(viewport=DESKTOP, http_credentials=ADMIN)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(owncast.url + "/admin/")
    page.wait_for_selector("#page[data-ready='/']")  # the nav follows the role /api/admin/me tells
    links = page.eval_on_selector_all("#nav a", "as => as.map(a => [a.getAttribute('href'), a.textContent])")
    assert len(links) >= 12 and ["#/admins", "Admins"] in links
    for href, title in links:
        page.goto(owncast.url + "/admin/" + href)
        page.wait_for_selector(f"#page[data-ready='{href.removeprefix('#')}']", timeout=10_000)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)  # cards that load after the page (moderation, tokens, ...)
        problems = page.eval_on_selector_all(".admin-page .error", "nodes => nodes.map(n => n.textContent)")
        assert problems == [], f"{title}: {problems}"
        assert page.locator(".admin-page .card, .admin-page .stat").count() > 0, title

    # writes go through the admin API: a generated stream key and a new access token
    page.goto(owncast.url + "/admin/#/keys")
    page.wait_for_selector("#page[data-ready='/keys']")
    page.click("text=Generate a key")
    page.click(".setting-rows button.primary")
    page.wait_for_selector(".setting-rows .save-status.ok")
    keys = httpx.get(owncast.url + "/api/admin/serverconfig", auth=ADMIN_AUTH, timeout=5).json()["streamKeys"]
    assert len(keys) == 2 and keys[0]["key"] == "abc123" and len(keys[1]["key"]) >= 16
    page.goto(owncast.url + "/admin/#/integrations")
    page.wait_for_selector("#page[data-ready='/integrations']")
    page.fill("input[aria-label='Token name']", "my bot")
    page.check("input[value=CAN_SEND_MESSAGES]")
    page.click("text=Create token")
    page.wait_for_selector(".created-token:has-text('New token:')")
    page.locator("td", has_text="my bot").wait_for(timeout=5000)
    assert errors == []
    context.close()


def test_viewer_page_shows_the_streamers_configuration(browser: Any, owncast: Any) -> None:
    settings = {
        "customstyles": "body { outline: 3px solid rgb(1, 2, 3); }",
        "customjavascript": "document.documentElement.dataset.custom = 'ran';",
        "hideviewercount": True,
        "tags": ["music", "live"],
        "socialhandles": [{"platform": "mastodon", "url": "https://example.org/@me"}],
        "externalactions": [{"title": "Tip jar", "url": "https://example.org/tip", "openExternally": True}],
        "offlinemessage": "Back **tomorrow**",
        "pagecontent": "## About me\n\nI stream <em>things</em>.",
        "serversummary": "A test server",
    }
    emoji = httpx.post(owncast.url + "/api/admin/emoji/upload", auth=ADMIN_AUTH, timeout=5,
                       json={"name": "party.png", "data": "data:image/png;base64," + ONE_PIXEL_PNG})
    assert emoji.status_code == 200, emoji.text
    for name, value in settings.items():
        response = httpx.post(f"{owncast.url}/api/admin/config/{name}", json={"value": value},
                              auth=ADMIN_AUTH, timeout=5)
        assert response.status_code == 200, (name, response.text)

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(owncast.url + "/")
    page.wait_for_selector(".about h2")
    # custom JavaScript runs under the CSP, custom CSS applies
    page.wait_for_function("() => document.documentElement.dataset.custom === 'ran'", timeout=5000)
    assert page.evaluate("getComputedStyle(document.body).outlineColor") == "rgb(1, 2, 3)"
    assert page.inner_text(".tags") .split() == ["#music", "#live"]
    link = page.locator(".social-links a")
    assert link.get_attribute("href") == "https://example.org/@me"
    assert link.locator("img").get_attribute("src") == "/img/platformlogos/mastodon.svg"
    action = page.locator(".external-actions a.action-button")
    assert action.inner_text() == "Tip jar" and action.get_attribute("href") == "https://example.org/tip"
    assert page.inner_text(".player-offline-message strong") == "tomorrow"  # rendered markdown
    assert page.inner_text(".page-content h2") == "About me"
    assert page.inner_text(".summary") == "A test server"
    assert page.is_hidden("#viewer-count")

    # the emoji picker offers the custom emoji; a picked one is sent as the server's emoji image
    page.wait_for_function("() => document.querySelector('.chat-me')?.textContent.length > 1", timeout=15_000)
    page.click(".chat-emoji-button")
    page.click(".chat-emoji button[title=':party:']")
    assert page.input_value(".chat-input") == ":party:"
    page.press(".chat-input", "Enter")
    emoji = page.locator(".chat-message .chat-body img.emoji")
    emoji.wait_for(timeout=15_000)
    assert emoji.get_attribute("src").startswith("/img/emoji/")
    assert errors == []
    context.close()


# Headless Chromium offline has no push service to subscribe with: the page's PushManager hands
# back this subscription instead. Everything else is the browser's own: the notification
# permission (granted to the context), the service worker, the page's code, the server's
# validation. The endpoint is public https, so the server accepts it; nothing is sent to it then.
FAKE_PUSH = """(endpoint) => {
  window.pushCalls = [];
  window.unsubscribed = 0;
  let current = null;
  PushManager.prototype.getSubscription = async () => current;
  PushManager.prototype.subscribe = async function (options) {
    window.pushCalls.push({ userVisibleOnly: options.userVisibleOnly,
                            key: Array.from(new Uint8Array(options.applicationServerKey)) });
    const json = { endpoint, expirationTime: null, keys: { p256dh: P256DH, auth: AUTH } };
    current = { endpoint, options, toJSON: () => json,
                unsubscribe: async () => { current = null; window.unsubscribed += 1; return true; } };
    return current;
  };
}"""
PUBLIC_ENDPOINT = "https://push.example.com/send/abc123"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_push_script(endpoint: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    body = FAKE_PUSH.replace("P256DH", json.dumps(b64url(point))).replace("AUTH", json.dumps(b64url(os.urandom(16))))
    return f"({body})({json.dumps(endpoint)});"


def database_rows(server: Any, sql: str) -> list[tuple[Any, ...]]:
    """Read the running server's SQLite file (read-only; the server writes in WAL mode)."""
    with sqlite3.connect(f"file:{server.data_dir / 'owncast.db'}?mode=ro", uri=True) as db:
        return list(db.execute(sql).fetchall())


def test_notify_button_registers_the_browser_for_go_live_notifications(browser: Any, owncast: Any) -> None:
    users_before = database_rows(owncast, "SELECT count(*) FROM users")[0][0]
    context = browser.new_context(viewport=DESKTOP, permissions=["notifications"])
    context.add_init_script(fake_push_script(PUBLIC_ENDPOINT))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(owncast.url + "/")
    button = page.locator("#notify .notify-button")
    button.wait_for(timeout=10_000)
    assert button.inner_text() == "Notify me" and button.get_attribute("aria-pressed") == "false"

    button.click()
    page.locator(".notify-status", has_text="notification when the stream goes live").wait_for(timeout=15_000)
    assert button.inner_text() == "Notifications on" and button.get_attribute("aria-pressed") == "true"
    # subscribed with the server's VAPID key, decoded from base64url
    public_key = httpx.get(owncast.url + "/api/config", timeout=5).json()["notifications"]["browser"]["publicKey"]
    calls = page.evaluate("window.pushCalls")
    assert calls == [{"userVisibleOnly": True, "key": list(base64.urlsafe_b64decode(public_key + "=" * 3))}]
    # the real service worker is registered for the whole site
    worker = page.evaluate("""async () => {
      const registration = await navigator.serviceWorker.ready;
      return [registration.scope, registration.active.scriptURL];
    }""")
    assert worker == [owncast.url + "/", owncast.url + "/serviceworker.js"]
    # a push as the server sends it (delivered by the browser itself) becomes a notification
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    wait_until(page, lambda: any(not r["isDeleted"] for r in registrations), 5, "the worker's registration")
    registration_id = next(r["registrationId"] for r in registrations if not r["isDeleted"])
    payload = {"title": "My server", "body": "I've gone live!", "icon": "/logo/external"}
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": owncast.url, "registrationId": registration_id,
                                                  "data": json.dumps(payload)})
    shown = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
      .map((n) => [n.title, n.body, n.icon])"""
    wait_until(page, lambda: bool(page.evaluate(shown)), 15, "the go-live notification")
    assert page.evaluate(shown) == [["My server", "I've gone live!", owncast.url + "/logo/external"]]

    rows = database_rows(owncast, "SELECT channel, destination FROM notifications")
    assert len(rows) == 1, rows
    assert rows[0][0] == "BROWSER_PUSH_NOTIFICATION"
    assert json.loads(rows[0][1])["endpoint"] == PUBLIC_ENDPOINT
    # registered under the chat's own user: the page made one chat user, not two
    page.wait_for_function("() => document.querySelector('.chat-me')?.textContent.length > 1", timeout=15_000)
    assert database_rows(owncast, "SELECT count(*) FROM users")[0][0] == users_before + 1

    # clicked while on, it turns them off: the server forgets this browser, the browser drops it
    button.click()
    page.locator(".notify-status", has_text="Notifications are off").wait_for(timeout=15_000)
    assert button.inner_text() == "Notify me" and button.get_attribute("aria-pressed") == "false"
    assert database_rows(owncast, "SELECT id FROM notifications") == []
    assert page.evaluate("window.unsubscribed") == 1

    # on again, and the state is remembered across a reload
    button.click()
    page.locator(".notify-status", has_text="notification when the stream goes live").wait_for(timeout=15_000)
    assert len(database_rows(owncast, "SELECT id FROM notifications")) == 1
    page.reload()
    button.wait_for(timeout=10_000)
    assert button.inner_text() == "Notifications on"
    assert errors == []
    context.close()

    # the server's refusal is shown as it words it (an http endpoint is refused by default)
    refused = browser.new_context(viewport=DESKTOP, permissions=["notifications"])
    refused.add_init_script(fake_push_script("http://push.example.com/send/plain"))
    other = refused.new_page()
    other.goto(owncast.url + "/")
    other.click("#notify .notify-button")
    other.locator(".notify-status.is-error", has_text="must be a public https URL").wait_for(timeout=15_000)
    assert other.inner_text("#notify .notify-button") == "Notify me"
    assert len(database_rows(owncast, "SELECT id FROM notifications")) == 1
    refused.close()


def test_notify_button_is_hidden_when_browser_notifications_are_off(browser: Any, owncast: Any) -> None:
    turned_off = httpx.post(owncast.url + "/api/admin/config/notifications/browser", auth=ADMIN_AUTH, timeout=5,
                            json={"value": {"enabled": False, "goLiveMessage": "Live!"}})
    assert turned_off.status_code == 200, turned_off.text
    context = browser.new_context(viewport=DESKTOP)
    context.add_init_script(fake_push_script(PUBLIC_ENDPOINT))
    page = context.new_page()
    page.goto(owncast.url + "/")
    page.wait_for_selector(".about h2", state="attached")  # the page has rendered /api/config
    page.wait_for_function("() => document.querySelector('.chat-me')?.textContent.length > 1", timeout=15_000)
    assert page.is_hidden("#notify")
    assert page.locator(".notify-button").count() == 0
    context.close()


def test_service_worker_route_serves_the_push_handler(owncast: Any) -> None:
    response = httpx.get(owncast.url + "/serviceworker.js", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    for handler in ("addEventListener('push'", "showNotification(", "addEventListener('notificationclick'"):
        assert handler in response.text
    # a streamer's on-disk override replaces it, like any web file
    override = owncast.data_dir / "web" / "js" / "serviceworker.js"
    override.parent.mkdir(parents=True)
    override.write_text("// mine")
    assert httpx.get(owncast.url + "/serviceworker.js", timeout=5).text == "// mine"
    assert httpx.post(owncast.url + "/serviceworker.js", timeout=5).status_code == 405


# --- chat sign-in and Fediverse follow ---------------------------------------------------------

@contextmanager
def serving_in_thread(app: Any) -> Iterator[int]:
    """Serve the ASGI ``app`` on a free loopback port from its own thread and event loop (the
    test's thread belongs to Playwright's sync API); yields the port."""
    from ..integration.chat_app import serving

    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
        async with serving(app) as port:
            state["port"] = port
            ready.set()
            await state["stop"].wait()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the stub server did not start"
    try:
        yield int(state["port"])
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)


@pytest.fixture
def indieauth_site() -> Iterator[IndieAuthStub]:
    """The stub IndieAuth website (``tests/indieauth_stub.py``: approves at once) on loopback."""
    stub = IndieAuthStub()
    with serving_in_thread(stub.app()) as port:
        stub.port = port
        yield stub


def admin_set(server: Any, name: str, value: object) -> None:
    reply = httpx.post(f"{server.url}/api/admin/config/{name}", json={"value": value}, auth=ADMIN_AUTH, timeout=5)
    assert reply.status_code == 200, (name, reply.text)


def server_says(server: Any, path: str, payload: dict[str, Any], *, token: bool = True) -> str:
    """What the server answers ``payload`` at ``path`` (as another chat user): the message the
    page must show word for word."""
    params = {}
    if token:
        params["accessToken"] = httpx.post(server.url + "/api/chat/register", json={}, timeout=5).json()["accessToken"]
    reply = httpx.post(server.url + path, params=params, json=payload, timeout=15)
    assert reply.status_code == 400, reply.text
    return str(reply.json()["message"])


def chat_ready(page: Any) -> None:
    page.wait_for_function("() => document.querySelector('.chat-me')?.textContent.length > 1", timeout=15_000)


def focus_is_in(page: Any, selector: str) -> bool:
    return bool(page.evaluate("(s) => Boolean(document.activeElement?.closest(s))", selector))


def open_sign_in(page: Any) -> Any:
    page.get_by_role("button", name="Chat menu").click()
    assert page.get_attribute(".chat-menu-button", "aria-expanded") == "true"
    page.get_by_role("menuitem", name="Authenticate").click()
    dialog = page.get_by_role("dialog", name="Authenticate")
    dialog.wait_for()
    assert focus_is_in(page, "dialog.signin-dialog [role=tabpanel]:not([hidden]) input")
    return dialog


def test_chat_sign_in_with_indieauth_in_the_browser(browser: Any, make_owncast: Any,
                                                     indieauth_site: IndieAuthStub) -> None:
    server = make_owncast(args=("--outbound-allow-private", "true")).start()  # the stub website is on loopback
    admin_set(server, "serverurl", server.url)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url + "/")
    chat_ready(page)
    assert page.is_hidden(".chat-header .chat-auth-badge")

    # federation is off: IndieAuth is the only method, so there are no tabs
    dialog = open_sign_in(page)
    assert dialog.get_by_role("tab").count() == 0
    assert "Use your own website to authenticate" in dialog.inner_text()
    # a website without IndieAuth: the server's refusal, word for word
    refused = server_says(server, "/api/auth/indieauth", {"authHost": f"{indieauth_site.base}/plain"})
    dialog.get_by_label("Your website").fill(f"{indieauth_site.base}/plain")
    dialog.get_by_role("button", name="Sign in with IndieAuth").click()
    dialog.locator(".form-status.is-error").wait_for()
    assert dialog.locator(".form-status").inner_text() == refused and "does not support IndieAuth" in refused
    # typed without a scheme, the website is taken as https (nothing listens there: the server says so)
    refused = server_says(server, "/api/auth/indieauth", {"authHost": "https://127.0.0.1:1"})
    dialog.get_by_label("Your website").fill("127.0.0.1:1")
    dialog.get_by_role("button", name="Sign in with IndieAuth").click()
    dialog.locator(".form-status.is-error", has_text=refused).wait_for()
    assert "https://127.0.0.1:1" in refused
    # Esc closes it and gives focus back to the menu button
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Chat menu"

    # the stub approves at once: to its authorization page and back through our callback to /
    dialog = open_sign_in(page)
    dialog.get_by_label("Your website").fill(f"{indieauth_site.base}/")
    with page.expect_navigation(url=server.url + "/", timeout=15_000):
        dialog.get_by_label("Your website").press("Enter")
    chat_ready(page)
    page.locator(".chat-local", has_text=f"You are now authenticated with {indieauth_site.base}/").wait_for()
    page.wait_for_selector(".chat-header .chat-auth-badge:not([hidden])", timeout=10_000)
    assert page.get_attribute(".chat-header .chat-auth-badge", "aria-label") == "Authenticated"
    (asked,) = indieauth_site.authorizations
    assert asked["client_id"] == server.url and asked["redirect_uri"] == server.url + "/api/auth/indieauth/callback"
    assert len(indieauth_site.redemptions) == 1  # the server redeemed the code (PKCE checked by the stub)
    user_id = page.evaluate("JSON.parse(localStorage.getItem('owncast.chat.identity')).id")
    assert database_rows(server, "SELECT user_id, token, type FROM auth") == [
        (user_id, f"{indieauth_site.base}/", "INDIEAUTH")]

    # everyone sees the badge next to the authenticated user's messages, and only theirs
    other = context.browser.new_context(viewport=DESKTOP).new_page()
    other.goto(server.url + "/")
    chat_ready(other)
    page.fill(".chat-input", "signed in and chatting")
    page.press(".chat-input", "Enter")
    mine = other.locator(".chat-message", has_text="signed in and chatting")
    mine.wait_for(timeout=15_000)
    assert mine.get_by_role("img", name="Authenticated").count() == 1
    other.fill(".chat-input", "just a guest")
    other.press(".chat-input", "Enter")
    guest = page.locator(".chat-message", has_text="just a guest")
    guest.wait_for(timeout=15_000)
    assert guest.locator(".chat-auth-badge").count() == 0
    page.get_by_role("button", name="Chat menu").click()
    screenshot(page, "viewer-signed-in.png")
    page.keyboard.press("Escape")
    assert page.is_hidden(".chat-menu")
    # signed in, the dialog says so
    dialog = open_sign_in(page)
    assert "You are already authenticated." in dialog.inner_text()
    assert errors == []
    other.context.close()
    context.close()


FEDI_START = "**/api/auth/fediverse?*"
FEDI_VERIFY = "**/api/auth/fediverse/verify?*"
UNREACHABLE = "@nobody@127.0.0.1:1"


def test_chat_sign_in_with_a_fediverse_code_in_the_browser(browser: Any, owncast: Any) -> None:
    admin_set(owncast, "serverurl", owncast.url)
    admin_set(owncast, "federation/enable", True)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(owncast.url + "/")
    chat_ready(page)

    # both methods: two tabs, moved between with the arrow keys
    dialog = open_sign_in(page)
    tabs = dialog.get_by_role("tab")
    assert tabs.all_inner_texts() == ["IndieAuth", "Fediverse"]
    assert tabs.nth(0).get_attribute("aria-selected") == "true"
    tabs.nth(0).focus()
    page.keyboard.press("ArrowRight")
    assert tabs.nth(1).get_attribute("aria-selected") == "true"
    assert dialog.get_by_role("tabpanel", name="Fediverse").is_visible()
    assert dialog.get_by_role("tabpanel", name="IndieAuth").is_hidden()
    panel = dialog.get_by_role("tabpanel", name="Fediverse")

    # an account the server cannot reach (loopback is refused without --outbound-allow-private)
    refused = server_says(owncast, "/api/auth/fediverse", {"account": UNREACHABLE})
    panel.get_by_label("Your Fediverse account").fill(UNREACHABLE)
    panel.get_by_role("button", name="Send me a code").click()
    panel.locator(".form-status.is-error").wait_for()
    assert panel.locator(".form-status").inner_text() == refused and refused.startswith("Could not send code")

    # The server looks accounts up with WebFinger over https only, which a loopback stub cannot
    # serve it: here the browser's request to start is answered by the test as the server would
    # after sending the code. The code is then checked by the real server, which has none pending.
    page.route(FEDI_START, lambda route: route.fulfill(status=200, content_type="application/json",
                                                       body='{"success":true,"message":""}'))
    panel.get_by_label("Your Fediverse account").fill("@alice@social.example")
    panel.get_by_role("button", name="Send me a code").click()
    code = panel.get_by_label("Code")
    code.wait_for()
    assert "A code was sent to @alice@social.example" in panel.inner_text()
    assert focus_is_in(page, "input[name=code]")
    code.fill("123456")
    code.press("Enter")
    panel.locator(".form-status.is-error", has_text="That code is wrong or has expired").wait_for()
    assert dialog.is_visible()

    # a right code (answered as the server does on success) closes the dialog with a message
    page.route(FEDI_VERIFY, lambda route: route.fulfill(status=200, content_type="application/json",
                                                        body='{"success":true,"message":""}'))
    panel.get_by_role("button", name="Verify code").click()
    dialog.wait_for(state="hidden")
    page.locator(".chat-local", has_text="You are now authenticated as @alice@social.example.").wait_for()
    page.unroute(FEDI_START)
    page.unroute(FEDI_VERIFY)

    # federation turned off after the page loaded: the real server's refusal is shown
    admin_set(owncast, "federation/enable", False)
    dialog = open_sign_in(page)
    dialog.get_by_role("tab", name="Fediverse").click()
    panel = dialog.get_by_role("tabpanel", name="Fediverse")
    panel.get_by_label("Your Fediverse account").fill("@alice@social.example")
    panel.get_by_role("button", name="Send me a code").click()
    panel.locator(".form-status.is-error").wait_for()
    assert panel.locator(".form-status").inner_text() == server_says(
        owncast, "/api/auth/fediverse", {"account": "@alice@social.example"})
    assert "federation is disabled" in panel.locator(".form-status").inner_text()
    assert errors == []
    context.close()



def test_follow_from_the_fediverse_in_the_browser(browser: Any, owncast: Any) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(owncast.url + "/")
    page.wait_for_selector(".about h2")
    assert page.locator(".follow-button").count() == 0  # federation is off
    # and without a server URL either there is nothing to sign in with: no menu entry for it
    chat_ready(page)
    page.get_by_role("button", name="Chat menu").click()
    assert page.get_by_role("menuitem").all_inner_texts() == ["Change name or colour"]
    page.keyboard.press("Escape")
    assert page.is_hidden(".chat-menu")
    admin_set(owncast, "serverurl", owncast.url)
    admin_set(owncast, "federation/enable", True)
    page.reload()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    button = page.get_by_role("button", name="Follow")
    button.wait_for()
    account = httpx.get(owncast.url + "/api/config", timeout=5).json()["federation"]["account"]
    assert page.inner_text(".about .fediverse") == f"Follow on the Fediverse: @{account}"

    button.click()
    dialog = page.get_by_role("dialog", name="Follow New Owncast Server")
    dialog.wait_for()
    assert f"@{account}" in dialog.inner_text()
    assert focus_is_in(page, "dialog.follow-dialog input[name=account]")
    # the server cannot reach the account: its error, word for word
    refused = server_says(owncast, "/api/remotefollow", {"account": UNREACHABLE}, token=False)
    dialog.get_by_label("Your Fediverse account").fill(UNREACHABLE)
    dialog.get_by_role("button", name="Follow").click()
    dialog.locator(".form-status.is-error").wait_for()
    assert dialog.locator(".form-status").inner_text() == refused and "127.0.0.1:1" in refused
    # Esc closes; focus goes back to the Follow button
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('follow-button')")

    # The real lookup is WebFinger over https, which a loopback stub cannot serve the server: the
    # browser's call is answered here as the server answers on success. A redirect that is not
    # http(s) is never followed; an http(s) one is.
    replies = [{"redirectUrl": "javascript:window.pwned=1"},
               {"redirectUrl": f"{owncast.url}/api/status?followed={account}"}]
    posted: list[Any] = []

    def answer(route: Any) -> None:
        posted.append(route.request.post_data_json)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(replies.pop(0)))

    page.route("**/api/remotefollow", answer)
    button.click()
    dialog.get_by_label("Your Fediverse account").fill("@alice@social.example")
    dialog.get_by_role("button", name="Follow").click()
    dialog.locator(".form-status.is-error", has_text="did not offer a page to follow from").wait_for()
    assert page.evaluate("window.pwned") is None
    with page.expect_navigation(url=f"{owncast.url}/api/status?followed={account}"):
        dialog.get_by_role("button", name="Follow").click()
    assert posted == [{"account": "@alice@social.example"}] * 2
    assert errors == []
    context.close()


def test_sign_in_and_follow_dialogs_fit_a_phone(browser: Any, owncast: Any) -> None:
    admin_set(owncast, "serverurl", owncast.url)
    admin_set(owncast, "federation/enable", True)
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.goto(owncast.url + "/")
    chat_ready(page)
    for open_dialog, name in ((lambda: page.get_by_role("button", name="Follow").click(), "Follow"),
                              (lambda: open_sign_in(page), "Authenticate")):
        open_dialog()
        dialog = page.locator("dialog[open]")
        dialog.wait_for()
        box = dialog.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
        assert dialog.locator("input").first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, f"viewer-phone-{name.lower()}.png")
        dialog.get_by_role("button", name="Close").click()
        dialog.wait_for(state="hidden")
    phone.close()


def seed_ready_recording(data_dir: Path, segments_dir: Path, recording_id: str, title: str) -> None:
    """A finished recording on disk, as the server leaves one (before the server starts)."""
    from datetime import UTC, datetime

    from owncast_adapters.storage.recordings import LocalRecordingStore
    from owncast_core.domain.recordings import Recording, RecordingStatus

    from ..recording_support import make_ts_segments

    async def seed() -> None:
        store = LocalRecordingStore(root=data_dir / "recordings")
        started = datetime(2026, 2, 3, 20, 15, tzinfo=UTC)
        await store.create(Recording(id=recording_id, title=title, started_at=started))
        for path in make_ts_segments(segments_dir):
            await store.append(recording_id, await store.read_segment(path))
        media = await store.finalize(recording_id)
        await store.save(Recording(id=recording_id, title=title, started_at=started, status=RecordingStatus.READY,
                                   ended_at=started, duration_seconds=media.duration_seconds,
                                   size_bytes=media.size_bytes))

    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's sync API runs a loop here
        pool.submit(asyncio.run, seed()).result()


def test_admin_recordings_page_toggles_lists_and_deletes(browser: Any, make_owncast: Any, tmp_path: Path) -> None:
    hostile = '<img src=x onerror="window.pwned=1"> & "Show"'
    server = make_owncast()
    seed_ready_recording(server.data_dir, tmp_path / "segments", "20260203-201500-seed", hostile)
    server.start()
    context = browser.new_context(viewport=DESKTOP, http_credentials=ADMIN, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url + "/admin/#/recordings")
    page.wait_for_selector("#page[data-ready='/recordings']")
    row = page.locator(".recordings-list tbody tr")
    assert row.count() == 1
    cells = row.locator("td")
    assert cells.nth(0).inner_text() == hostile  # shown as text, never as markup
    assert row.locator("img").count() == 0 and page.evaluate("() => window.pwned") is None
    assert cells.nth(2).inner_text() == "0:08" and cells.nth(4).inner_text() == "Ready"
    link = row.get_by_role("link", name="Download")
    assert link.get_attribute("href") == "/api/admin/recordings/20260203-201500-seed/download"
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "img-src-x-onerror-window-pwned-1-Show-2026-02-03-2015.mp4"
    assert Path(download.path()).read_bytes()[4:8] == b"ftyp"

    toggle = page.locator("#setting-recordings-enabled")
    assert not toggle.is_checked()
    toggle.check()
    page.locator(".setting", has=toggle).locator(".save-status.ok").wait_for(timeout=10_000)
    config = httpx.get(server.url + "/api/admin/serverconfig", auth=ADMIN_AUTH, timeout=5).json()
    assert config["recordingsEnabled"] is True

    retention = page.locator(".recordings-retention")
    days, size = retention.get_by_label("Delete recordings older than (days)"), retention.get_by_label(
        "Keep at most (GB in total)")
    assert (days.input_value(), size.input_value()) == ("0", "0")
    days.fill("-3")
    retention.get_by_role("button", name="Save").click()
    retention.locator(".save-status.error").wait_for(timeout=10_000)
    assert retention.locator(".save-status").inner_text() == "maxAgeDays must not be negative (0 = no limit)"
    days.fill("30")
    size.fill("2.5")
    retention.get_by_role("button", name="Save").click()
    retention.locator(".save-status.ok").wait_for(timeout=10_000)
    config = httpx.get(server.url + "/api/admin/serverconfig", auth=ADMIN_AUTH, timeout=5).json()
    assert config["recordingsRetention"] == {"maxAgeDays": 30, "maxTotalGB": 2.5}
    screenshot(page, "admin-recordings.png")

    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Delete").click()
    assert page.locator(".recordings-list tbody tr").count() == 1
    assert (server.data_dir / "recordings" / "20260203-201500-seed").exists()
    prompts: list[str] = []

    def accept(dialog: Any) -> None:
        prompts.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    row.get_by_role("button", name="Delete").click()
    page.locator(".recordings-list >> text=No recordings yet.").wait_for(timeout=10_000)
    assert prompts and hostile in prompts[0]
    assert not (server.data_dir / "recordings" / "20260203-201500-seed").exists()
    assert errors == []
    context.close()
