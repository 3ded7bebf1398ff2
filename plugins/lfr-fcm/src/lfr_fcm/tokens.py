"""Where the sink finds the phones to notify: the ``TokenDirectory`` protocol."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class DeviceToken:
    """One FCM registration token of an officer's phone."""

    token: str
    officer_id: str | None = None

    def __repr__(self) -> str:
        return f"DeviceToken(token={redact(self.token)!r}, officer_id={self.officer_id!r})"


@runtime_checkable
class TokenDirectory(Protocol):
    """The service's store of registered devices (the API implements it over its database)."""

    def tokens_for(self, deployment_id: str) -> list[DeviceToken]:
        """The devices of the officers subscribed to ``deployment_id``."""

    def remove(self, token: str) -> None:
        """Forget ``token``: FCM said the app was uninstalled or the token expired."""


class StaticTokenDirectory:
    """A fixed list of tokens for every deployment (standalone use, from the sink options)."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self._lock = threading.Lock()
        self._tokens = list(dict.fromkeys(tokens))

    def tokens_for(self, deployment_id: str) -> list[DeviceToken]:
        """Every token still held, whatever the deployment."""
        with self._lock:
            return [DeviceToken(t) for t in self._tokens]

    def remove(self, token: str) -> None:
        """Drop ``token`` for the rest of this process."""
        with self._lock:
            if token in self._tokens:
                self._tokens.remove(token)


def redact(token: str) -> str:
    """A token shortened for logs and messages: enough to tell devices apart, no more."""
    return f"…{token[-6:]}" if len(token) > 6 else "…"
