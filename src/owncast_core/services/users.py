"""UserService: chat registration, token checks, IP bans, moderators and API (integration) users."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from owncast_core.domain.chat import (
    MAX_USER_COLOR,
    MODERATOR_SCOPE,
    ApiScope,
    ApiUser,
    ChatUser,
    IPBan,
)
from owncast_core.domain.config import Keys
from owncast_core.errors import AuthenticationError, NotFoundError, PermissionDenied, ValidationError
from owncast_core.ports.chat import UserRepository
from owncast_core.ports.clock import Clock, IdGenerator, SecretGenerator
from owncast_core.services.chat_rules import Pick, random_display_name, safe_display_name
from owncast_core.services.config import ConfigService

ACCESS_TOKEN_BYTES = 32
T = TypeVar("T")


class UserService:
    """Rules about who may chat and as whom.

    - ``register`` creates an anonymous user: the ``X-Forwarded-User`` name wins over the
      requested one, which wins over a random one; names are made safe and cut to 30 characters,
      and a name reserved by an authenticated user is replaced by a random one.
    - ``authenticate(token, ip)`` raises ``AuthenticationError`` for a missing or unknown token, a
      disabled user or a banned address (Owncast answers all of them with 401 ``unauthorized``);
      ``authenticate_moderator`` raises ``PermissionDenied`` for a user without ``MODERATOR``.
    - API users: ``create_api_user`` validates the name and scopes (``ValidationError``),
      ``authenticate_api(token, scope)`` checks the token has the scope and records its use.
    """

    def __init__(
        self,
        *,
        repository: UserRepository,
        config: ConfigService,
        clock: Clock,
        ids: IdGenerator,
        secrets_source: SecretGenerator,
        pick: Pick | None = None,
    ) -> None:
        self._repo = repository
        self._config = config
        self._clock = clock
        self._ids = ids
        self._secrets = secrets_source
        self._pick: Pick = pick or secrets.randbelow

    @property
    def repository(self) -> UserRepository:
        return self._repo

    # registration and tokens ----------------------------------------------------------------
    def random_name(self) -> str:
        return random_display_name(list(self._config.get(Keys.SUGGESTED_USERNAMES) or []), self._pick)

    async def register(
        self, display_name: str | None = None, forwarded_user: str | None = None
    ) -> tuple[ChatUser, str]:
        """Create an anonymous chat user; returns it and its new access token."""
        name = safe_display_name(forwarded_user) or safe_display_name(display_name)
        if not name or await self._repo.name_reserved(name):
            name = self.random_name()
        now = self._clock.now()
        user = ChatUser(
            id=self._ids.new_id(),
            display_name=name,
            display_color=self._pick(MAX_USER_COLOR + 1),
            created_at=now,
            previous_names=(name,),
        )
        token = self._secrets.token(ACCESS_TOKEN_BYTES)
        await self._repo.create_user(user, token)
        return user, token

    async def authenticate(self, token: str | None, ip_address: str) -> ChatUser:
        """The enabled user owning ``token``, when ``ip_address`` is not banned."""
        user = await _by_token(self._repo.user_by_token, token)
        if not user.enabled:
            raise AuthenticationError("user is disabled")
        if ip_address and await self._repo.is_ip_banned(ip_address):
            raise AuthenticationError("address is banned")
        return user

    async def authenticate_moderator(self, token: str | None, ip_address: str) -> ChatUser:
        user = await self.authenticate(token, ip_address)
        if not user.is_moderator:
            raise PermissionDenied("moderator access required")
        return user

    async def user(self, user_id: str) -> ChatUser:
        return await self._repo.user_by_id(user_id)

    # moderation ------------------------------------------------------------------------------
    async def set_moderator(self, user_id: str, moderator: bool) -> ChatUser:
        user = await self._repo.user_by_id(user_id)
        scopes = [s for s in user.scopes if s != MODERATOR_SCOPE]
        if moderator:
            scopes.append(MODERATOR_SCOPE)
        return await self._repo.set_scopes(user_id, scopes)

    async def moderators(self) -> list[ChatUser]:
        return await self._repo.moderators()

    async def disabled_users(self) -> list[ChatUser]:
        return await self._repo.disabled_users()

    async def is_ip_banned(self, ip_address: str) -> bool:
        return bool(ip_address) and await self._repo.is_ip_banned(ip_address)

    async def ban_ip(self, ip_address: str, notes: str = "manually added") -> None:
        address = _address(ip_address)
        await self._repo.ban_ip(address, notes, self._clock.now())

    async def unban_ip(self, ip_address: str) -> None:
        await self._repo.unban_ip(_address(ip_address))

    async def ip_bans(self) -> list[IPBan]:
        return await self._repo.ip_bans()

    # API users (third-party access tokens) -----------------------------------------------------
    async def create_api_user(self, name: str, scopes: Iterable[str], *, color: int | None = None) -> ApiUser:
        """A new access token posting as ``name``; scopes must be known (``ApiScope.ALL``)."""
        display = safe_display_name(name)
        wanted = tuple(dict.fromkeys(str(s) for s in scopes))
        if not display:
            raise ValidationError("a name is required")
        if not wanted:
            raise ValidationError("at least one scope is required")
        unknown = [s for s in wanted if s not in ApiScope.ALL]
        if unknown:
            raise ValidationError(f"unknown scope(s): {', '.join(unknown)}")
        if color is None:
            color = self._pick(MAX_USER_COLOR + 1)
        if not 0 <= color <= MAX_USER_COLOR:
            raise ValidationError(f"display color must be 0..{MAX_USER_COLOR}")
        api_user = ApiUser(
            id=self._ids.new_id(),
            access_token=self._secrets.token(ACCESS_TOKEN_BYTES),
            display_name=display,
            display_color=color,
            scopes=wanted,
            created_at=self._clock.now(),
        )
        await self._repo.create_api_user(api_user)
        return api_user

    async def api_user_by_token(self, token: str) -> ApiUser:
        return await self._repo.api_user_by_token(token)

    async def api_users(self) -> list[ApiUser]:
        return await self._repo.api_users()

    async def delete_api_user(self, token: str) -> None:
        await self._repo.delete_api_user(token)

    async def touch_api_user(self, token: str) -> None:
        await self._repo.touch_api_user(token, self._clock.now())

    async def authenticate_api(self, token: str | None, scope: str) -> ApiUser:
        """The API user owning ``token`` if it carries ``scope`` (its use is recorded)."""
        api_user = await _by_token(self._repo.api_user_by_token, token)
        if not api_user.has_scope(scope):
            raise AuthenticationError(f"the token lacks scope {scope}")
        await self.touch_api_user(api_user.access_token)
        return api_user


async def _by_token(lookup: Callable[[str], Awaitable[T]], token: str | None) -> T:
    """``lookup(token)``, with a missing or unknown token raised as ``AuthenticationError``."""
    if not token:
        raise AuthenticationError("an access token is required")
    try:
        return await lookup(token)
    except NotFoundError:
        raise AuthenticationError("unknown access token") from None


def _address(value: str) -> str:
    address = str(value or "").strip()
    if not address:
        raise ValidationError("an IP address is required")
    return address
