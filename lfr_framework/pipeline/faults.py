"""Plugin failures inside the pipeline: skipped, counted, and logged once per kind."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

log = logging.getLogger("lfr_framework.pipeline")


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """Which component (and which plugin provides it) a call went to, for messages."""

    role: str
    name: str
    plugin: str

    def describe(self) -> str:
        """``detector 'mediapipe' (plugin 'mediapipe')``."""
        return f"{self.role} {self.name!r} (plugin {self.plugin!r})"


class FaultLog:
    """Logs each kind of plugin failure once, and counts every occurrence."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[tuple[str, str], int] = {}

    def record(self, component: ComponentRef, exc: BaseException, consequence: str) -> None:
        """Count a failure; log it the first time this component fails this way.

        Only the exception's type and message are logged: a plugin must never put
        biometric data in an exception message.
        """
        key = (component.describe(), type(exc).__name__)
        with self._lock:
            first = key not in self.counts
            self.counts[key] = self.counts.get(key, 0) + 1
        if first:
            log.error(
                "%s raised %s: %s; %s (logged once per kind, counted every time)",
                component.describe(), type(exc).__name__, exc, consequence,
            )
