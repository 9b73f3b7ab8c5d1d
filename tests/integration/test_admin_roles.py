"""Admin roles on a running in-process server (real SQLite file, Hypercorn on a free loopback
port, bcrypt at its lowest cost): every admin route of the fully assembled app walked as a
moderator, the role API, and the audit of refusals."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from starlette.routing import Route

from owncast_adapters.auth.passwords import BcryptPasswordHasher
from owncast_core.domain.indieauth_provider import PROVIDER_PATH
from owncast_runners.container import Container
from owncast_runners.web.admin_roles import MODERATOR_ROUTES
from owncast_runners.web.auth import REALM, requires_admin

from .in_process import InProcess, running_server

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")
MOD = ("mo", "mos password")

# What a moderator may use, restated on purpose: widening a moderator's rights takes a change
# here as well as in web/admin_roles.py.
EXPECTED_MODERATOR_ROUTES = {
    "/admin/{path:path}",
    "/api/admin/me",
    "/api/admin/me/password",
    "/api/admin/status",
    "/api/admin/chat/messages",
    "/api/admin/chat/messagevisibility",
    "/api/admin/chat/updatemessagevisibility",
    "/api/admin/chat/clients",
    "/api/admin/chat/users/setenabled",
    "/api/admin/chat/users/disabled",
    "/api/admin/chat/users/setmoderator",
    "/api/admin/chat/users/moderators",
    "/api/admin/chat/users/ipbans",
    "/api/admin/chat/users/ipbans/create",
    "/api/admin/chat/users/ipbans/remove",
}
# Routes whose endpoint is only partly an admin one (so not marked by require_admin as a whole):
# the IndieAuth provider's GET is the streamer's consent prompt, its POST is public.
PARTLY_ADMIN = {(PROVIDER_PATH, "GET")}
_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def fast_bcrypt(container: Container) -> None:
    container.password_hasher.override(providers.Singleton(BcryptPasswordHasher, rounds=4))


@pytest.fixture
async def owncast(tmp_path: Path) -> AsyncIterator[InProcess]:
    async with running_server(tmp_path / "data", configure=fast_bcrypt) as running:
        r = await running.client.post("/api/admin/accounts/create", auth=ADMIN,
                                      json={"username": MOD[0], "password": MOD[1], "role": "moderator"})
        assert r.status_code == 200 and r.json() == {"success": True, "message": "moderator account mo created"}
        yield running


def concrete(path: str) -> str:
    """A request path for a route template: the admin app's index for ``{path:path}``, ``x``
    for any other parameter."""
    return _PARAM.sub(lambda m: "index.html" if m.group(1) == "path" else "x", path)


def admin_routes(srv: InProcess) -> list[tuple[str, str]]:
    """Every (path template, method) of the app an admin guard stands in front of."""
    found: set[tuple[str, str]] = set(PARTLY_ADMIN)
    for route in srv.container.web_app().routes:
        if not isinstance(route, Route):
            continue
        under_admin = route.path.startswith(("/api/admin/", "/admin/"))
        assert requires_admin(route.endpoint) or not under_admin, f"{route.path} is not guarded by require_admin"
        if requires_admin(route.endpoint):
            found |= {(route.path, method) for method in route.methods or ()}
    return sorted(found)


async def send(srv: InProcess, method: str, path: str, auth: tuple[str, str] | None) -> httpx.Response:
    kwargs: dict[str, Any] = {"json": {}} if method in ("POST", "PUT", "DELETE", "PATCH") else {}
    return await srv.client.request(method, concrete(path), auth=auth, **kwargs)


async def test_the_table_is_the_expected_one_and_names_only_real_admin_routes(owncast: InProcess) -> None:
    assert set(MODERATOR_ROUTES) == EXPECTED_MODERATOR_ROUTES
    guarded = {path for path, _ in admin_routes(owncast)}
    assert MODERATOR_ROUTES <= guarded, MODERATOR_ROUTES - guarded


async def test_every_admin_route_refuses_a_moderator_unless_the_table_allows_it(
        owncast: InProcess, caplog: pytest.LogCaptureFixture) -> None:
    routes = admin_routes(owncast)
    assert len(routes) > 60  # the walk sees the whole app (config, webhooks, federation, recordings, ...)
    denied: list[tuple[str, str]] = []
    with caplog.at_level(logging.INFO, logger="owncast.audit"):
        for path, method in routes:
            anonymous = await send(owncast, method, path, None)
            assert anonymous.status_code == 401, (method, path, anonymous.status_code)
            assert anonymous.headers["www-authenticate"] == REALM
            r = await send(owncast, method, path, MOD)
            if path in EXPECTED_MODERATOR_ROUTES:
                assert r.status_code not in (401, 403) and r.status_code < 500, (method, path, r.status_code, r.text)
            else:
                denied.append((method, concrete(path)))
                assert r.status_code == 403, (method, path, r.status_code, r.text)
                assert "www-authenticate" not in r.headers
                if method != "HEAD":
                    assert r.json() == {"success": False,
                                        "message": f"{path} requires the admin role (signed in as moderator)"}
    assert len(denied) > 50
    trail = (await owncast.client.get("/api/admin/audit", auth=ADMIN)).json()
    refused = [(e["method"], e["path"]) for e in trail if e["status"] == 403]
    assert refused == list(reversed(denied)) and all(e["admin"] == "mo" for e in trail if e["status"] == 403)
    warnings = [r.getMessage() for r in caplog.records if r.name == "owncast.audit" and r.levelno == logging.WARNING]
    assert len(warnings) == len(denied)
    assert "admin mo: GET /api/admin/serverconfig denied (/api/admin/serverconfig requires the admin role" \
           " (signed in as moderator))" in warnings


async def test_a_moderator_moderates_chat_and_is_named_in_the_audit(owncast: InProcess) -> None:
    assert (await owncast.client.get("/api/admin/status", auth=MOD)).json()["online"] is False
    me = await owncast.client.get("/api/admin/me", auth=("MO", MOD[1]))
    assert me.json() == {"username": "mo", "role": "moderator"}
    r = await owncast.client.post("/api/admin/chat/users/ipbans/create", auth=MOD, json={"value": "203.0.113.5"})
    assert r.json() == {"success": True, "message": "IP address banned"}
    bans = (await owncast.client.get("/api/admin/chat/users/ipbans", auth=MOD)).json()
    assert [b["ipAddress"] for b in bans] == ["203.0.113.5"]
    assert (await owncast.client.get("/admin/", auth=MOD)).status_code == 200
    trail = (await owncast.client.get("/api/admin/audit", auth=ADMIN)).json()
    newest = trail[0]
    assert (newest["admin"], newest["method"], newest["path"], newest["status"]) == (
        "mo", "POST", "/api/admin/chat/users/ipbans/create", 200)


async def test_a_moderator_cannot_raise_its_role_or_touch_accounts_keys_or_config(owncast: InProcess) -> None:
    before = (await owncast.client.get("/api/admin/serverconfig", auth=ADMIN)).json()
    for path, body in [("/api/admin/accounts/role", {"username": "mo", "role": "admin"}),
                       ("/api/admin/accounts/create", {"username": "mo2", "password": "long enough", "role": "admin"}),
                       ("/api/admin/accounts/password", {"username": "admin", "password": "long enough"}),
                       ("/api/admin/config/adminpass", {"value": "taken over"}),
                       ("/api/admin/config/streamkeys", {"value": [{"key": "mine", "comment": ""}]}),
                       ("/api/admin/config/name", {"value": "Mo's show"})]:
        r = await owncast.client.post(path, auth=MOD, json=body)
        assert r.status_code == 403 and "requires the admin role" in r.json()["message"], path
    listing = (await owncast.client.get("/api/admin/accounts", auth=ADMIN)).json()
    assert [(a["username"], a["role"]) for a in listing] == [("mo", "moderator")]
    assert (await owncast.client.get("/api/admin/serverconfig", auth=ADMIN)).json() == before
    assert (await owncast.client.get("/api/admin/me", auth=ADMIN)).json() == {"username": "admin", "role": "admin"}
    assert (await owncast.client.get("/api/admin/status", auth=("admin", "taken over"))).status_code == 401


async def test_a_role_change_applies_at_the_next_request(owncast: InProcess) -> None:
    assert (await owncast.client.get("/api/admin/serverconfig", auth=MOD)).status_code == 403
    r = await owncast.client.post("/api/admin/accounts/role", auth=ADMIN, json={"username": "MO", "role": "admin"})
    assert r.json() == {"success": True, "message": "mo is now admin"}
    assert (await owncast.client.get("/api/admin/serverconfig", auth=MOD)).status_code == 200
    assert (await owncast.client.get("/api/admin/me", auth=MOD)).json() == {"username": "mo", "role": "admin"}
    r = await owncast.client.post("/api/admin/accounts/role", auth=MOD, json={"username": "mo", "role": "moderator"})
    assert r.json() == {"success": True, "message": "mo is now moderator"}  # an admin may step down itself
    assert (await owncast.client.get("/api/admin/serverconfig", auth=MOD)).status_code == 403


async def test_roles_survive_a_restart(tmp_path: Path) -> None:
    async with running_server(tmp_path / "data", configure=fast_bcrypt) as srv:
        for name, role in (("ann", "moderator"), ("ben", "admin")):
            r = await srv.client.post("/api/admin/accounts/create", auth=ADMIN,
                                      json={"username": name, "password": "long enough", "role": role})
            assert r.status_code == 200
    async with running_server(tmp_path / "data", configure=fast_bcrypt) as srv:
        listing = (await srv.client.get("/api/admin/accounts", auth=ADMIN)).json()
        assert [(a["username"], a["role"]) for a in listing] == [("ann", "moderator"), ("ben", "admin")]
        assert (await srv.client.get("/api/admin/webhooks", auth=("ann", "long enough"))).status_code == 403
        assert (await srv.client.get("/api/admin/webhooks", auth=("ben", "long enough"))).status_code == 200


async def test_a_named_account_changes_its_own_password_and_no_one_elses(owncast: InProcess) -> None:
    other = await owncast.client.post("/api/admin/accounts/create", auth=ADMIN,
                                      json={"username": "cohost", "password": "cohost secret", "role": "moderator"})
    assert other.json()["success"] is True
    short = await owncast.client.post("/api/admin/me/password", auth=MOD, json={"password": "short"})
    assert short.status_code == 400 and "at least 8 characters" in short.json()["message"]
    # a username in the body changes nothing: the account is the one signed in
    changed = await owncast.client.post("/api/admin/me/password", auth=MOD,
                                        json={"username": "cohost", "password": "my new secret"})
    assert changed.json() == {"success": True, "message": "your password was changed: sign in with the new one"}
    assert (await owncast.client.get("/api/admin/me", auth=MOD)).status_code == 401
    assert (await owncast.client.get("/api/admin/me", auth=("mo", "my new secret"))).status_code == 200
    assert (await owncast.client.get("/api/admin/me", auth=("cohost", "cohost secret"))).status_code == 200
    builtin = await owncast.client.post("/api/admin/me/password", auth=ADMIN, json={"password": "long enough"})
    assert builtin.status_code == 400 and "/api/admin/config/adminpass" in builtin.json()["message"]
    trail = (await owncast.client.get("/api/admin/audit", auth=ADMIN)).json()
    assert [(e["admin"], e["path"], e["status"]) for e in trail if e["path"] == "/api/admin/me/password"] == [
        ("mo", "/api/admin/me/password", 200)]
