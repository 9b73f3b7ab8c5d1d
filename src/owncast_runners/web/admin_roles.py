"""Which admin routes each admin role may use: the one table, default deny.

An admin route is one whose endpoint is wrapped by ``require_admin`` (``web/auth.py``). After the
credentials are checked, the ``AdminGate`` asks ``permits(role, route path)``:

- ``admin`` (the built-in ``admin`` and full accounts) may use every admin route;
- ``moderator`` may use exactly the routes whose path template (as written in their ``Route``,
  ``/admin/{path:path}`` included) is listed in ``MODERATOR_ROUTES``, every method of such a
  route; anything else answers 403 and is recorded in the audit trail.

So a new admin route is admin-only until someone adds its path here, on purpose.
``tests/integration/test_admin_roles.py`` walks every admin route of the fully assembled app and
checks a moderator against this table (a listed path that no admin route has fails it too).
"""

from __future__ import annotations

from typing import Final

from owncast_core.domain.admin_accounts import AdminRole

MODERATOR_ROUTES: Final[frozenset[str]] = frozenset({
    # the admin web app (static files; it then shows only the pages this role can use)
    "/admin/{path:path}",
    # who is signed in, with which role (the admin app picks its pages from it)
    "/api/admin/me",
    # a named account changing its own password
    "/api/admin/me/password",
    # the dashboard: live state, viewer counts, the broadcaster's stream, stream health
    "/api/admin/status",
    # chat moderation (web/moderation.py): messages and their visibility, connected users,
    # enabling/disabling users, chat moderators, IP bans
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
})
"""Path templates of the admin routes a ``moderator`` may use (every other one: admin only)."""


def permits(role: AdminRole, route_path: str | None) -> bool:
    """True when an admin of ``role`` may use the admin route declared with ``route_path``.

    ``route_path`` is ``None`` when the route is not known (an endpoint called outside the
    router): only an admin may go on. A role this table does not know may use nothing.
    """
    if role is AdminRole.ADMIN:
        return True
    if role is AdminRole.MODERATOR:
        return route_path is not None and route_path in MODERATOR_ROUTES
    return False


def refusal_message(role: AdminRole, route_path: str | None) -> str:
    """What a refused admin is told (and the audit's reason): the route and the role it needs."""
    what = route_path or "this request"
    return f"{what} requires the admin role (signed in as {role.value})"
