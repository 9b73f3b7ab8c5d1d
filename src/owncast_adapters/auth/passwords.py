"""``PasswordHasher`` with bcrypt (as Owncast v0.2 stores the admin password)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import bcrypt


class BcryptPasswordHasher:
    """bcrypt hashes; successful verifications are remembered per process.

    bcrypt is deliberately slow (tens of ms), and the admin UI sends Basic credentials with every
    request, so a verified (password, hash) pair is cached as an HMAC under a per-process random
    key; a changed password or hash misses the cache. Comparisons are constant time.
    """

    def __init__(self, *, rounds: int = 10, cache_size: int = 64) -> None:
        self._rounds = rounds
        self._key = secrets.token_bytes(32)
        self._verified: dict[bytes, None] = {}
        self._cache_size = cache_size

    def hash(self, password: str) -> str:
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(self._rounds)).decode()

    def verify(self, password: str, hashed: str) -> bool:
        tag = hmac.new(self._key, password.encode() + b"\0" + hashed.encode(), hashlib.sha256).digest()
        if tag in self._verified:
            return True
        try:
            ok = bcrypt.checkpw(password.encode(), hashed.encode())
        except ValueError:
            return False
        if ok:
            if len(self._verified) >= self._cache_size:
                self._verified.pop(next(iter(self._verified)))
            self._verified[tag] = None
        return ok
