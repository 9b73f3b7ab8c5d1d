"""Contract suite for ``UserRepository`` (chat users, tokens, API users, IP bans)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from owncast_core.domain.chat import MODERATOR_SCOPE, ApiScope, ApiUser, ChatUser
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.ports.chat import UserRepository

UserRepositoryFactory = Callable[[], Awaitable[UserRepository]]
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def make_user(n: int, *, name: str | None = None, **changes: Any) -> ChatUser:
    base = ChatUser(
        id=f"user{n}",
        display_name=name or f"User {n}",
        display_color=n % 8,
        created_at=T0 + timedelta(seconds=n),
        previous_names=(name or f"User {n}",),
    )
    return replace(base, **changes)


def make_api_user(n: int, scopes: tuple[str, ...] = (ApiScope.CAN_SEND_MESSAGES,)) -> ApiUser:
    return ApiUser(
        id=f"bot{n}",
        access_token=f"api-token-{n}",
        display_name=f"Bot {n}",
        display_color=3,
        scopes=scopes,
        created_at=T0 + timedelta(seconds=n),
    )


class UserRepositoryContract:
    """Bindings provide ``make_repository``: an async factory; two calls give two handles on
    the same store (reopened for persistent adapters)."""

    @pytest.fixture
    async def make_repository(self) -> UserRepositoryFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def repo(self, make_repository: UserRepositoryFactory) -> UserRepository:
        return await make_repository()

    async def test_create_and_look_up_by_token_and_id(self, repo: UserRepository) -> None:
        user = make_user(1, name="Ada")
        await repo.create_user(user, "tok-1")
        assert await repo.user_by_token("tok-1") == user
        assert await repo.user_by_id("user1") == user
        with pytest.raises(NotFoundError):
            await repo.user_by_token("nope")
        with pytest.raises(NotFoundError):
            await repo.user_by_id("nope")

    async def test_duplicates_are_refused(self, repo: UserRepository) -> None:
        await repo.create_user(make_user(1), "tok-1")
        with pytest.raises(ValidationError):
            await repo.create_user(make_user(1), "tok-2")
        with pytest.raises(ValidationError):
            await repo.create_user(make_user(2), "tok-1")
        with pytest.raises(NotFoundError):
            await repo.user_by_token("tok-2")

    async def test_a_user_may_own_several_tokens(self, repo: UserRepository) -> None:
        await repo.create_user(make_user(1), "tok-1")
        await repo.add_token("user1", "tok-1b")
        assert (await repo.user_by_token("tok-1b")).id == "user1"
        with pytest.raises(NotFoundError):
            await repo.add_token("ghost", "tok-x")

    async def test_rename_keeps_previous_names(self, repo: UserRepository) -> None:
        await repo.create_user(make_user(1, name="Ada"), "tok-1")
        at = T0 + timedelta(hours=1)
        renamed = await repo.rename("user1", "Grace", at)
        assert renamed.display_name == "Grace"
        assert renamed.previous_names == ("Ada", "Grace")
        assert renamed.name_changed_at == at
        assert await repo.user_by_token("tok-1") == renamed
        with pytest.raises(NotFoundError):
            await repo.rename("ghost", "x", at)

    async def test_color_disable_and_scopes(self, repo: UserRepository) -> None:
        await repo.create_user(make_user(1), "tok-1")
        assert (await repo.set_color("user1", 7)).display_color == 7
        at = T0 + timedelta(minutes=5)
        assert (await repo.set_disabled("user1", at)).disabled_at == at
        assert not (await repo.user_by_id("user1")).enabled
        assert (await repo.set_disabled("user1", None)).enabled
        assert (await repo.set_scopes("user1", [MODERATOR_SCOPE])).is_moderator
        assert not (await repo.set_scopes("user1", [])).is_moderator
        with pytest.raises(NotFoundError):
            await repo.set_scopes("ghost", [])

    async def test_disabled_users_and_moderators_lists(self, repo: UserRepository) -> None:
        for n in (1, 2, 3):
            await repo.create_user(make_user(n), f"tok-{n}")
        await repo.set_disabled("user3", T0 + timedelta(minutes=1))
        await repo.set_disabled("user1", T0 + timedelta(minutes=2))
        await repo.set_scopes("user2", [MODERATOR_SCOPE])
        await repo.create_api_user(make_api_user(9))
        assert [u.id for u in await repo.disabled_users()] == ["user3", "user1"]
        assert [u.id for u in await repo.moderators()] == ["user2"]

    async def test_count_users_counts_chat_users_not_api_users(self, repo: UserRepository) -> None:
        assert await repo.count_users() == 0
        for n in (1, 2):
            await repo.create_user(make_user(n), f"tok-{n}")
        await repo.set_disabled("user2", T0)
        await repo.create_api_user(make_api_user(9))
        assert await repo.count_users() == 2

    async def test_name_reserved_only_by_authenticated_enabled_others(self, repo: UserRepository) -> None:
        await repo.create_user(make_user(1, name="Plain"), "tok-1")
        await repo.create_user(make_user(2, name="Verified", authenticated_at=T0), "tok-2")
        assert not await repo.name_reserved("Plain")
        assert await repo.name_reserved("verified")
        assert not await repo.name_reserved("Verified", except_user_id="user2")
        await repo.set_disabled("user2", T0)
        assert not await repo.name_reserved("Verified")

    async def test_api_users(self, repo: UserRepository) -> None:
        first = make_api_user(1, (ApiScope.CAN_SEND_MESSAGES, ApiScope.HAS_ADMIN_ACCESS))
        second = make_api_user(2)
        await repo.create_api_user(first)
        await repo.create_api_user(second)
        assert await repo.api_user_by_token("api-token-1") == first
        assert [u.id for u in await repo.api_users()] == ["bot1", "bot2"]
        bot = await repo.user_by_id("bot1")
        assert bot.is_bot and bot.display_name == "Bot 1"
        used = T0 + timedelta(days=1)
        await repo.touch_api_user("api-token-1", used)
        assert (await repo.api_user_by_token("api-token-1")).last_used_at == used
        await repo.delete_api_user("api-token-1")
        with pytest.raises(NotFoundError):
            await repo.api_user_by_token("api-token-1")
        with pytest.raises(NotFoundError):
            await repo.delete_api_user("api-token-1")
        with pytest.raises(NotFoundError):
            await repo.touch_api_user("nope", used)
        with pytest.raises(ValidationError):
            await repo.create_api_user(second)

    async def test_api_tokens_are_not_chat_tokens_of_others(self, repo: UserRepository) -> None:
        await repo.create_user(make_user(1), "tok-1")
        with pytest.raises(NotFoundError):
            await repo.api_user_by_token("tok-1")

    async def test_ip_bans(self, repo: UserRepository) -> None:
        await repo.ban_ip("203.0.113.7", "spam", T0)
        await repo.ban_ip("2001:db8::1", "more spam", T0 + timedelta(seconds=1))
        await repo.ban_ip("203.0.113.7", "again", T0 + timedelta(seconds=2))
        bans = await repo.ip_bans()
        assert [(b.ip_address, b.notes) for b in bans] == [
            ("203.0.113.7", "spam"),
            ("2001:db8::1", "more spam"),
        ]
        assert await repo.is_ip_banned("203.0.113.7")
        await repo.unban_ip("203.0.113.7")
        await repo.unban_ip("198.51.100.1")
        assert not await repo.is_ip_banned("203.0.113.7")
        assert [b.ip_address for b in await repo.ip_bans()] == ["2001:db8::1"]

    async def test_users_persist_across_handles(self, make_repository: UserRepositoryFactory) -> None:
        first = await make_repository()
        await first.create_user(make_user(1, name="Ada"), "tok-1")
        await first.ban_ip("203.0.113.9", "x", T0)
        second = await make_repository()
        assert (await second.user_by_token("tok-1")).display_name == "Ada"
        assert await second.is_ip_banned("203.0.113.9")
