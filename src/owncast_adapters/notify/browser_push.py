"""``BrowserPushNotifier``: Web Push with message encryption by ``http_ece`` (RFC 8291,
``aes128gcm``), VAPID signatures by ``py_vapid`` (RFC 8292) and keys by ``cryptography``; the
request goes out through the guarded async ``OutboundHttp`` (httpx), not ``requests``.

The three libraries are imported on first use (key generation, the first send): they weigh
about 10 MB, which an idle server whose keys already exist does not need."""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from owncast_adapters.outbound import OutboundHttp
from owncast_core.domain.notifications import PushMessage, PushSubscription, VapidKeys, b64url_decode, b64url_encode
from owncast_core.errors import DeliveryFailed, DeliveryRefused, SubscriptionGone

if TYPE_CHECKING:
    from py_vapid import Vapid02

VAPID_LIFETIME_SECONDS = 12 * 3600
"""``exp`` of the VAPID JWT (push services refuse more than 24 h)."""
_GONE = (404, 410)


class WebPushBrowserNotifier:
    """Implements ``owncast_core.ports.notifications.BrowserPushNotifier`` (see its contract).

    Each message gets a fresh ephemeral ECDH key and salt; the body is one ``aes128gcm`` record
    (4096-byte record size). Loopback/private endpoints are refused unless the ``OutboundHttp``
    allows them.
    """

    def __init__(self, *, http: OutboundHttp) -> None:
        self._http = http
        self._signer: tuple[str, Vapid02] | None = None

    def generate_keys(self) -> VapidKeys:
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        key = ec.generate_private_key(ec.SECP256R1())
        private = key.private_numbers().private_value.to_bytes(32, "big")
        public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return VapidKeys(public_key=b64url_encode(public), private_key=b64url_encode(private))

    async def send(self, subscription: PushSubscription, message: PushMessage, *, keys: VapidKeys,
                   timeout: float) -> None:
        import http_ece
        from py_vapid import VapidException

        parts = urlsplit(subscription.endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryRefused(f"not an http(s) push endpoint: {subscription.endpoint}")
        try:
            body = await asyncio.to_thread(_encrypt, message.payload, subscription)
            authorization = self._sign(keys, f"{parts.scheme}://{parts.netloc}", message.contact)
        except (ValueError, TypeError, VapidException, http_ece.ECEException) as exc:
            raise DeliveryFailed(f"cannot prepare the push message: {exc}") from exc
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Encoding": "aes128gcm",
            "TTL": str(message.ttl),
            "Topic": message.topic,
            "Urgency": "normal",
            "Authorization": authorization,
        }
        reply = await self._http.post(subscription.endpoint, content=body, headers=headers, timeout=timeout)
        if reply.status in _GONE:
            raise SubscriptionGone(f"the push service answered HTTP {reply.status}: subscription gone")
        if not 200 <= reply.status < 300:
            raise DeliveryFailed(f"the push service answered HTTP {reply.status}")

    def _sign(self, keys: VapidKeys, audience: str, contact: str) -> str:
        from py_vapid import Vapid02

        if self._signer is None or self._signer[0] != keys.private_key:
            self._signer = (keys.private_key, Vapid02.from_raw(keys.private_key.encode()))
        claims = {"aud": audience, "sub": contact, "exp": int(time.time()) + VAPID_LIFETIME_SECONDS}
        return str(self._signer[1].sign(claims)["Authorization"])


def _encrypt(payload: bytes, subscription: PushSubscription) -> bytes:
    import http_ece
    from cryptography.hazmat.primitives.asymmetric import ec

    return bytes(http_ece.encrypt(
        payload,
        salt=os.urandom(16),
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=b64url_decode(subscription.p256dh),
        auth_secret=b64url_decode(subscription.auth),
        version="aes128gcm",
    ))
