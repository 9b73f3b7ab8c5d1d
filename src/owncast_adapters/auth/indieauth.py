"""``IndieAuthClient`` over the shared ``OutboundHttp`` (its loopback/private guard, time bound
and body limit): endpoint discovery (HTTP ``Link`` header, HTML ``<link>``, IndieAuth server
metadata) and the authorization-code redemption."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urlencode, urljoin, urlsplit

from owncast_adapters.outbound import OutboundHttp, OutboundReply
from owncast_core.domain import jsontext
from owncast_core.domain.chat_auth import IndieAuthEndpoints
from owncast_core.errors import AuthenticationError, DeliveryFailed, DeliveryRefused, NotFoundError

MAX_PAGE: Final = 512 * 1024
MAX_ANSWER: Final = 64 * 1024
MAX_REDIRECTS: Final = 5
TIMEOUT_SECONDS: Final = 10.0
AUTHORIZATION: Final = "authorization_endpoint"
TOKEN_ENDPOINT: Final = "token_endpoint"  # noqa: S105 - a link relation, not a secret
METADATA: Final = "indieauth-metadata"
_LINK_VALUE = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,<]+(?:="[^"]*"|=[^;,<]*)?)*)')
_REL = re.compile(r'(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))', re.IGNORECASE)


def link_header_rels(value: str, base: str) -> dict[str, str]:
    """``rel -> absolute URL`` from an HTTP ``Link`` header (RFC 8288); the first of each rel wins."""
    found: dict[str, str] = {}
    for match in _LINK_VALUE.finditer(value or ""):
        target, params = match.group(1).strip(), match.group(2)
        rel = _REL.search(params)
        if rel is None:
            continue
        for name in (rel.group(1) or rel.group(2) or "").lower().split():
            found.setdefault(name, urljoin(base, target))
    return found


class _LinkCollector(HTMLParser):
    """``<link rel href>`` elements of a page (rel lists split), the first of each rel kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rels: dict[str, str] = {}
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        if tag != "link" or "href" not in values:
            return
        for name in values.get("rel", "").lower().split():
            self.rels.setdefault(name, values["href"].strip())


def html_link_rels(page: str, base: str) -> dict[str, str]:
    """``rel -> absolute URL`` from the ``<link>`` elements of an HTML page."""
    collector = _LinkCollector()
    try:
        collector.feed(page)
        collector.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        pass
    root = urljoin(base, collector.base) if collector.base else base
    return {rel: urljoin(root, href) for rel, href in collector.rels.items()}


class HttpxIndieAuthClient:
    """Implements ``owncast_core.ports.chat_auth.IndieAuthClient`` (see its contract)."""

    def __init__(self, *, http: OutboundHttp, timeout: float = TIMEOUT_SECONDS) -> None:
        self._http = http
        self._timeout = timeout

    async def discover(self, profile_url: str) -> IndieAuthEndpoints:
        reply, url = await self._get(profile_url, "text/html, application/xhtml+xml;q=0.9, */*;q=0.5", MAX_PAGE)
        if not 200 <= reply.status < 300:
            raise NotFoundError(f"{url} answered HTTP {reply.status}")
        header = link_header_rels(reply.headers.get("link", ""), url)
        page = html_link_rels(reply.body.decode("utf-8", "replace"), url) if _is_html(reply) else {}
        metadata = header.get(METADATA) or page.get(METADATA)
        if metadata:
            return await self._metadata(metadata)
        endpoint = header.get(AUTHORIZATION) or page.get(AUTHORIZATION)
        if not endpoint or not _http_url(endpoint):
            raise NotFoundError(f"{url} names no IndieAuth authorization endpoint")
        token = header.get(TOKEN_ENDPOINT) or page.get(TOKEN_ENDPOINT) or ""
        return IndieAuthEndpoints(endpoint, token if _http_url(token) else "")

    async def _metadata(self, url: str) -> IndieAuthEndpoints:
        reply, final = await self._get(url, "application/json", MAX_ANSWER)
        try:
            document = jsontext.loads(reply.body) if 200 <= reply.status < 300 else None
        except (ValueError, UnicodeDecodeError):
            document = None
        endpoint = document.get(AUTHORIZATION) if isinstance(document, dict) else None
        if not isinstance(endpoint, str) or not _http_url(urljoin(final, endpoint)):
            raise NotFoundError(f"the IndieAuth metadata at {final} names no authorization endpoint")
        token = document.get(TOKEN_ENDPOINT) if isinstance(document, dict) else None
        token_url = urljoin(final, token) if isinstance(token, str) else ""
        return IndieAuthEndpoints(urljoin(final, endpoint), token_url if _http_url(token_url) else "")

    async def _get(self, url: str, accept: str, limit: int) -> tuple[OutboundReply, str]:
        """GET following up to ``MAX_REDIRECTS`` redirects (each target passes the guard again)."""
        for _ in range(MAX_REDIRECTS + 1):
            reply = await self._http.get(url, headers={"Accept": accept}, timeout=self._timeout, max_body=limit)
            location = reply.headers.get("location")
            if reply.status not in (301, 302, 303, 307, 308) or not location:
                return reply, url
            url = urljoin(url, location)
            if not _http_url(url):
                raise DeliveryRefused(f"redirected to a non-http(s) URL: {url}")
        raise DeliveryFailed(f"more than {MAX_REDIRECTS} redirects from {url}")

    async def redeem(self, endpoint: str, form: Mapping[str, str]) -> str:
        body = urlencode(dict(form)).encode()
        reply = await self._http.post(endpoint, content=body, timeout=self._timeout, max_body=MAX_ANSWER,
                                      headers={"Content-Type": "application/x-www-form-urlencoded",
                                               "Accept": "application/json"})
        try:
            answer = jsontext.loads(reply.body)
        except (ValueError, UnicodeDecodeError):
            answer = None
        if isinstance(answer, dict) and (answer.get("error") or answer.get("error_description")):
            reason = f"{answer.get('error', '')} {answer.get('error_description', '')}".strip()
            raise AuthenticationError(f"the IndieAuth server refused: {reason[:300]}")
        if not 200 <= reply.status < 300:
            raise AuthenticationError(f"the IndieAuth server answered HTTP {reply.status}")
        me = answer.get("me") if isinstance(answer, dict) else None
        if not isinstance(me, str) or not me:
            raise AuthenticationError("the IndieAuth server's answer has no me")
        return me


def _is_html(reply: OutboundReply) -> bool:
    kind = reply.headers.get("content-type", "text/html").lower()
    return "html" in kind or kind.startswith("text/")


def _http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
