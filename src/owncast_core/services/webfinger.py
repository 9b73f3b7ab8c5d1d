"""WebFinger (RFC 7033) lookups of Fediverse accounts, through the outbound HTTP port.

Used by the chat's Fediverse sign-in (find the account's actor) and by remote follow (find the
account's server's "follow this" page).
"""

from __future__ import annotations

from typing import Any, Final

from owncast_core.domain import jsontext
from owncast_core.domain.chat_auth import fediverse_account, webfinger_url
from owncast_core.errors import DeliveryFailed, DeliveryRefused, ValidationError
from owncast_core.ports.activitypub import FederationHttp

MAX_WEBFINGER_DOCUMENT: Final = 64 * 1024
TIMEOUT_SECONDS: Final = 10.0


class WebFingerLookup:
    """Fetches the WebFinger document of ``@user@host`` from ``<scheme>://host``.

    ``scheme`` is ``https`` in production (``http`` only where private targets are allowed,
    tests); the ``http`` port refuses loopback and private addresses. Every failure is a
    ``ValidationError`` whose message can be shown to the person who typed the account.
    """

    def __init__(self, *, http: FederationHttp, scheme: str = "https", timeout: float = TIMEOUT_SECONDS) -> None:
        self._http = http
        self._scheme = scheme
        self._timeout = timeout

    async def document(self, account: object) -> tuple[str, str, dict[str, Any]]:
        """``(user, host, document)`` for ``account`` (``@user@host`` or ``user@host``)."""
        name, host = fediverse_account(account)
        url = webfinger_url(name, host, self._scheme)
        try:
            reply = await self._http.get(url, headers={"Accept": "application/jrd+json, application/json"},
                                         timeout=self._timeout, max_body=MAX_WEBFINGER_DOCUMENT)
        except DeliveryRefused as exc:
            raise ValidationError(f"unable to use {host}: {exc}") from exc
        except DeliveryFailed as exc:
            raise ValidationError(f"unable to reach {host}: {exc}") from exc
        if reply.status != 200:
            raise ValidationError(f"{name}@{host} was not found (WebFinger answered HTTP {reply.status})")
        try:
            document = jsontext.loads(reply.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationError(f"{host} sent an unreadable WebFinger document") from exc
        if not isinstance(document, dict):
            raise ValidationError(f"{host} sent an unreadable WebFinger document")
        return name, host, document
