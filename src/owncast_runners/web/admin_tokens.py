"""Admin access-token routes: ``/api/admin/accesstokens`` (list), ``/create``, ``/delete``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.domain.chat import ApiScope
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.services.config import ConfigService
from owncast_core.services.users import UserService
from owncast_runners.web.auth import require_admin
from owncast_runners.web.bodies import posted_object
from owncast_runners.web.responses import bad_request, json_response, simple


def routes(*, users: UserService, config: ConfigService) -> list[BaseRoute]:
    guard = require_admin(config)

    @guard
    async def listing(request: Request) -> Response:
        return json_response([token.to_json() for token in await users.api_users()])

    @guard
    async def create(request: Request) -> Response:
        body = await posted_object(request, "name and scopes")
        if isinstance(body, Response):
            return body
        scopes, name = body.get("scopes"), body.get("name")
        if scopes is None:
            return bad_request("scopes field is required")
        if name is None:
            return bad_request("name field is required")
        if not isinstance(scopes, list) or not scopes or any(s not in ApiScope.ALL for s in scopes):
            return bad_request("one or more invalid scopes provided")
        if not isinstance(name, str):
            return bad_request("name must be a string")
        try:
            token = await users.create_api_user(name, scopes)
        except ValidationError as exc:
            return bad_request(str(exc))
        return json_response(token.to_json())

    @guard
    async def delete(request: Request) -> Response:
        body = await posted_object(request, "token")
        if isinstance(body, Response):
            return body
        token = body.get("token")
        if token is None:
            return bad_request("token field is required")
        if not isinstance(token, str) or not token:
            return bad_request("must provide a token")
        try:
            await users.delete_api_user(token)
        except NotFoundError:
            return bad_request("unknown token")
        return simple(True, "deleted token")

    return [
        Route("/api/admin/accesstokens", listing, methods=["GET"]),
        Route("/api/admin/accesstokens/create", create, methods=["GET", "POST"]),
        Route("/api/admin/accesstokens/delete", delete, methods=["GET", "POST"]),
    ]
