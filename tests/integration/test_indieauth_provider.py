"""Owncast as the streamer's IndieAuth provider, through the real app (SQLite file, the web app
served by Hypercorn on 127.0.0.1): the test plays the client site (its own PKCE, checked with
``hashlib`` here, sharing nothing with owncast-py's) and the streamer's browser, which is shown
the consent page and clicks Allow or Deny (posting the page's form, with the headers a browser
adds). Then the whole loop between two owncast-py servers: a chat user of one signs in with the
other's URL, whose streamer allows it on the consent page; outbound requests to loopback are
allowed on the client server only."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from owncast_runners.container import Container
from owncast_runners.server import OwncastServer

from .in_process import running_server

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")
ENDPOINT = "/api/auth/provider/indieauth"
CONSENT = ENDPOINT + "/consent"
CLIENT = "https://app.example/"
CALLBACK = "https://app.example/auth/callback"
TOKEN_INPUT = re.compile(r'<input type="hidden" name="token" value="([^"]*)">')


@asynccontextmanager
async def running(data_dir: Path, *, allow_private: bool = False) -> AsyncIterator[tuple[OwncastServer, Container]]:
    async with running_server(data_dir, outbound_allow_private=allow_private) as server:
        yield server.server, server.container


@pytest.fixture
async def provider(tmp_path: Path) -> AsyncIterator[tuple[OwncastServer, Container, httpx.AsyncClient]]:
    async with running(tmp_path / "provider") as (server, container), \
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.web_port}") as client:
        yield server, container, client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization(challenge: str, **changes: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": CLIENT, "redirect_uri": CALLBACK, "state": "xyz-1",
            "code_challenge": challenge, "code_challenge_method": "S256", "me": "https://tv.example/", **changes}


def redemption(code: str, verifier: str, **changes: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code, "client_id": CLIENT, "redirect_uri": CALLBACK,
            "code_verifier": verifier, **changes}


async def admin_set(client: httpx.AsyncClient, name: str, value: object) -> None:
    reply = await client.post(f"/api/admin/config/{name}", json={"value": value}, auth=ADMIN)
    assert reply.status_code == 200, reply.text


def form_token(page: httpx.Response) -> str:
    """The consent token in the page's form (unescaped, as a browser would post it)."""
    assert page.status_code == 200, page.text
    found = TOKEN_INPUT.findall(page.text)
    assert len(found) == 1, page.text
    return html.unescape(found[0])


async def consent_page(client: httpx.AsyncClient, params: dict[str, str]) -> tuple[httpx.Response, str]:
    page = await client.get(ENDPOINT, params=params, auth=ADMIN)
    return page, form_token(page)


def browser_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """What a browser adds to the consent page's form post: same origin."""
    return {"Origin": str(client.base_url).rstrip("/"), "Sec-Fetch-Site": "same-origin"}


async def decide(client: httpx.AsyncClient, token: str, decision: str, **headers: str) -> httpx.Response:
    return await client.post(CONSENT, data={"token": token, "decision": decision}, auth=ADMIN,
                             headers=headers or browser_headers(client))


async def approve(client: httpx.AsyncClient, params: dict[str, str]) -> str:
    """Consent page, Allow: the code sent back."""
    _page, token = await consent_page(client, params)
    allowed = await decide(client, token, "allow")
    assert allowed.status_code == 303, allowed.text
    return parse_qs(urlsplit(allowed.headers["location"]).query)["code"][0]


async def test_the_streamer_signs_in_elsewhere_with_this_server(
        provider: tuple[OwncastServer, Container, httpx.AsyncClient]) -> None:
    _server, container, client = provider
    await admin_set(client, "serverurl", "https://tv.example")
    await admin_set(client, "name", "Ada's Streams")

    page = (await client.get("/")).text  # the client site discovers the endpoint on the home page
    assert re.search(r'<link rel="authorization_endpoint" href="/api/auth/provider/indieauth">', page)

    verifier, challenge = pkce()
    nobody = await client.get(ENDPOINT, params=authorization(challenge))
    assert nobody.status_code == 401 and nobody.headers["www-authenticate"].startswith("Basic")
    wrong = await client.get(ENDPOINT, params=authorization(challenge), auth=("admin", "nope"))
    assert wrong.status_code == 401
    assert container.indieauth_provider().pending() == 0

    page, token = await consent_page(client, authorization(challenge))
    assert "location" not in page.headers and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]  # so no script at all
    assert "no-store" in page.headers["cache-control"]
    assert re.search(r'<p class="host">app\.example</p>', page.text)
    for shown in (CLIENT, CALLBACK, "https://tv.example/"):
        assert f"<code>{shown}</code>" in page.text
    assert re.search(r'<form method="post" action="/api/auth/provider/indieauth/consent">', page.text)
    assert '<button type="submit" name="decision" value="allow">Allow</button>' in page.text
    assert '<button type="submit" name="decision" value="deny">Deny</button>' in page.text
    assert "<script" not in page.text
    assert len(token) >= 43  # 32 random bytes, URL-safe
    assert container.indieauth_provider().pending() == 0  # nothing issued by looking
    assert container.indieauth_provider().pending_consents() == 1

    assert (await client.post(CONSENT, data={"token": token, "decision": "allow"})).status_code == 401
    assert (await client.get(CONSENT, auth=ADMIN)).status_code == 405
    approved = await decide(client, token, "allow")
    assert approved.status_code == 303, approved.text
    assert "no-store" in approved.headers["cache-control"]
    back = urlsplit(approved.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    query = parse_qs(back.query)
    assert query["state"] == ["xyz-1"] and query["iss"] == ["https://tv.example/"] and len(query["code"][0]) >= 32

    answer = await client.post(ENDPOINT, data=redemption(query["code"][0], verifier),
                               headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"me": "https://tv.example/", "profile": {
        "name": "Ada's Streams", "url": "https://tv.example/", "photo": "https://tv.example/logo"}}
    assert "no-store" in answer.headers["cache-control"]
    assert (await client.get("/logo")).status_code == 200  # the photo's path is served

    again = await client.post(ENDPOINT, data=redemption(query["code"][0], verifier))
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_client", "error_description": "no pending authentication request"}


async def test_bad_requests_get_a_clear_400_and_no_redirect(
        provider: tuple[OwncastServer, Container, httpx.AsyncClient]) -> None:
    _server, container, client = provider
    verifier, challenge = pkce()
    unset = await client.get(ENDPOINT, params=authorization(challenge), auth=ADMIN)
    assert unset.status_code == 400 and "server URL must be set" in unset.json()["error_description"]
    await admin_set(client, "serverurl", "https://tv.example")

    for changes in ({"redirect_uri": "javascript:alert(document.domain)"}, {"redirect_uri": "https://evil.example/"},
                    {"redirect_uri": "https://app.example@evil.example/"}, {"redirect_uri": "//evil.example/x"},
                    {"client_id": ""}, {"state": ""}, {"code_challenge": "abc"}, {"code_challenge_method": "plain"}):
        reply = await client.get(ENDPOINT, params=authorization(challenge, **changes), auth=ADMIN)
        assert reply.status_code == 400 and "location" not in reply.headers, changes
        assert reply.json()["error"] == "invalid_request" and reply.json()["error_description"], changes
    bare = await client.get(ENDPOINT, auth=ADMIN)
    assert bare.status_code == 400 and bare.json()["error_description"] == "client_id is required"
    assert (await client.get(ENDPOINT, params={"response_type": "token"}, auth=ADMIN)).json()["error"] == \
        "unsupported_response_type"
    assert container.indieauth_provider().pending() == 0
    assert container.indieauth_provider().pending_consents() == 0

    code = await approve(client, authorization(challenge))
    for body, kind in ((b'{"code": "x"}', "application/json"), (b"\xff\xfe=\xff", "application/x-www-form-urlencoded"),
                       (b"a=" + b"x" * 20_000, "application/x-www-form-urlencoded"), (b"", "")):
        reply = await client.post(ENDPOINT, content=body, headers={"Content-Type": kind} if kind else {})
        assert reply.status_code == 400 and reply.json()["error"] == "invalid_request", body[:20]
    missing = await client.post(ENDPOINT, data={"code": code})
    assert missing.status_code == 400 and "missing client_id, redirect_uri, code_verifier" in missing.text
    assert container.indieauth_provider().pending() == 1  # none of those named the code

    other_verifier, _ = pkce()
    wrong = await client.post(ENDPOINT, data=redemption(code, other_verifier))
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_client", "error_description": "code verifier is incorrect"}
    assert (await client.post(ENDPOINT, data=redemption(code, verifier))).status_code == 400  # used up
    assert (await client.put(ENDPOINT)).status_code == 405
    assert (await client.head(ENDPOINT, auth=ADMIN)).status_code == 405


async def test_a_chat_user_of_one_server_signs_in_with_another(tmp_path: Path) -> None:
    """Server A's IndieAuth client (discovery on B's page, PKCE, redemption) against server B's
    provider; the browser carries B's admin credentials, as the streamer signed in there."""
    async with running(tmp_path / "b") as (b_server, b_container), \
            running(tmp_path / "a", allow_private=True) as (a_server, _a_container), \
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{a_server.web_port}") as a, \
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{b_server.web_port}") as b:
        b_url = f"http://127.0.0.1:{b_server.web_port}"
        await admin_set(b, "serverurl", b_url)
        await admin_set(a, "serverurl", "https://chat.example")
        user: dict[str, Any] = (await a.post("/api/chat/register", json={"displayName": "Ada"})).json()

        start = await a.post("/api/auth/indieauth", params={"accessToken": user["accessToken"]},
                             json={"authHost": b_url})
        assert start.status_code == 200, start.text
        redirect = urlsplit(start.json()["redirect"])
        assert f"{redirect.scheme}://{redirect.netloc}{redirect.path}" == b_url + ENDPOINT  # found on B's page

        async with httpx.AsyncClient() as browser:
            page = await browser.get(start.json()["redirect"], auth=ADMIN)
            assert '<p class="host">chat.example</p>' in page.text  # A's server URL is the client
            approved = await browser.post(b_url + CONSENT, data={"token": form_token(page), "decision": "allow"},
                                          auth=ADMIN, headers={"Origin": b_url, "Sec-Fetch-Site": "same-origin"})
        assert approved.status_code == 303, approved.text
        back = urlsplit(approved.headers["location"])
        assert f"{back.scheme}://{back.netloc}{back.path}" == "https://chat.example/api/auth/indieauth/callback"
        assert parse_qs(back.query)["iss"] == [b_url + "/"]

        done = await a.get(f"/api/auth/indieauth/callback?{back.query}")  # A redeems the code at B
        assert done.status_code == 307 and done.headers["location"] == "/", done.text
        assert b_container.indieauth_provider().pending() == 0
        with sqlite3.connect(tmp_path / "a" / "owncast.db") as db:
            rows = db.execute("SELECT user_id, token, type FROM auth").fetchall()
        assert rows == [(user["id"], b_url + "/", "INDIEAUTH")]

        replay = await a.get(f"/api/auth/indieauth/callback?{back.query}")  # the state and the code are spent
        assert replay.status_code == 400


async def test_deny_sends_access_denied_back_and_issues_nothing(
        provider: tuple[OwncastServer, Container, httpx.AsyncClient]) -> None:
    _server, container, client = provider
    await admin_set(client, "serverurl", "https://tv.example")
    _verifier, challenge = pkce()
    _page, token = await consent_page(client, authorization(challenge, redirect_uri=CALLBACK + "?keep=1"))
    denied = await decide(client, token, "deny")
    assert denied.status_code == 303, denied.text
    back = urlsplit(denied.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    assert parse_qs(back.query) == {"keep": ["1"], "error": ["access_denied"], "state": ["xyz-1"],
                                    "iss": ["https://tv.example/"]}
    assert container.indieauth_provider().pending() == 0
    after = await decide(client, token, "allow")  # no change of mind with the same page
    assert after.status_code == 400 and "location" not in after.headers
    assert container.indieauth_provider().pending() == 0


async def test_a_consent_token_is_good_once_and_only_for_a_decision(
        provider: tuple[OwncastServer, Container, httpx.AsyncClient]) -> None:
    _server, container, client = provider
    await admin_set(client, "serverurl", "https://tv.example")
    verifier, challenge = pkce()
    _page, token = await consent_page(client, authorization(challenge))
    for bad in ({"token": token, "decision": "yes"}, {"token": token}, {"token": token + "x", "decision": "allow"},
                {"token": "", "decision": "allow"}, {"decision": "allow"}):
        reply = await client.post(CONSENT, data=bad, auth=ADMIN, headers=browser_headers(client))
        assert reply.status_code == 400 and "location" not in reply.headers, bad
        assert reply.json()["error"] == "invalid_request", bad
    assert container.indieauth_provider().pending() == 0

    allowed = await decide(client, token, "allow")  # none of those used the token up
    assert allowed.status_code == 303
    code = parse_qs(urlsplit(allowed.headers["location"]).query)["code"][0]
    replay = await decide(client, token, "allow")
    assert replay.status_code == 400 and "location" not in replay.headers
    assert replay.json() == {"error": "invalid_request",
                             "error_description": "unknown, expired or already used consent token"}
    assert container.indieauth_provider().pending() == 1  # only the first allow issued a code
    assert (await client.post(ENDPOINT, data=redemption(code, verifier))).status_code == 200


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},  # either says cross-site: refused
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Referer": "https://evil.example/page"},
    {"Origin": "http://tv.example"},  # the server's host, but not its scheme
])
async def test_cross_site_consent_posts_are_refused(
        provider: tuple[OwncastServer, Container, httpx.AsyncClient], headers: dict[str, str]) -> None:
    _server, container, client = provider
    await admin_set(client, "serverurl", "https://tv.example")
    _verifier, challenge = pkce()
    _page, token = await consent_page(client, authorization(challenge))
    refused = await decide(client, token, "allow", **headers)
    assert refused.status_code == 403 and "location" not in refused.headers
    assert refused.json() == {"error": "invalid_request", "error_description": "cross-site request refused"}
    assert container.indieauth_provider().pending() == 0
    assert container.indieauth_provider().pending_consents() == 1


@pytest.mark.parametrize("headers", [
    {"Origin": "https://tv.example", "Sec-Fetch-Site": "same-origin"},  # the server URL, behind a proxy
    {"Referer": "https://TV.example:443/api/auth/provider/indieauth?x=1"},
    {"Referer": "{self}" + ENDPOINT},  # the address this request was sent to
    {"Origin": "{self}"},
    {},  # not a browser: the token alone guards it
])
async def test_same_site_consent_posts_are_accepted(
        provider: tuple[OwncastServer, Container, httpx.AsyncClient], headers: dict[str, str]) -> None:
    _server, container, client = provider
    await admin_set(client, "serverurl", "https://tv.example")
    here = str(client.base_url).rstrip("/")
    headers = {name: value.replace("{self}", here) for name, value in headers.items()}
    _verifier, challenge = pkce()
    _page, token = await consent_page(client, authorization(challenge))
    reply = await client.post(CONSENT, data={"token": token, "decision": "allow"}, auth=ADMIN, headers=headers)
    assert reply.status_code == 303, reply.text
    assert container.indieauth_provider().pending() == 1


async def test_hostile_parameters_are_escaped_on_the_page(
        provider: tuple[OwncastServer, Container, httpx.AsyncClient]) -> None:
    _server, container, client = provider
    await admin_set(client, "serverurl", "https://tv.example")
    _verifier, challenge = pkce()
    client_id = 'https://app.example/?n="><script>alert(1)</script>'
    redirect = "https://app.example/cb?x='><img/src=x/onerror=alert(2)>&y=</code><b>"
    page, token = await consent_page(client, authorization(challenge, client_id=client_id, redirect_uri=redirect,
                                                           state='"><script>alert(3)</script>'))
    assert "<script" not in page.text and "<img" not in page.text and "<b>" not in page.text
    assert f"<code>{html.escape(client_id, quote=True)}</code>" in page.text
    assert f"<code>{html.escape(redirect, quote=True)}</code>" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "&#x27;&gt;&lt;img" in page.text
    assert page.text.count("<form") == 1 and page.text.count("<code>") == 3

    weird_host = "https://<i>x</i>.example/"  # the URL parser takes "<i>x<" for its host
    odd, _ = await consent_page(client, authorization(challenge, client_id=weird_host, redirect_uri=weird_host))
    assert "<i>" not in odd.text and '<p class="host">&lt;i&gt;x&lt;</p>' in odd.text
    assert "<title>Sign in to &lt;i&gt;x&lt;?</title>" in odd.text

    allowed = await decide(client, token, "allow")  # the exact request comes back, not its escaped form
    back = parse_qs(urlsplit(allowed.headers["location"]).query)
    assert back["state"] == ['"><script>alert(3)</script>']
    assert allowed.headers["location"].startswith("https://app.example/cb?x=%27%3E%3Cimg")
    assert container.indieauth_provider().pending() == 1


@pytest.mark.parametrize("dest", ["iframe", "image", "empty", "frame"])
async def test_the_consent_page_is_not_served_into_frames_or_fetches(
        provider: tuple[OwncastServer, Container, httpx.AsyncClient], dest: str) -> None:
    _server, container, client = provider
    await admin_set(client, "serverurl", "https://tv.example")
    _verifier, challenge = pkce()
    framed = await client.get(ENDPOINT, params=authorization(challenge), auth=ADMIN,
                              headers={"Sec-Fetch-Dest": dest, "Sec-Fetch-Site": "cross-site"})
    assert framed.status_code == 403 and TOKEN_INPUT.search(framed.text) is None
    assert container.indieauth_provider().pending_consents() == 0
    top = await client.get(ENDPOINT, params=authorization(challenge), auth=ADMIN,
                           headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "cross-site"})
    assert form_token(top)  # a top-level navigation from the client site is how the flow starts
