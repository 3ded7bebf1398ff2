"""Password hashing with argon2id, and the hashing of API keys and refresh tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lfr_api.settings import PasswordHashing


class Passwords:
    """argon2id hashing with the configured cost."""

    def __init__(self, cost: PasswordHashing) -> None:
        self._hasher = PasswordHasher(time_cost=cost.time_cost,
                                      memory_cost=cost.memory_cost_kib,
                                      parallelism=cost.parallelism)
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """The argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; runs the KDF even for unknown users (same timing)."""
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False


def new_secret(prefix: str) -> str:
    """A fresh high-entropy secret (256 bits), e.g. an API key or refresh token."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def secret_digest(secret: str) -> str:
    """The sha256 of a high-entropy secret, as stored at rest and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
