"""The admin gate (web/auth.py): which address the failed-login throttle counts against, and the
role check (web/admin_roles.py) between the credentials and the endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from owncast_core.domain.admin_accounts import BUILTIN_IDENTITY, AdminIdentity, AdminRole
from owncast_core.services.admin_audit import AdminAuditTrail
from owncast_core.services.config import ConfigService
from owncast_core.services.login_throttle import LoginThrottle
from owncast_core.testing.fakes import FakeClock, InMemoryConfigRepository, PlainPasswordHasher
from owncast_runners.web.admin_roles import MODERATOR_ROUTES, permits
from owncast_runners.web.auth import REALM, AdminGate, require_admin, throttle_address


def request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "method": "GET", "path": "/api/admin/status", "headers": headers,
                    "client": (peer, 40000)})


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("198.51.100.9", None, "198.51.100.9"),
    ("198.51.100.9", "203.0.113.1", "198.51.100.9"),  # a public peer: whatever it claims is ignored
    ("127.0.0.1", None, "127.0.0.1"),
    ("127.0.0.1", "203.0.113.1", "203.0.113.1"),  # behind a local reverse proxy: the hop it added
    ("10.0.0.2", "192.0.2.50, 203.0.113.1", "203.0.113.1"),  # a client-sent first hop is not trusted
    ("::1", " ", "::1"),
])
def test_throttle_address(peer: str, forwarded: str | None, expected: str) -> None:
    assert throttle_address(request(peer, forwarded)) == expected


# roles ---------------------------------------------------------------------------------------------
IDENTITIES = {
    ("admin", "abc123"): BUILTIN_IDENTITY,
    ("boss", "boss pass"): AdminIdentity("boss", AdminRole.ADMIN),
    ("mo", "mo pass"): AdminIdentity("mo", AdminRole.MODERATOR),
}


@dataclass
class GateRig:
    client: httpx.AsyncClient
    audit: AdminAuditTrail
    throttle: LoginThrottle
    ran: list[str]


@pytest.fixture
async def gate_rig() -> AsyncIterator[GateRig]:
    """A two-route app behind an ``AdminGate`` whose credentials are a fixed table: a moderator
    route from the real table and an admin-only one."""
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    ran: list[str] = []

    async def authenticate(user: str, password: str) -> AdminIdentity | None:
        return IDENTITIES.get((user, password))

    @require_admin(config)
    async def endpoint(request: Request) -> Response:
        ran.append(f"{request.method} {request.url.path} as {request.state.admin_identity.name}")
        return JSONResponse({"admin": request.state.admin, "role": request.state.admin_identity.role.value})

    clock = FakeClock()
    audit = AdminAuditTrail(clock=clock)
    throttle = LoginThrottle(clock=clock)
    app = Starlette(routes=[Route("/api/admin/chat/users/setenabled", endpoint, methods=["GET", "POST"]),
                            Route("/api/admin/config/{name:path}", endpoint, methods=["GET", "POST"])])
    app.state.admin_gate = AdminGate(authenticate=authenticate, throttle=throttle, audit=audit)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield GateRig(client, audit, throttle, ran)


async def test_a_moderator_uses_a_route_in_the_table(gate_rig: GateRig) -> None:
    r = await gate_rig.client.post("/api/admin/chat/users/setenabled", auth=("mo", "mo pass"))
    assert r.status_code == 200 and r.json() == {"admin": "mo", "role": "moderator"}
    assert gate_rig.ran == ["POST /api/admin/chat/users/setenabled as mo"]
    assert [(e.admin, e.method, e.status) for e in gate_rig.audit.entries()] == [("mo", "POST", 200)]


async def test_a_moderator_gets_403_elsewhere_and_the_endpoint_never_runs(gate_rig: GateRig) -> None:
    for method in ("GET", "POST"):
        r = await gate_rig.client.request(method, "/api/admin/config/streamkeys", auth=("mo", "mo pass"))
        assert r.status_code == 403
        assert "www-authenticate" not in r.headers  # the browser must not prompt for other credentials
        assert r.json() == {"success": False, "message": "/api/admin/config/{name:path} requires the admin role "
                                                         "(signed in as moderator)"}
    assert gate_rig.ran == []
    assert [(e.admin, e.method, e.path, e.status) for e in gate_rig.audit.entries()] == [
        ("mo", "POST", "/api/admin/config/streamkeys", 403), ("mo", "GET", "/api/admin/config/streamkeys", 403)]
    assert not gate_rig.throttle.locked("127.0.0.1")


async def test_admins_use_every_route(gate_rig: GateRig) -> None:
    for auth in (("admin", "abc123"), ("boss", "boss pass")):
        for path in ("/api/admin/config/name", "/api/admin/chat/users/setenabled"):
            assert (await gate_rig.client.get(path, auth=auth)).status_code == 200
    assert len(gate_rig.ran) == 4 and gate_rig.audit.entries() == []  # GETs are not audited


async def test_wrong_credentials_are_401_before_any_role_check(gate_rig: GateRig) -> None:
    for auth in (("mo", "wrong"), ("nobody", "mo pass")):
        r = await gate_rig.client.get("/api/admin/config/name", auth=auth)
        assert r.status_code == 401 and r.headers["www-authenticate"] == REALM and r.text == "Unauthorized"
    assert gate_rig.ran == [] and gate_rig.audit.entries() == []


def test_permits_is_default_deny_for_moderators() -> None:
    assert all(permits(AdminRole.ADMIN, path) for path in ("/api/admin/config/{name:path}", "/x", None))
    assert permits(AdminRole.MODERATOR, "/api/admin/chat/messages")
    assert permits(AdminRole.MODERATOR, "/api/admin/status")
    for path in ("/api/admin/config/{name:path}", "/api/admin/accounts/role", "/api/admin/chat/messages/",
                 "/api/admin/status/x", "", None):
        assert not permits(AdminRole.MODERATOR, path), path
    assert all(path.startswith(("/api/admin/", "/admin/")) for path in MODERATOR_ROUTES)
