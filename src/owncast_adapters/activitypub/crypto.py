"""``FederationCrypto`` with ``cryptography``: RSA-2048 keys as Owncast stores them (PKCS#1
private, SubjectPublicKeyInfo public, PEM), and RSASSA-PKCS1-v1_5/SHA-256 (HTTP Signatures'
``rsa-sha256``). Parsed keys are cached: a PEM is parsed once, not per request."""

from __future__ import annotations

import asyncio

from owncast_core.domain.activitypub import RSA_KEY_BITS
from owncast_core.ports.activitypub import KeyPair


class RsaFederationCrypto:
    """Implements ``owncast_core.ports.activitypub.FederationCrypto`` (see its contract)."""

    def __init__(self, *, key_bits: int = RSA_KEY_BITS) -> None:
        self._bits = key_bits

    async def generate_keys(self) -> KeyPair:
        from owncast_adapters.activitypub import _rsa

        return await asyncio.to_thread(_rsa.generate, self._bits)

    def sign(self, private_pem: str, data: bytes) -> bytes:
        from owncast_adapters.activitypub import _rsa

        return _rsa.sign(private_pem, data)

    def verify(self, public_pem: str, data: bytes, signature: bytes) -> bool:
        from owncast_adapters.activitypub import _rsa

        return _rsa.verify(public_pem, data, signature)
