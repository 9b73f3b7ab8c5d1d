"""Contract suite for ``PasswordHasher``. Bind it with a ``hasher`` fixture."""

from __future__ import annotations

import pytest

from owncast_core.ports.auth import PasswordHasher


class PasswordHasherContract:
    """Behaviour every ``PasswordHasher`` must have."""

    @pytest.fixture
    def hasher(self) -> PasswordHasher:  # pragma: no cover - bindings override
        raise NotImplementedError

    def test_the_same_password_verifies(self, hasher: PasswordHasher) -> None:
        hashed = hasher.hash("correct horse")
        assert hasher.verify("correct horse", hashed)
        assert hasher.verify("correct horse", hashed)  # repeatable (e.g. through a cache)

    @pytest.mark.parametrize("wrong", ["correct hors", "correct horse ", "CORRECT HORSE", ""])
    def test_other_passwords_do_not(self, hasher: PasswordHasher, wrong: str) -> None:
        assert not hasher.verify(wrong, hasher.hash("correct horse"))

    def test_the_hash_does_not_contain_the_password(self, hasher: PasswordHasher) -> None:
        assert "correct horse" not in hasher.hash("correct horse")

    @pytest.mark.parametrize("malformed", ["", "not a hash", "$2b$10$short", "sha256$"])
    def test_a_malformed_hash_is_false_not_an_error(self, hasher: PasswordHasher, malformed: str) -> None:
        assert hasher.verify("anything", malformed) is False

    def test_unicode_passwords(self, hasher: PasswordHasher) -> None:
        hashed = hasher.hash("pässwörd ✓")
        assert hasher.verify("pässwörd ✓", hashed) and not hasher.verify("passwort", hashed)
