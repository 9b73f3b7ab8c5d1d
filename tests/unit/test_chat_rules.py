"""Pure chat rules: safe names, blocklist, flood guard, established users, offline chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from owncast_core.domain.chat import MODERATOR_SCOPE, ChatUser
from owncast_core.services.chat_rules import (
    SpamGuard,
    SpamVerdict,
    is_established,
    name_blocked,
    offline_too_long,
    random_display_name,
    safe_display_name,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_safe_display_name_strips_markup_and_cuts_to_30() -> None:
    assert safe_display_name("  <b>Ada</b>\r\n ") == "Ada"
    assert safe_display_name("&lt;script&gt;alert(1)&lt;/script&gt;Eve") == "alert(1)Eve"
    assert safe_display_name("x" * 40) == "x" * 30
    assert safe_display_name("é" * 31) == "é" * 30
    assert safe_display_name(None) == "" and safe_display_name(42) == ""


def test_blocklist_matches_owncast_quirk_and_containment() -> None:
    blocked = ["owncast", "operator", "admin", "system"]
    assert name_blocked("Admin", blocked)
    assert name_blocked("adm", blocked)  # Owncast tests blocked-name-contains-proposed
    assert name_blocked("superadmin", blocked)
    assert not name_blocked("Ada", blocked)
    assert name_blocked("  ", blocked)


def test_spam_guard_allows_about_one_and_a_half_per_second_then_mutes_ten_seconds() -> None:
    guard = SpamGuard()
    assert guard.check(0.0) is SpamVerdict.ALLOW
    assert guard.check(0.7) is SpamVerdict.ALLOW
    assert guard.check(0.8) is SpamVerdict.FLOODING
    assert guard.check(5.0) is SpamVerdict.MUTED
    assert guard.check(10.7) is SpamVerdict.MUTED
    assert guard.check(10.9) is SpamVerdict.ALLOW


def test_established_users_and_moderators() -> None:
    young = ChatUser(id="u", display_name="x", display_color=0, created_at=T0)
    assert not is_established(young, T0 + timedelta(minutes=14))
    assert is_established(young, T0 + timedelta(minutes=15))
    moderator = ChatUser(id="m", display_name="m", display_color=0, created_at=T0, scopes=(MODERATOR_SCOPE,))
    assert is_established(moderator, T0)


def test_messages_ignored_only_after_five_minutes_offline() -> None:
    assert not offline_too_long(False, None, T0)  # never live
    assert not offline_too_long(True, T0, T0 + timedelta(hours=1))
    assert not offline_too_long(False, T0, T0 + timedelta(minutes=5))
    assert offline_too_long(False, T0, T0 + timedelta(minutes=5, seconds=1))


def test_random_names_use_suggestions_only_when_there_are_ten() -> None:
    assert random_display_name(["a", "b"], lambda n: 0) == "Amber Badger"
    names = [f"name{i}" for i in range(10)]
    assert random_display_name(names, lambda n: 3) == "name3"
