"""A Web Push subscriber for tests: its own P-256 key pair and auth secret, and the receiving
side of RFC 8291 (aes128gcm decryption) and RFC 8292 (VAPID verification) written here with
``cryptography`` primitives, independently of the libraries the server sends with."""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


@dataclass
class Subscriber:
    """A browser's side of one push subscription."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def public(self) -> bytes:
        return self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def subscription(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives in a browser."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(self.public), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:
        """The plaintext of an ``aes128gcm`` Web Push message (RFC 8291 + RFC 8188)."""
        salt, rs, id_len = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        sender_public = body[21:21 + id_len]
        records = body[21 + id_len:]
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_public)
        shared = self.key.exchange(ec.ECDH(), sender)
        ikm = _hkdf(self.auth, shared, b"WebPush: info\x00" + self.public + sender_public, 32)
        cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        plain = b""
        for counter, start in enumerate(range(0, len(records), rs)):
            iv = (int.from_bytes(nonce, "big") ^ counter).to_bytes(12, "big")
            record = AESGCM(cek).decrypt(iv, records[start:start + rs], None).rstrip(b"\x00")
            last = start + rs >= len(records)
            if record[-1:] != (b"\x02" if last else b"\x01"):
                raise ValueError("bad padding delimiter")
            plain += record[:-1]
        return plain


def verify_vapid(authorization: str, endpoint: str) -> tuple[str, dict[str, Any]] | None:
    """``(k, claims)`` of a ``vapid t=<jwt>,k=<key>`` header whose ES256 signature verifies with
    ``k``, whose ``aud`` is the endpoint's origin and whose ``exp`` is in the next 24 h; else ``None``."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        return None
    parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
    token, key = parts.get("t", ""), parts.get("k", "")
    try:
        head, claims_text, signature = token.split(".")
        sig = unb64url(signature)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        public.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                      f"{head}.{claims_text}".encode(), ec.ECDSA(hashes.SHA256()))
        header, claims = json.loads(unb64url(head)), json.loads(unb64url(claims_text))
    except (ValueError, InvalidSignature):
        return None
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(endpoint))
    if header.get("alg") != "ES256" or claims.get("aud") != origin:
        return None
    if not time.time() < claims.get("exp", 0) <= time.time() + 24 * 3600:
        return None
    return key, claims
