"""AdminAccounts (credentials of the built-in admin and named accounts), the audit trail and the
failed-login throttle, on fakes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from owncast_core.domain.admin_accounts import (
    BUILTIN_IDENTITY,
    AdminIdentity,
    AdminRole,
    normalize_username,
    parse_role,
)
from owncast_core.errors import NotFoundError, PermissionDenied, ValidationError
from owncast_core.services.admin_accounts import AdminAccounts
from owncast_core.services.admin_audit import AdminAuditTrail
from owncast_core.services.config import ConfigService
from owncast_core.services.login_throttle import LoginThrottle
from owncast_core.testing.fakes import (
    FakeClock,
    InMemoryAdminAccountRepository,
    InMemoryConfigRepository,
    PlainPasswordHasher,
)


class CountingHasher(PlainPasswordHasher):
    """Records which hashes ``verify`` was asked to check."""

    def __init__(self) -> None:
        self.verified: list[str] = []
        self.hashed = 0

    def hash(self, password: str) -> str:
        self.hashed += 1
        return super().hash(password) + f"${self.hashed}"  # distinct per call, like a salted hash

    def verify(self, password: str, hashed: str) -> bool:
        self.verified.append(hashed)
        base, _, _ = hashed.rpartition("$")
        return base == PlainPasswordHasher.hash(self, password)


@dataclass
class Rig:
    accounts: AdminAccounts
    repository: InMemoryAdminAccountRepository
    config: ConfigService
    hasher: CountingHasher
    clock: FakeClock


@pytest.fixture
async def rig() -> Rig:
    hasher = CountingHasher()
    config = ConfigService(repository=InMemoryConfigRepository(), hasher=hasher)
    await config.load()
    repository = InMemoryAdminAccountRepository()
    clock = FakeClock()
    return Rig(AdminAccounts(repository=repository, config=config, hasher=hasher, clock=clock), repository, config,
               hasher, clock)


# built-in admin ----------------------------------------------------------------------------------
async def test_the_builtin_admin_uses_the_admin_password(rig: Rig) -> None:
    assert await rig.accounts.authenticate("admin", "abc123") == BUILTIN_IDENTITY
    assert await rig.accounts.authenticate("admin", "wrong") is None
    await rig.config.set_admin_password("n3w")
    assert await rig.accounts.authenticate("admin", "abc123") is None
    assert await rig.accounts.authenticate("admin", "n3w") == BUILTIN_IDENTITY


async def test_the_builtin_name_is_exact_as_in_owncast(rig: Rig) -> None:
    assert await rig.accounts.authenticate("Admin", "abc123") is None
    assert await rig.accounts.authenticate("ADMIN", "abc123") is None
    assert await rig.accounts.authenticate("admin ", "abc123") is None


# named accounts ----------------------------------------------------------------------------------
async def test_a_created_account_signs_in_by_any_case_of_its_name(rig: Rig) -> None:
    account = await rig.accounts.create("Alice", "long enough")
    assert account.username == "alice" and account.created_at == rig.clock.now()
    assert "long enough" not in account.password_hash
    assert await rig.accounts.authenticate("alice", "long enough") == AdminIdentity("alice", AdminRole.ADMIN)
    assert await rig.accounts.authenticate("ALICE", "long enough") == AdminIdentity("alice", AdminRole.ADMIN)
    assert await rig.accounts.authenticate("alice", "long enougH") is None
    assert await rig.accounts.authenticate("alice", "abc123") is None  # not the admin password


async def test_an_account_password_is_not_the_builtin_admins(rig: Rig) -> None:
    await rig.accounts.create("bob", "bobs password")
    assert await rig.accounts.authenticate("admin", "bobs password") is None


async def test_unknown_names_cost_one_hash_check_against_a_dummy_hash(rig: Rig) -> None:
    await rig.accounts.create("alice", "long enough")
    rig.hasher.verified.clear()
    for name in ("nobody", "Admin", "not a valid name!", ""):
        assert await rig.accounts.authenticate(name, "long enough") is None
    dummies = rig.hasher.verified
    assert len(dummies) == 4  # one verify per attempt, as for a real account
    assert len(set(dummies)) == 1  # always the same dummy hash, made once
    alice = await rig.repository.get("alice")
    assert alice is not None and dummies[0] != alice.password_hash
    rig.hasher.verified.clear()
    assert await rig.accounts.authenticate("alice", "wrong password") is None
    assert rig.hasher.verified == [alice.password_hash]


async def test_a_successful_login_is_recorded_at_most_once_a_minute(rig: Rig) -> None:
    await rig.accounts.create("alice", "long enough")
    first = rig.clock.now()
    await rig.accounts.authenticate("alice", "long enough")
    rig.clock.advance(30)
    await rig.accounts.authenticate("alice", "long enough")
    alice = await rig.repository.get("alice")
    assert alice is not None and alice.last_login_at == first
    rig.clock.advance(31)
    await rig.accounts.authenticate("alice", "wrong password")
    alice = await rig.repository.get("alice")
    assert alice is not None and alice.last_login_at == first  # failures do not count
    await rig.accounts.authenticate("alice", "long enough")
    alice = await rig.repository.get("alice")
    assert alice is not None and alice.last_login_at == rig.clock.now()


@pytest.mark.parametrize(("username", "message"), [
    ("", "1-32 characters"),
    ("a" * 33, "1-32 characters"),
    ("bad name", "1-32 characters"),
    ("émile", "1-32 characters"),
    ("admin", "reserved"),
    ("ADMIN", "reserved"),
    (42, "must be a string"),
])
async def test_invalid_usernames_are_refused(rig: Rig, username: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        await rig.accounts.create(username, "long enough")
    assert await rig.accounts.accounts() == []


@pytest.mark.parametrize("name", ["a", "a" * 32, "x.y-z_9", "UPPER"])
def test_valid_usernames(name: str) -> None:
    assert normalize_username(name) == name.lower()


@pytest.mark.parametrize(("password", "message"), [
    ("short", "at least 8 characters"),
    ("1234567", "at least 8 characters"),
    ("x" * 73, "at most 72 bytes"),
    (12345678, "must be a string"),
])
async def test_weak_passwords_are_refused(rig: Rig, password: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        await rig.accounts.create("alice", password)
    await rig.accounts.create("alice", "12345678")  # exactly 8 is enough
    with pytest.raises(ValidationError, match=message):
        await rig.accounts.set_password("alice", password)


async def test_names_are_unique_whatever_their_case(rig: Rig) -> None:
    await rig.accounts.create("alice", "long enough")
    with pytest.raises(ValidationError, match="exists already"):
        await rig.accounts.create("ALICE", "other password")
    assert await rig.accounts.authenticate("alice", "long enough") == AdminIdentity("alice", AdminRole.ADMIN)


async def test_set_password(rig: Rig) -> None:
    await rig.accounts.create("alice", "long enough")
    await rig.accounts.set_password("Alice", "a new password")
    assert await rig.accounts.authenticate("alice", "long enough") is None
    assert await rig.accounts.authenticate("alice", "a new password") == AdminIdentity("alice", AdminRole.ADMIN)
    with pytest.raises(NotFoundError):
        await rig.accounts.set_password("nobody", "a new password")
    with pytest.raises(ValidationError, match="adminpass"):
        await rig.accounts.set_password("admin", "a new password")
    assert await rig.accounts.authenticate("admin", "abc123") == BUILTIN_IDENTITY


async def test_delete(rig: Rig) -> None:
    await rig.accounts.create("alice", "long enough")
    await rig.accounts.create("bob", "long enough")
    await rig.accounts.delete("ALICE", acting_admin="bob")
    assert [a.username for a in await rig.accounts.accounts()] == ["bob"]
    assert await rig.accounts.authenticate("alice", "long enough") is None
    with pytest.raises(NotFoundError):
        await rig.accounts.delete("alice", acting_admin="bob")


async def test_the_builtin_admin_and_yourself_cannot_be_deleted(rig: Rig) -> None:
    await rig.accounts.create("alice", "long enough")
    for name in ("admin", "Admin"):
        with pytest.raises(PermissionDenied, match="built-in admin"):
            await rig.accounts.delete(name, acting_admin="alice")
    with pytest.raises(PermissionDenied, match="signed in with"):
        await rig.accounts.delete("Alice", acting_admin="alice")
    await rig.accounts.delete("alice", acting_admin="admin")  # another admin may
    assert await rig.accounts.accounts() == []


# roles -------------------------------------------------------------------------------------------
async def test_accounts_are_admins_unless_made_moderators(rig: Rig) -> None:
    assert (await rig.accounts.create("alice", "long enough")).role is AdminRole.ADMIN
    mod = await rig.accounts.create("Mo", "long enough", "moderator")
    assert mod.role is AdminRole.MODERATOR and mod.to_json()["role"] == "moderator"
    assert await rig.accounts.authenticate("mo", "long enough") == AdminIdentity("mo", AdminRole.MODERATOR)
    assert await rig.accounts.authenticate("alice", "long enough") == AdminIdentity("alice", AdminRole.ADMIN)
    assert [(a.username, a.role) for a in await rig.accounts.accounts()] == [
        ("alice", AdminRole.ADMIN), ("mo", AdminRole.MODERATOR)]


def test_the_builtin_admin_is_always_an_admin() -> None:
    assert BUILTIN_IDENTITY == AdminIdentity("admin", AdminRole.ADMIN) and BUILTIN_IDENTITY.is_admin
    assert not AdminIdentity("mo", AdminRole.MODERATOR).is_admin


@pytest.mark.parametrize("role", ["Moderator", "ADMIN", "owner", "", " admin", 1, None, ["admin"], True])
async def test_unknown_roles_are_refused_and_nothing_is_stored(rig: Rig, role: object) -> None:
    with pytest.raises(ValidationError, match=r"^role must be admin or moderator$"):
        await rig.accounts.create("alice", "long enough", role)
    assert await rig.accounts.accounts() == []
    with pytest.raises(ValidationError, match=r"^role must be admin or moderator$"):
        parse_role(role)


@pytest.mark.parametrize(("raw", "role"), [("admin", AdminRole.ADMIN), ("moderator", AdminRole.MODERATOR),
                                           (AdminRole.MODERATOR, AdminRole.MODERATOR)])
def test_parse_role(raw: object, role: AdminRole) -> None:
    assert parse_role(raw) is role


async def test_set_role_applies_at_the_next_login(rig: Rig) -> None:
    await rig.accounts.create("alice", "long enough")
    changed = await rig.accounts.set_role("ALICE", "moderator")
    assert changed.username == "alice" and changed.role is AdminRole.MODERATOR
    assert await rig.accounts.authenticate("alice", "long enough") == AdminIdentity("alice", AdminRole.MODERATOR)
    await rig.accounts.set_role("alice", AdminRole.ADMIN)
    assert await rig.accounts.authenticate("alice", "long enough") == AdminIdentity("alice", AdminRole.ADMIN)
    stored = await rig.repository.get("alice")
    assert stored is not None and stored.created_at == rig.clock.now() and stored.password_hash.startswith("sha256$")


async def test_set_role_refusals_change_nothing(rig: Rig) -> None:
    await rig.accounts.create("alice", "long enough", "moderator")
    for name in ("admin", "Admin"):
        with pytest.raises(ValidationError, match="built-in admin is always an admin"):
            await rig.accounts.set_role(name, "moderator")
    with pytest.raises(NotFoundError, match="no admin account named ghost"):
        await rig.accounts.set_role("ghost", "admin")
    with pytest.raises(ValidationError, match="role must be admin or moderator"):
        await rig.accounts.set_role("alice", "superuser")
    with pytest.raises(ValidationError, match="1-32 characters"):
        await rig.accounts.set_role("bad name", "admin")
    assert [(a.username, a.role) for a in await rig.accounts.accounts()] == [("alice", AdminRole.MODERATOR)]
    assert await rig.accounts.authenticate("admin", "abc123") == BUILTIN_IDENTITY


async def test_a_moderator_login_costs_the_same_single_hash_check(rig: Rig) -> None:
    await rig.accounts.create("mo", "long enough", "moderator")
    mo = await rig.repository.get("mo")
    assert mo is not None
    rig.hasher.verified.clear()
    assert await rig.accounts.authenticate("mo", "wrong password") is None
    assert await rig.accounts.authenticate("nobody", "long enough") is None
    assert len(rig.hasher.verified) == 2 and rig.hasher.verified[0] == mo.password_hash


# audit trail -------------------------------------------------------------------------------------
def test_audit_keeps_the_newest_entries_newest_first(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    audit = AdminAuditTrail(clock=clock, capacity=3)
    with caplog.at_level(logging.INFO, logger="owncast.audit"):
        for i in range(5):
            audit.record(admin="alice", method="POST", path=f"/api/admin/x/{i}", status=200)
            clock.advance(1)
    assert [e.path for e in audit.entries()] == ["/api/admin/x/4", "/api/admin/x/3", "/api/admin/x/2"]
    assert audit.entries()[0].to_json() == {"time": "2026-01-01T12:00:04Z", "admin": "alice", "method": "POST",
                                            "path": "/api/admin/x/4", "status": 200, "detail": ""}
    lines = [r.getMessage() for r in caplog.records if r.name == "owncast.audit"]
    assert lines[0] == "admin alice: POST /api/admin/x/0" and len(lines) == 5
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "owncast.audit")


def test_audit_keeps_what_a_route_says_it_changed_on_one_line(caplog: pytest.LogCaptureFixture) -> None:
    audit = AdminAuditTrail(clock=FakeClock())
    with caplog.at_level(logging.INFO, logger="owncast.audit"):
        entry = audit.record(admin="bob", method="POST", path="/api/admin/accounts/role", status=200,
                             detail="zoe is now admin\nadmin eve: forged")
    assert entry.to_json()["detail"] == "zoe is now admin\\nadmin eve: forged"
    assert [r.getMessage() for r in caplog.records] == [
        "admin bob: POST /api/admin/accounts/role (zoe is now admin\\nadmin eve: forged)"]


def test_audit_paths_stay_on_one_line(caplog: pytest.LogCaptureFixture) -> None:
    audit = AdminAuditTrail(clock=FakeClock())
    with caplog.at_level(logging.INFO, logger="owncast.audit"):
        entry = audit.record(admin="bob", method="POST", path="/api/admin/x\nadmin eve: POST /api/admin/y",
                             status=200)
    assert entry.path == "/api/admin/x\\nadmin eve: POST /api/admin/y"
    assert [r.getMessage() for r in caplog.records] == ["admin bob: POST /api/admin/x\\nadmin eve: POST /api/admin/y"]


def test_denied_requests_are_kept_with_403_and_logged_as_warnings(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    audit = AdminAuditTrail(clock=clock)
    with caplog.at_level(logging.INFO, logger="owncast.audit"):
        audit.record(admin="mo", method="POST", path="/api/admin/chat/users/setenabled", status=200)
        clock.advance(1)
        entry = audit.record_denied(admin="mo", method="GET", path="/api/admin/serverconfig\n",
                                    reason="/api/admin/serverconfig requires the admin role (signed in as moderator)")
    assert entry.status == 403 and entry.path == "/api/admin/serverconfig\\n"
    assert [e.to_json() for e in audit.entries()] == [
        {"time": "2026-01-01T12:00:01Z", "admin": "mo", "method": "GET", "path": "/api/admin/serverconfig\\n",
         "status": 403, "detail": "/api/admin/serverconfig requires the admin role (signed in as moderator)"},
        {"time": "2026-01-01T12:00:00Z", "admin": "mo", "method": "POST", "path": "/api/admin/chat/users/setenabled",
         "status": 200, "detail": ""},
    ]
    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "owncast.audit"]
    assert records == [
        (logging.INFO, "admin mo: POST /api/admin/chat/users/setenabled"),
        (logging.WARNING, "admin mo: GET /api/admin/serverconfig\\n denied "
                          "(/api/admin/serverconfig requires the admin role (signed in as moderator))"),
    ]


def test_audit_capacity_is_500_by_default() -> None:
    audit = AdminAuditTrail(clock=FakeClock())
    for i in range(501):
        audit.record(admin="admin", method="POST", path=f"/api/admin/{i}", status=200)
    assert len(audit.entries()) == 500 and audit.entries()[-1].path == "/api/admin/1"


# failed-login throttle ---------------------------------------------------------------------------
def test_ten_failures_lock_the_address_for_ten_minutes(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock=clock)
    with caplog.at_level(logging.WARNING):
        for _ in range(9):
            throttle.failed("203.0.113.9")
            assert not throttle.locked("203.0.113.9")
        throttle.failed("203.0.113.9")
        assert throttle.locked("203.0.113.9") and not throttle.locked("203.0.113.10")
        throttle.failed("203.0.113.9")  # attempts while locked neither extend nor log again
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "203.0.113.9" in warnings[0]
    assert throttle.retry_after("203.0.113.9") == 600
    clock.advance(599)
    assert throttle.locked("203.0.113.9")
    throttle.succeeded("203.0.113.9")  # a right password does not lift the lock
    assert throttle.locked("203.0.113.9")
    clock.advance(1)
    assert not throttle.locked("203.0.113.9")
    throttle.failed("203.0.113.9")
    assert not throttle.locked("203.0.113.9")  # counting starts afresh


def test_failures_older_than_the_window_do_not_count() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(9):
        throttle.failed("198.51.100.1")
    clock.advance(600)
    throttle.failed("198.51.100.1")
    assert not throttle.locked("198.51.100.1")


def test_a_success_forgets_past_failures() -> None:
    throttle = LoginThrottle(clock=FakeClock())
    for _ in range(9):
        throttle.failed("198.51.100.1")
    throttle.succeeded("198.51.100.1")
    throttle.failed("198.51.100.1")
    assert not throttle.locked("198.51.100.1")


def test_the_throttle_remembers_a_bounded_number_of_addresses() -> None:
    throttle = LoginThrottle(clock=FakeClock(), max_addresses=100)
    for i in range(1000):
        throttle.failed(f"10.0.{i // 256}.{i % 256}")
    assert throttle.tracked() == 100
