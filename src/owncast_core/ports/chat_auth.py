"""Chat-user authentication ports (reference §6.3): where linked identities are kept, and the
IndieAuth client that talks to a user's own website."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from owncast_core.domain.chat import ChatUser
from owncast_core.domain.chat_auth import IdentityLink, IndieAuthEndpoints


class IdentityLinkRepository(Protocol):
    """External identities (IndieAuth profile URLs, Fediverse accounts) linked to chat users,
    and the two user changes a sign-in makes. It shares its store with the ``UserRepository``.

    Contract (``owncast_core.testing.contracts.chat_auth.IdentityLinkRepositoryContract``):
    - ``link(user_id, kind, identity, at)`` stores the link and marks the user authenticated
      (``authenticated_at = at``) in one step, returning the updated user. An identity of a kind
      is linked to at most one user: linking it again raises ``ValidationError`` (and changes
      nothing); an unknown user raises ``NotFoundError``. A user may have several identities.
    - ``linked_user_id(kind, identity)`` is the id of the user holding that identity (exact,
      case-sensitive match); ``NotFoundError`` when none does.
    - ``links(user_id)`` lists the user's identities, oldest first (empty for unknown users).
    - ``move_token(access_token, user_id)`` makes the token belong to ``user_id`` from now on
      (``UserRepository.user_by_token`` returns that user); ``NotFoundError`` for an unknown
      token or user. API users' tokens are never moved (``NotFoundError``).
    - Everything survives reopening the store (persistent adapters).
    """

    async def link(self, user_id: str, kind: str, identity: str, at: datetime) -> ChatUser: ...

    async def linked_user_id(self, kind: str, identity: str) -> str: ...

    async def links(self, user_id: str) -> list[IdentityLink]: ...

    async def move_token(self, access_token: str, user_id: str) -> None: ...


class IndieAuthClient(Protocol):
    """The client half of IndieAuth: find a website's authorization endpoint, redeem a code.

    Contract (``owncast_core.testing.contracts.chat_auth.IndieAuthClientContract``):
    - ``discover(profile_url)`` reads the page (following a few redirects, each target checked
      again) and returns its endpoints: an ``indieauth-metadata`` document if the page links
      one, else ``rel="authorization_endpoint"`` from the HTTP ``Link`` header, else from an
      HTML ``<link>``; relative URLs are resolved against the page. ``NotFoundError`` when the
      page names no endpoint (or is not a successful answer).
    - ``redeem(endpoint, form)`` POSTs ``form`` (``application/x-www-form-urlencoded``,
      ``Accept: application/json``) and returns the ``me`` of the JSON answer.
      ``AuthenticationError`` when the server refuses (an ``error`` member, a non-2xx status,
      or no ``me``), with the server's reason in the message.
    - Both raise ``DeliveryRefused`` for a target that is not http(s) or (unless allowed) is a
      loopback/private address, ``DeliveryFailed`` when no answer comes in time. Nothing else.
    """

    async def discover(self, profile_url: str) -> IndieAuthEndpoints: ...

    async def redeem(self, endpoint: str, form: Mapping[str, str]) -> str: ...
