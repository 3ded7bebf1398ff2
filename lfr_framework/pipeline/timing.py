"""Cumulative wall time per pipeline stage, for the benchmarks and ``lfr run --stats``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

STAGES = ("decode", "detect", "quality_track", "align", "embed", "match", "alert")


class StageTimer:
    """Adds up seconds and calls per stage; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.calls: dict[str, int] = dict.fromkeys(STAGES, 0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the body as stage ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to stage ``name``."""
        with self._lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            self.calls[name] = self.calls.get(name, 0) + 1

    def as_dict(self) -> dict[str, dict[str, float]]:
        """``{stage: {"seconds": s, "calls": n}}``."""
        with self._lock:
            return {k: {"seconds": self.seconds[k], "calls": self.calls[k]} for k in self.seconds}
