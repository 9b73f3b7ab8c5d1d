"""Owncast as the streamer's IndieAuth provider, through the real app (SQLite file, the web app
served by Hypercorn on 127.0.0.1): the test plays the client site (its own PKCE, checked with
``hashlib`` here, sharing nothing with owncast-py's) and the streamer's browser. Then the whole
loop between two owncast-py servers: a chat user of one signs in with the other's URL, whose
streamer approves; outbound requests to loopback are allowed on the client server only."""

from __future__ import annotations

import base64
import hashlib
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
CLIENT = "https://app.example/"
CALLBACK = "https://app.example/auth/callback"


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

    approved = await client.get(ENDPOINT, params=authorization(challenge), auth=ADMIN)
    assert approved.status_code == 307, approved.text
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

    approved = await client.get(ENDPOINT, params=authorization(challenge), auth=ADMIN)
    code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
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
            approved = await browser.get(start.json()["redirect"], auth=ADMIN)
        assert approved.status_code == 307, approved.text
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
