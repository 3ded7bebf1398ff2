"""The bounded per-camera queue: drop oldest under overload, or block for offline files."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import numpy as np
import pytest

from lfr_framework.pipeline.frame_queue import FrameQueue
from lfr_framework.types import Frame


def frame(i: int) -> Frame:
    return Frame("cam", i, datetime.now(UTC), np.zeros((2, 2, 3), dtype=np.uint8))


def test_overload_drops_the_oldest_and_counts() -> None:
    queue = FrameQueue(3)
    for i in range(10):
        queue.put(frame(i))
    assert queue.dropped == 7
    got = [queue.get(0).index for _ in range(3)]  # type: ignore[union-attr]
    assert got == [7, 8, 9]


def test_blocking_mode_loses_nothing() -> None:
    queue = FrameQueue(2, block_when_full=True)
    received: list[int] = []

    def consume() -> None:
        while (item := queue.get(1.0)) is not None:
            received.append(item.index)

    consumer = threading.Thread(target=consume)
    consumer.start()
    for i in range(50):
        queue.put(frame(i))
    queue.close()
    consumer.join(5)
    assert received == list(range(50))
    assert queue.dropped == 0


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FrameQueue(0)
