"""The ``cryptography`` half of ``RsaFederationCrypto``, imported on first use (an idle server
that never signs or verifies does not load OpenSSL's bindings)."""

from __future__ import annotations

import functools

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from owncast_core.errors import ValidationError
from owncast_core.ports.activitypub import KeyPair


def generate(bits: int) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair(private_pem=private.decode(), public_pem=public.decode())


def sign(private_pem: str, data: bytes) -> bytes:
    return _private_key(private_pem).sign(data, padding.PKCS1v15(), hashes.SHA256())


def verify(public_pem: str, data: bytes, signature: bytes) -> bool:
    try:
        key = _public_key(public_pem)
    except ValidationError:
        return False
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@functools.lru_cache(maxsize=4)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidationError(f"unreadable private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValidationError("the private key is not an RSA key")
    return key


@functools.lru_cache(maxsize=256)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidationError(f"unreadable public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValidationError("the public key is not an RSA key")
    return key
