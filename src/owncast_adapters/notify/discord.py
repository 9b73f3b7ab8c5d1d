"""``DiscordNotifier`` with httpx: execute a Discord webhook (POST JSON), through the guarded
outbound client shared with webhooks."""

from __future__ import annotations

import json

from owncast_adapters.outbound import OutboundHttp
from owncast_core.domain import jsontext
from owncast_core.domain.notifications import DiscordMessage
from owncast_core.errors import DeliveryFailed

_ERROR_BODY_BYTES = 1024


class HttpxDiscordNotifier:
    """Implements ``owncast_core.ports.notifications.DiscordNotifier`` (see its contract).

    A non-2xx answer raises ``DeliveryFailed`` naming the status and Discord's ``message``
    (e.g. ``Discord answered HTTP 401: Invalid Webhook Token``). Loopback/private targets are
    refused unless the ``OutboundHttp`` allows them.
    """

    def __init__(self, *, http: OutboundHttp) -> None:
        self._http = http

    async def send(self, webhook_url: str, message: DiscordMessage, *, timeout: float) -> None:
        body = json.dumps(message.to_json()).encode()
        reply = await self._http.post(webhook_url, content=body, headers={"Content-Type": "application/json",
                                                                           "User-Agent": "Owncast-py"},
                                      timeout=timeout, max_body=_ERROR_BODY_BYTES)
        if not 200 <= reply.status < 300:
            raise DeliveryFailed(f"Discord answered HTTP {reply.status}{_reason(reply.body)}")


def _reason(body: bytes) -> str:
    try:
        data = jsontext.loads(body)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return f": {message}" if isinstance(message, str) and message else ""
