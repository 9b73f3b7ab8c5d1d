"""``DirectoryClient`` with httpx: POST ``{"key", "url"}`` to ``<directory>/api/ping`` (Owncast
``yp/yp.go``) through the guarded outbound client shared with webhooks."""

from __future__ import annotations

import json

from owncast_adapters.outbound import OutboundHttp
from owncast_core.domain import jsontext
from owncast_core.domain.notifications import DirectoryPing, DirectoryReply
from owncast_core.errors import DeliveryFailed, ValidationError

MAX_REPLY_BYTES = 16 * 1024


class HttpxDirectoryClient:
    """Implements ``owncast_core.ports.notifications.DirectoryClient`` (see its contract).

    Any answer whose body is a JSON object is a reply (Owncast reads the body whatever the
    status); anything else raises ``DeliveryFailed`` naming the HTTP status.
    """

    def __init__(self, *, http: OutboundHttp) -> None:
        self._http = http

    async def ping(self, directory_url: str, ping: DirectoryPing, *, timeout: float) -> DirectoryReply:
        url = directory_url.rstrip("/") + "/api/ping"
        reply = await self._http.post(url, content=json.dumps(ping.to_json()).encode(),
                                      headers={"Content-Type": "application/json", "User-Agent": "Owncast-py"},
                                      timeout=timeout, max_body=MAX_REPLY_BYTES)
        try:
            return DirectoryReply.from_json(jsontext.loads(reply.body))
        except (ValueError, ValidationError):
            raise DeliveryFailed(f"the directory answered HTTP {reply.status} without a JSON reply") from None
