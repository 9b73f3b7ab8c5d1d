"""Admin webhook routes: ``/api/admin/webhooks`` (list), ``/create``, ``/delete`` (reference §1.5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from owncast_core.errors import ValidationError
from owncast_core.services.config import ConfigService
from owncast_core.services.webhooks import WebhookService, webhook_json
from owncast_runners.web.auth import require_admin
from owncast_runners.web.bodies import posted_object
from owncast_runners.web.responses import bad_request, json_response, simple


def routes(*, webhooks: WebhookService, config: ConfigService) -> list[BaseRoute]:
    guard = require_admin(config)

    @guard
    async def listing(request: Request) -> Response:
        return json_response([webhook_json(hook) for hook in await webhooks.list()])

    @guard
    async def create(request: Request) -> Response:
        body = await posted_object(request, "url and events")
        if isinstance(body, Response):
            return body
        try:
            hook = await webhooks.create(body.get("url"), body.get("events"))
        except ValidationError as exc:
            return bad_request(str(exc))
        return json_response(webhook_json(hook))

    @guard
    async def delete(request: Request) -> Response:
        body = await posted_object(request, "id")
        if isinstance(body, Response):
            return body
        hook_id = body.get("id")
        if isinstance(hook_id, bool) or not isinstance(hook_id, (int, float)) or int(hook_id) != hook_id:
            return bad_request("id field is required and must be a number")
        await webhooks.delete(int(hook_id))
        return simple(True, "deleted webhook")

    return [
        Route("/api/admin/webhooks", listing, methods=["GET"]),
        Route("/api/admin/webhooks/create", create, methods=["GET", "POST"]),
        Route("/api/admin/webhooks/delete", delete, methods=["GET", "POST"]),
    ]
