"""``WebhookSender`` with httpx: one POST, bounded in time, refusing private targets
(the shared ``owncast_adapters.outbound.OutboundHttp`` does the guarding)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import httpx

from owncast_adapters.outbound import OutboundHttp, Resolver, resolve

__all__ = ["HttpxWebhookSender", "Resolver", "resolve"]


class HttpxWebhookSender:
    """Implements ``owncast_core.ports.webhooks.WebhookSender`` (see its contract).

    - The target host is resolved first; if any address is loopback, private, link-local,
      multicast or reserved the request is refused (``DeliveryRefused``) unless
      ``allow_private`` is set. Redirects are never followed.
    - The whole exchange (connect, send, response headers) is bounded by ``timeout``; the
      response body is never read.
    """

    def __init__(self, *, allow_private: bool = False, client: httpx.AsyncClient | None = None,
                 resolver: Resolver = resolve, logger: logging.Logger | None = None) -> None:
        self._http = OutboundHttp(allow_private=allow_private, client=client, resolver=resolver)
        self._log = logger or logging.getLogger("owncast.webhooks")

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> int:
        reply = await self._http.post(url, content=body, headers={**headers, "Content-Type": "application/json"},
                                      timeout=timeout)
        return reply.status

    async def aclose(self) -> None:
        await self._http.aclose()
