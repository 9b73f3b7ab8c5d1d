"""Outbound HTTP for side effects (webhooks, Discord, browser push, the directory): one httpx
client that refuses loopback/private targets unless allowed, bounds every exchange in time and
reads at most a small answer body."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
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


def forbidden_address(address: str) -> bool:
    """True for loopback, private, link-local, multicast, reserved (and unparsable) addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    return is_local_address(str(ip)) or ip.is_multicast or ip.is_reserved


@dataclass(frozen=True, slots=True)
class OutboundReply:
    """An answer: its status, up to ``max_body`` bytes of its body (empty when not read) and its
    headers (lower-case names; repeated headers joined with ``, ``)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class OutboundHttp:
    """POSTs (and ActivityPub's GETs) for the side-effect senders.

    - The target host is resolved first; if any address is loopback, private, link-local,
      multicast or reserved the request is refused (``DeliveryRefused``) unless
      ``allow_private`` is set. (A host that re-resolves differently between this check and
      the connection could still slip through; redirects are never followed, so a public
      receiver cannot bounce the request inward.)
    - The whole exchange (connect, send, response headers, the body read) is bounded by
      ``timeout``; at most ``max_body`` bytes of the body are read (none by default).
    - No answer raises ``DeliveryFailed``; any answer, whatever its status, is returned.
    """

    def __init__(self, *, allow_private: bool = False, client: httpx.AsyncClient | None = None,
                 resolver: Resolver = resolve) -> None:
        self.allow_private = allow_private
        self._client = client or httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                                   limits=httpx.Limits(max_connections=20))
        self._resolve = resolver

    async def post(self, url: str, *, content: bytes, headers: Mapping[str, str], timeout: float,
                   max_body: int = 0) -> OutboundReply:
        return await self._send("POST", url, content=content, headers=headers, timeout=timeout, max_body=max_body)

    async def get(self, url: str, *, headers: Mapping[str, str], timeout: float, max_body: int) -> OutboundReply:
        """A GET under the same guard (ActivityPub fetches a remote actor's document)."""
        return await self._send("GET", url, content=None, headers=headers, timeout=timeout, max_body=max_body)

    async def _send(self, method: str, url: str, *, content: bytes | None, headers: Mapping[str, str],
                    timeout: float, max_body: int) -> OutboundReply:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryRefused(f"not an http(s) URL: {url}")
        if not self.allow_private:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            await self._check_target(parts.hostname, port, timeout)
        request = self._client.build_request(method, url, content=content, headers=dict(headers),
                                             timeout=httpx.Timeout(timeout))
        try:
            async with asyncio.timeout(timeout):
                response = await self._client.send(request, stream=True)
                try:
                    body = await _read_some(response, max_body) if max_body > 0 else b""
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise DeliveryFailed(f"no answer within {timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        except OSError as exc:
            raise DeliveryFailed(str(exc)) from exc
        return OutboundReply(response.status_code, body, {k.lower(): v for k, v in response.headers.items()})

    async def _check_target(self, host: str, port: int, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolve(host, port)
        except (TimeoutError, OSError) as exc:
            raise DeliveryFailed(f"cannot resolve {host}: {exc}") from exc
        if not addresses or any(forbidden_address(a) for a in addresses):
            raise DeliveryRefused(f"{host} resolves to a loopback or private address")

    async def aclose(self) -> None:
        await self._client.aclose()


async def _read_some(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]
