"""``WebhookSender`` with httpx: one POST, bounded in time and size, refusing private targets."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlsplit

import httpx

from owncast_core.domain.geo import is_local_address
from owncast_core.errors import DeliveryFailed, DeliveryRefused

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (asynchronously, via the event loop's resolver)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _forbidden(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    return is_local_address(str(ip)) or ip.is_multicast or ip.is_reserved


class HttpxWebhookSender:
    """Implements ``owncast_core.ports.webhooks.WebhookSender`` (see its contract).

    - The target host is resolved first; if any address is loopback, private, link-local,
      multicast or reserved the request is refused (``DeliveryRefused``) unless
      ``allow_private`` is set. (A host that re-resolves differently between this check and
      the connection could still slip through; redirects are never followed, so a public
      receiver cannot bounce the request inward.)
    - The whole exchange (connect, send, response headers) is bounded by ``timeout``; the
      response body is never read.
    """

    def __init__(self, *, allow_private: bool = False, client: httpx.AsyncClient | None = None,
                 resolver: Resolver = resolve, logger: logging.Logger | None = None) -> None:
        self._allow_private = allow_private
        self._client = client or httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                                   limits=httpx.Limits(max_connections=20))
        self._resolve = resolver
        self._log = logger or logging.getLogger("owncast.webhooks")

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> int:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryRefused(f"not an http(s) URL: {url}")
        if not self._allow_private:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            await self._check_target(parts.hostname, port, timeout)
        request = self._client.build_request(
            "POST", url, content=body, headers={**headers, "Content-Type": "application/json"},
            timeout=httpx.Timeout(timeout),
        )
        try:
            async with asyncio.timeout(timeout):
                response = await self._client.send(request, stream=True)
                await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise DeliveryFailed(f"no answer within {timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        except OSError as exc:
            raise DeliveryFailed(str(exc)) from exc
        return response.status_code

    async def _check_target(self, host: str, port: int, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolve(host, port)
        except (TimeoutError, OSError) as exc:
            raise DeliveryFailed(f"cannot resolve {host}: {exc}") from exc
        if not addresses or any(_forbidden(a) for a in addresses):
            raise DeliveryRefused(f"{host} resolves to a loopback or private address")

    async def aclose(self) -> None:
        await self._client.aclose()
