"""Named admin accounts, the audit trail and the failed-login throttle on a running in-process
server (real SQLite file, Hypercorn on a free loopback port, bcrypt at its lowest cost)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from owncast_adapters.auth.passwords import BcryptPasswordHasher
from owncast_runners.container import Container

from .in_process import InProcess, running_server

pytestmark = pytest.mark.integration
ADMIN = ("admin", "abc123")
REALM = 'Basic realm="Owncast Authenticated Request"'


def fast_bcrypt(container: Container) -> None:
    container.password_hasher.override(providers.Singleton(BcryptPasswordHasher, rounds=4))


@pytest.fixture
async def owncast(tmp_path: Path) -> AsyncIterator[InProcess]:
    async with running_server(tmp_path / "data", configure=fast_bcrypt) as running:
        yield running


async def post(srv: InProcess, path: str, body: Any, auth: tuple[str, str] = ADMIN,
               **kw: Any) -> httpx.Response:
    return await srv.client.post(path, json=body, auth=auth, **kw)


async def create(srv: InProcess, username: str, password: str, auth: tuple[str, str] = ADMIN) -> None:
    r = await post(srv, "/api/admin/accounts/create", {"username": username, "password": password}, auth)
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True


def assert_unauthorized(r: httpx.Response) -> None:
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == REALM
    assert r.text == "Unauthorized"


async def stored_hashes(srv: InProcess) -> list[str]:
    rows = await srv.container.database().run(
        lambda db: db.execute("SELECT password_hash FROM admin_accounts").fetchall())
    return [str(row[0]) for row in rows]


# the built-in admin ----------------------------------------------------------------------------
async def test_the_builtin_admin_is_unchanged(owncast: InProcess) -> None:
    assert (await owncast.client.get("/api/admin/status", auth=ADMIN)).status_code == 200
    for auth in (None, ("admin", "wrong"), ("Admin", "abc123"), ("root", "abc123")):
        assert_unauthorized(await owncast.client.get("/api/admin/status", auth=auth))
    r = await post(owncast, "/api/admin/config/adminpass", {"value": "n3w"})  # Owncast: any non-empty one
    assert r.json() == {"success": True, "message": "changed"}
    assert_unauthorized(await owncast.client.get("/api/admin/status", auth=ADMIN))
    assert (await owncast.client.get("/api/admin/status", auth=("admin", "n3w"))).status_code == 200
    assert (await owncast.client.get("/admin/", auth=("admin", "n3w"))).status_code == 200


async def test_the_command_line_password_still_sets_the_builtin_admins(tmp_path: Path) -> None:
    async with running_server(tmp_path / "data", configure=fast_bcrypt, admin_password="from-the-cli") as srv:
        assert_unauthorized(await srv.client.get("/api/admin/status", auth=ADMIN))
        assert (await srv.client.get("/api/admin/status", auth=("admin", "from-the-cli"))).status_code == 200
        await create(srv, "alice", "alices password", auth=("admin", "from-the-cli"))
        assert (await srv.client.get("/api/admin/status", auth=("alice", "alices password"))).status_code == 200


# named accounts --------------------------------------------------------------------------------
async def test_an_account_uses_the_admin_api_and_is_named_in_the_audit(
        owncast: InProcess, caplog: pytest.LogCaptureFixture) -> None:
    await create(owncast, "Alice", "alices password")
    alice = ("alice", "alices password")
    assert (await owncast.client.get("/api/admin/status", auth=alice)).status_code == 200
    assert (await owncast.client.get("/api/admin/status", auth=("ALICE", "alices password"))).status_code == 200
    with caplog.at_level(logging.INFO, logger="owncast.audit"):
        r = await post(owncast, "/api/admin/config/name", {"value": "Alice's show"}, alice)
        assert r.status_code == 200
        assert (await owncast.client.get("/api/config")).json()["name"] == "Alice's show"
        r = await post(owncast, "/api/admin/config/name", {"value": 3}, alice)  # refused: not audited
        assert r.status_code >= 400
    audit = (await owncast.client.get("/api/admin/audit", auth=ADMIN)).json()
    assert [(e["admin"], e["method"], e["path"], e["status"]) for e in audit] == [
        ("alice", "POST", "/api/admin/config/name", 200),
        ("admin", "POST", "/api/admin/accounts/create", 200),
    ]
    assert audit[0]["time"].endswith("Z")
    lines = [r.getMessage() for r in caplog.records if r.name == "owncast.audit"]
    assert lines == ["admin alice: POST /api/admin/config/name"]
    listing = (await owncast.client.get("/api/admin/accounts", auth=alice)).json()
    assert [a["username"] for a in listing] == ["alice"]
    assert set(listing[0]) == {"username", "role", "createdAt", "lastLoginAt"}
    assert listing[0]["role"] == "admin"  # no role given: an admin, as every account before roles
    assert listing[0]["lastLoginAt"] is not None


async def test_wrong_password_and_deleted_account_get_401(owncast: InProcess) -> None:
    await create(owncast, "bob", "bobs password")
    assert_unauthorized(await owncast.client.get("/api/admin/status", auth=("bob", "bobs passwore")))
    assert_unauthorized(await owncast.client.get("/api/admin/status", auth=("bob", "abc123")))
    assert (await owncast.client.get("/api/admin/status", auth=("bob", "bobs password"))).status_code == 200
    r = await post(owncast, "/api/admin/accounts/delete", {"username": "bob"})
    assert r.json() == {"success": True, "message": "admin account deleted"}
    assert_unauthorized(await owncast.client.get("/api/admin/status", auth=("bob", "bobs password")))
    assert (await owncast.client.get("/api/admin/accounts", auth=ADMIN)).json() == []


async def test_the_builtin_admin_and_yourself_cannot_be_deleted(owncast: InProcess) -> None:
    await create(owncast, "carol", "carols password")
    carol = ("carol", "carols password")
    for auth in (ADMIN, carol):
        r = await post(owncast, "/api/admin/accounts/delete", {"username": "admin"}, auth)
        assert r.status_code == 400 and r.json() == {"success": False,
                                                     "message": "the built-in admin cannot be deleted"}
    r = await post(owncast, "/api/admin/accounts/delete", {"username": "Carol"}, carol)
    assert r.status_code == 400
    assert r.json()["message"] == "you cannot delete the account you are signed in with"
    assert (await owncast.client.get("/api/admin/status", auth=carol)).status_code == 200
    await create(owncast, "dave", "daves password", auth=carol)
    r = await post(owncast, "/api/admin/accounts/delete", {"username": "carol"}, ("dave", "daves password"))
    assert r.status_code == 200
    assert_unauthorized(await owncast.client.get("/api/admin/status", auth=carol))


async def test_changing_an_accounts_password(owncast: InProcess) -> None:
    await create(owncast, "erin", "erins password")
    r = await post(owncast, "/api/admin/accounts/password", {"username": "erin", "password": "a new one!"})
    assert r.json() == {"success": True, "message": "password changed"}
    assert_unauthorized(await owncast.client.get("/api/admin/status", auth=("erin", "erins password")))
    assert (await owncast.client.get("/api/admin/status", auth=("erin", "a new one!"))).status_code == 200
    r = await post(owncast, "/api/admin/accounts/password", {"username": "admin", "password": "whatever1"})
    assert r.status_code == 400 and "adminpass" in r.json()["message"]
    assert (await owncast.client.get("/api/admin/status", auth=ADMIN)).status_code == 200


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/api/admin/accounts/create", b"{not json", "request body must be a JSON object with username and password"),
    ("/api/admin/accounts/create", b"[1]", "request body must be a JSON object with username and password"),
    ("/api/admin/accounts/create", b'{"username": "x"}', "password field is required"),
    ("/api/admin/accounts/create", b'{"password": "long enough"}', "username field is required"),
    ("/api/admin/accounts/create", b'{"username": "x", "password": "short"}',
     "password must be at least 8 characters long"),
    ("/api/admin/accounts/create", b'{"username": "no spaces", "password": "long enough"}',
     "username must be 1-32 characters of a-z, 0-9, '_', '.' or '-'"),
    ("/api/admin/accounts/create", b'{"username": "ADMIN", "password": "long enough"}',
     "the username admin is reserved for the built-in admin"),
    ("/api/admin/accounts/delete", b"", "request body must be a JSON object with username"),
    ("/api/admin/accounts/delete", b'{"username": "ghost"}', "no admin account named ghost"),
    ("/api/admin/accounts/password", b'{"username": "ghost", "password": "long enough"}',
     "no admin account named ghost"),
    ("/api/admin/accounts/password", b'{"username": "ghost"}', "password field is required"),
    ("/api/admin/accounts/create", b'{"username": "x", "password": "long enough", "role": "owner"}',
     "role must be admin or moderator"),
    ("/api/admin/accounts/create", b'{"username": "x", "password": "long enough", "role": "Moderator"}',
     "role must be admin or moderator"),
    ("/api/admin/accounts/create", b'{"username": "x", "password": "long enough", "role": 1}',
     "role must be admin or moderator"),
    ("/api/admin/accounts/role", b"[]", "request body must be a JSON object with username and role"),
    ("/api/admin/accounts/role", b'{"username": "ghost"}', "role field is required"),
    ("/api/admin/accounts/role", b'{"role": "admin"}', "username field is required"),
    ("/api/admin/accounts/role", b'{"username": "ghost", "role": "admin"}', "no admin account named ghost"),
    ("/api/admin/accounts/role", b'{"username": "Admin", "role": "moderator"}',
     "the built-in admin is always an admin: its role cannot be changed"),
])
async def test_bad_requests_say_what_is_wrong(owncast: InProcess, path: str, body: bytes, message: str) -> None:
    r = await owncast.client.post(path, content=body, auth=ADMIN, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"success": False, "message": message}


async def test_roles_at_creation_and_changed_later(owncast: InProcess) -> None:
    r = await post(owncast, "/api/admin/accounts/create", {"username": "Mod", "password": "long enough",
                                                           "role": "moderator"})
    assert r.json() == {"success": True, "message": "moderator account mod created"}
    r = await post(owncast, "/api/admin/accounts/create", {"username": "full", "password": "long enough",
                                                           "role": None})
    assert r.json() == {"success": True, "message": "admin account full created"}  # null: the default
    r = await post(owncast, "/api/admin/accounts/create", {"username": "bad", "password": "long enough",
                                                           "role": "root"})
    assert r.status_code == 400
    listing = (await owncast.client.get("/api/admin/accounts", auth=ADMIN)).json()
    assert [(a["username"], a["role"]) for a in listing] == [("full", "admin"), ("mod", "moderator")]
    r = await post(owncast, "/api/admin/accounts/role", {"username": "full", "role": "moderator"})
    assert r.json() == {"success": True, "message": "full is now moderator"}
    r = await post(owncast, "/api/admin/accounts/role", {"username": "full", "role": "superadmin"})
    assert r.status_code == 400 and r.json()["message"] == "role must be admin or moderator"
    listing = (await owncast.client.get("/api/admin/accounts", auth=ADMIN)).json()
    assert [(a["username"], a["role"]) for a in listing] == [("full", "moderator"), ("mod", "moderator")]
    r = await owncast.client.get("/api/admin/accounts/role", auth=ADMIN)
    assert r.status_code == 400 and r.json() == {"success": False, "message": "GET not supported"}


async def test_duplicates_and_get_on_setters(owncast: InProcess) -> None:
    await create(owncast, "frank", "franks password")
    r = await post(owncast, "/api/admin/accounts/create", {"username": "FRANK", "password": "other password"})
    assert r.status_code == 400 and r.json()["message"] == "an admin account named frank exists already"
    r = await owncast.client.get("/api/admin/accounts/create", auth=ADMIN)
    assert r.status_code == 400 and r.json() == {"success": False, "message": "GET not supported"}


async def test_every_new_route_needs_an_admin(owncast: InProcess) -> None:
    for method, path in [("GET", "/api/admin/accounts"), ("POST", "/api/admin/accounts/create"),
                         ("POST", "/api/admin/accounts/delete"), ("POST", "/api/admin/accounts/password"),
                         ("POST", "/api/admin/accounts/role"), ("GET", "/api/admin/audit"), ("GET", "/api/admin/me")]:
        assert_unauthorized(await owncast.client.request(method, path, auth=("admin", "wrong")))


async def test_no_reply_carries_a_password_hash_and_the_audit_no_body(
        owncast: InProcess, caplog: pytest.LogCaptureFixture) -> None:
    secrets = ["gina's secret password", "new secret password", "adminpass-secret"]
    builtin_hash = owncast.container.config().admin_password_hash()  # Owncast shows it in serverconfig
    with caplog.at_level(logging.DEBUG):
        replies = [
            await post(owncast, "/api/admin/accounts/create", {"username": "gina", "password": secrets[0]}),
            await post(owncast, "/api/admin/accounts/password", {"username": "gina", "password": secrets[1]}),
            await owncast.client.get("/api/admin/accounts", auth=ADMIN),
            await owncast.client.get("/api/admin/serverconfig", auth=("gina", secrets[1])),
            await post(owncast, "/api/admin/config/adminpass", {"value": secrets[2]}, ("gina", secrets[1])),
        ]
        replies.append(await owncast.client.get("/api/admin/audit", auth=("gina", secrets[1])))
    (gina_hash,) = await stored_hashes(owncast)
    assert gina_hash.startswith("$2b$")
    for reply in replies:
        assert reply.status_code == 200, reply.text
        assert gina_hash not in reply.text
        assert "$2b$" not in reply.text.replace(builtin_hash, ""), reply.text
    audit_text = replies[-1].text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in audit_text and secret not in logged
    assert [e["path"] for e in replies[-1].json()] == [
        "/api/admin/config/adminpass", "/api/admin/accounts/password", "/api/admin/accounts/create"]
    assert {tuple(e) for e in replies[-1].json()} == {("time", "admin", "method", "path", "status", "detail")}
    # what changed, in the route's own words (never the secret)
    assert [e["detail"] for e in replies[-1].json()] == ["", "password of gina changed", "admin account gina created"]


async def test_accounts_survive_a_restart(tmp_path: Path) -> None:
    async with running_server(tmp_path / "data", configure=fast_bcrypt) as srv:
        await create(srv, "hank", "hanks password")
    async with running_server(tmp_path / "data", configure=fast_bcrypt) as srv:
        assert (await srv.client.get("/api/admin/status", auth=("hank", "hanks password"))).status_code == 200


# failed-login throttle -------------------------------------------------------------------------
async def test_ten_failures_from_one_address_get_429_for_everyone_there(
        owncast: InProcess, caplog: pytest.LogCaptureFixture) -> None:
    await create(owncast, "ivan", "ivans password")
    # the test client is on loopback, like a reverse proxy: the last X-Forwarded-For hop is the client
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    with caplog.at_level(logging.WARNING):
        for i in range(10):
            auth = ("ivan", f"guess {i}") if i % 2 else ("admin", f"guess {i}")
            assert_unauthorized(await owncast.client.get("/api/admin/status", auth=auth, headers=attacker))
        for auth in (ADMIN, ("ivan", "ivans password"), ("admin", "wrong")):
            r = await owncast.client.get("/api/admin/status", auth=auth, headers=attacker)
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 590
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "failed admin" in
                r.getMessage()]
    assert len(warnings) == 1 and "203.0.113.7" in warnings[0]
    # another address, and a spoofed first hop from the attacker, are not the locked one
    assert (await owncast.client.get("/api/admin/status", auth=ADMIN,
                                     headers={"X-Forwarded-For": "203.0.113.8"})).status_code == 200
    r = await owncast.client.get("/api/admin/status", auth=ADMIN,
                                 headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    assert r.status_code == 429


async def test_nine_failures_are_not_enough_and_requests_without_credentials_do_not_count(
        owncast: InProcess) -> None:
    for _ in range(9):
        assert_unauthorized(await owncast.client.get("/api/admin/status", auth=("admin", "nope")))
    for _ in range(5):
        assert_unauthorized(await owncast.client.get("/api/admin/status"))
    assert (await owncast.client.get("/api/admin/status", auth=ADMIN)).status_code == 200
