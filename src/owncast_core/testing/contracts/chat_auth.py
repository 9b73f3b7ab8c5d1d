"""Contract suites for ``IdentityLinkRepository`` and ``IndieAuthClient``
(``owncast_core.ports.chat_auth``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

import pytest

from owncast_core.domain.chat_auth import FEDIVERSE, INDIEAUTH, pkce_challenge
from owncast_core.errors import AuthenticationError, DeliveryFailed, DeliveryRefused, NotFoundError, ValidationError
from owncast_core.ports.chat import UserRepository
from owncast_core.ports.chat_auth import IdentityLinkRepository, IndieAuthClient
from owncast_core.testing.contracts.users import T0, make_api_user, make_user

LinkStores = tuple[IdentityLinkRepository, UserRepository]
LinkStoresFactory = Callable[[], Awaitable[LinkStores]]
ALICE = "https://alice.example/"


class IdentityLinkRepositoryContract:
    """Provide ``make_stores``: an async factory of ``(links, users)`` sharing one store; a
    second call returns handles on the same store (reopened, for persistent adapters)."""

    @pytest.fixture
    async def make_stores(self) -> LinkStoresFactory:  # pragma: no cover - bindings override
        raise NotImplementedError

    @pytest.fixture
    async def stores(self, make_stores: LinkStoresFactory) -> LinkStores:
        links, users = await make_stores()
        for n in (1, 2):
            await users.create_user(make_user(n), f"tok-{n}")
        return links, users

    async def test_link_marks_the_user_authenticated(self, stores: LinkStores) -> None:
        links, users = stores
        at = T0 + timedelta(hours=1)
        user = await links.link("user1", INDIEAUTH, ALICE, at)
        assert user.authenticated_at == at and user.id == "user1"
        assert (await users.user_by_id("user1")).authenticated
        assert not (await users.user_by_id("user2")).authenticated
        assert await links.linked_user_id(INDIEAUTH, ALICE) == "user1"
        [link] = await links.links("user1")
        assert (link.user_id, link.kind, link.identity, link.created_at) == ("user1", INDIEAUTH, ALICE, at)

    async def test_an_identity_belongs_to_one_user(self, stores: LinkStores) -> None:
        links, users = stores
        await links.link("user1", FEDIVERSE, "alice@social.example", T0)
        with pytest.raises(ValidationError):
            await links.link("user2", FEDIVERSE, "alice@social.example", T0)
        assert not (await users.user_by_id("user2")).authenticated
        assert await links.linked_user_id(FEDIVERSE, "alice@social.example") == "user1"
        # the same string of the other kind is another identity
        await links.link("user2", INDIEAUTH, "alice@social.example", T0)
        assert await links.linked_user_id(INDIEAUTH, "alice@social.example") == "user2"

    async def test_a_user_may_hold_several_identities_oldest_first(self, stores: LinkStores) -> None:
        links, _ = stores
        await links.link("user1", FEDIVERSE, "alice@social.example", T0 + timedelta(minutes=5))
        await links.link("user1", INDIEAUTH, ALICE, T0 + timedelta(minutes=9))
        assert [(x.kind, x.identity) for x in await links.links("user1")] == [
            (FEDIVERSE, "alice@social.example"), (INDIEAUTH, ALICE)]
        assert await links.links("user2") == []
        assert await links.links("nobody") == []

    async def test_unknown_users_and_identities(self, stores: LinkStores) -> None:
        links, _ = stores
        with pytest.raises(NotFoundError):
            await links.link("ghost", INDIEAUTH, ALICE, T0)
        with pytest.raises(NotFoundError):
            await links.linked_user_id(INDIEAUTH, ALICE)  # the failed link stored nothing
        with pytest.raises(NotFoundError):
            await links.linked_user_id(INDIEAUTH, ALICE.upper())

    async def test_move_token(self, stores: LinkStores) -> None:
        links, users = stores
        await links.move_token("tok-1", "user2")
        assert (await users.user_by_token("tok-1")).id == "user2"
        assert (await users.user_by_token("tok-2")).id == "user2"
        with pytest.raises(NotFoundError):
            await links.move_token("no-such-token", "user2")
        with pytest.raises(NotFoundError):
            await links.move_token("tok-2", "ghost")
        assert (await users.user_by_token("tok-2")).id == "user2"

    async def test_api_tokens_are_never_moved(self, stores: LinkStores) -> None:
        links, users = stores
        bot = make_api_user(1)
        await users.create_api_user(bot)
        with pytest.raises(NotFoundError):
            await links.move_token(bot.access_token, "user1")
        assert (await users.api_user_by_token(bot.access_token)).id == bot.id

    async def test_survives_reopening(self, make_stores: LinkStoresFactory) -> None:
        links, users = await make_stores()
        await users.create_user(make_user(1), "tok-1")
        await users.create_user(make_user(2), "tok-2")
        await links.link("user1", INDIEAUTH, ALICE, T0)
        await links.move_token("tok-2", "user1")
        links, users = await make_stores()
        assert await links.linked_user_id(INDIEAUTH, ALICE) == "user1"
        assert (await users.user_by_token("tok-2")).authenticated_at == T0


@dataclass
class IndieAuthEnv:
    """What a binding provides: the client under test and a website it can sign in with.

    ``profile_url`` advertises ``endpoint`` as its authorization endpoint; ``no_endpoint_url``
    answers a page naming none; ``dead_url`` never answers. ``authorize(query)`` plays the user
    approving the sign-in at the endpoint (``query`` as the redirect URL carries it) and returns
    the code the website issued for it."""

    client: IndieAuthClient
    profile_url: str
    endpoint: str
    no_endpoint_url: str
    dead_url: str
    authorize: Callable[[Mapping[str, str]], Awaitable[str]]


class IndieAuthClientContract:
    """Provide ``indieauth_env`` returning an ``IndieAuthEnv``."""

    @pytest.fixture
    async def indieauth_env(self) -> IndieAuthEnv:  # pragma: no cover - bindings override
        raise NotImplementedError

    @staticmethod
    async def _code(env: IndieAuthEnv, verifier: str) -> tuple[str, dict[str, str]]:
        query = {"response_type": "code", "client_id": "https://tv.example",
                 "redirect_uri": "https://tv.example/api/auth/indieauth/callback", "state": "s1",
                 "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256", "me": env.profile_url}
        code = await env.authorize(query)
        form = {"grant_type": "authorization_code", "code": code, "client_id": query["client_id"],
                "redirect_uri": query["redirect_uri"], "code_verifier": verifier}
        return code, form

    async def test_discovers_the_authorization_endpoint(self, indieauth_env: IndieAuthEnv) -> None:
        found = await indieauth_env.client.discover(indieauth_env.profile_url)
        assert found.authorization_endpoint == indieauth_env.endpoint

    async def test_a_page_without_endpoint_is_not_found(self, indieauth_env: IndieAuthEnv) -> None:
        with pytest.raises(NotFoundError):
            await indieauth_env.client.discover(indieauth_env.no_endpoint_url)

    async def test_redeem_with_the_right_verifier_gives_me(self, indieauth_env: IndieAuthEnv) -> None:
        verifier = "v" * 43 + "right"
        _, form = await self._code(indieauth_env, verifier)
        me = await indieauth_env.client.redeem(indieauth_env.endpoint, form)
        assert me.rstrip("/") == indieauth_env.profile_url.rstrip("/")

    async def test_a_wrong_verifier_or_a_reused_code_is_refused(self, indieauth_env: IndieAuthEnv) -> None:
        _, form = await self._code(indieauth_env, "w" * 50)
        with pytest.raises(AuthenticationError):
            await indieauth_env.client.redeem(indieauth_env.endpoint, {**form, "code_verifier": "x" * 50})
        _, form = await self._code(indieauth_env, "y" * 50)
        await indieauth_env.client.redeem(indieauth_env.endpoint, form)
        with pytest.raises(AuthenticationError):
            await indieauth_env.client.redeem(indieauth_env.endpoint, form)

    async def test_not_http_is_refused(self, indieauth_env: IndieAuthEnv) -> None:
        for url in ("ftp://alice.example/", "file:///etc/passwd", "javascript:alert(1)"):
            with pytest.raises(DeliveryRefused):
                await indieauth_env.client.discover(url)
        with pytest.raises(DeliveryRefused):
            await indieauth_env.client.redeem("gopher://alice.example/auth", {"code": "x"})

    async def test_no_answer_is_delivery_failed(self, indieauth_env: IndieAuthEnv) -> None:
        with pytest.raises(DeliveryFailed):
            await indieauth_env.client.discover(indieauth_env.dead_url)
