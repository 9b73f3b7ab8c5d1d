"""``FederationHttp`` over the shared ``OutboundHttp`` (its loopback/private guard, time bound
and body limit)."""

from __future__ import annotations

from collections.abc import Mapping

from owncast_adapters.outbound import OutboundHttp
from owncast_core.ports.activitypub import HttpReply


class HttpxFederationHttp:
    """Implements ``owncast_core.ports.activitypub.FederationHttp`` (see its contract)."""

    def __init__(self, *, http: OutboundHttp) -> None:
        self._http = http

    async def get(self, url: str, *, headers: Mapping[str, str], timeout: float, max_body: int) -> HttpReply:
        reply = await self._http.get(url, headers=headers, timeout=timeout, max_body=max_body)
        return HttpReply(reply.status, reply.body, reply.headers)

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float,
                   max_body: int = 0) -> HttpReply:
        reply = await self._http.post(url, content=body, headers=headers, timeout=timeout, max_body=max_body)
        return HttpReply(reply.status, reply.body, reply.headers)
