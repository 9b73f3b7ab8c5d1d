"""Credential ports."""

from __future__ import annotations

from typing import Protocol


class PasswordHasher(Protocol):
    """One-way password hashing.

    ``hash`` returns a string that ``verify`` accepts for the same password and for no other;
    ``verify`` takes time independent of where a wrong password differs and returns ``False``
    (never raises) for a malformed hash.
    """

    def hash(self, password: str) -> str: ...

    def verify(self, password: str, hashed: str) -> bool: ...
