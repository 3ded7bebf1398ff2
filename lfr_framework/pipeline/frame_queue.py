"""A bounded per-camera frame queue that drops the oldest frame when full."""

from __future__ import annotations

import threading
from collections import deque

from lfr_framework.types import Frame


class FrameQueue:
    """Cameras never wait for recognition: ``put`` drops the oldest frame under overload.

    With ``block_when_full`` (offline files, evaluation) ``put`` waits instead, so every
    frame is processed.
    """

    def __init__(self, maxsize: int, block_when_full: bool = False) -> None:
        if maxsize < 1:
            raise ValueError("queue size must be at least 1")
        self.maxsize = maxsize
        self.block_when_full = block_when_full
        self._items: deque[Frame] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        """Add a frame; drop the oldest (and count it) if the queue is full."""
        with self._cond:
            if self.block_when_full:
                while len(self._items) >= self.maxsize and not self._closed:
                    self._cond.wait()
            elif len(self._items) >= self.maxsize:
                self._items.popleft()
                self.dropped += 1
            self._items.append(frame)
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> Frame | None:
        """The oldest frame; ``None`` once closed and drained, or on timeout."""
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout)
            if not self._items:
                return None
            frame = self._items.popleft()
            self._cond.notify_all()
            return frame

    def close(self) -> None:
        """No more frames will come; wake every waiter."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
