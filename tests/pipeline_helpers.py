"""Test-only plugin components (a memory camera, a flaky camera, a slow detector) and a
helper that renders small scenes. These stand in for vendor plugins, not for core code."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lfr_framework import hookimpl
from lfr_framework.errors import CameraError
from lfr_framework.evaluation.scenes import Pass, SceneSpec, render_frames
from lfr_framework.interfaces import Detector
from lfr_framework.types import Detection, Frame, Image

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def scene_frames(photos: dict[str, Path], passes: Sequence[Pass], duration_s: float,
                 width: int = 960, height: int = 540, fps: float = 25.0) -> list[Image]:
    """Render a scene into memory."""
    spec = SceneSpec(duration_s=duration_s, passes=list(passes), width=width, height=height,
                     fps=fps, seed=3)
    return [image for _, image in render_frames(spec, photos)]


class MemoryCamera:
    """Plays a list of frames; optionally fails once after ``fail_after`` frames, like a
    stream that drops, and optionally never ends (``loop``)."""

    def __init__(self, camera_id: str, frames: Sequence[Image], fps: float = 25.0,
                 fail_after: int | None = None, loop: bool = False, delay_s: float = 0.0):
        self.camera_id = camera_id
        self.frames = list(frames)
        self.fps = fps
        self.fail_after = fail_after
        self.loop = loop
        self.delay_s = delay_s
        self.position = 0
        self.opens = 0
        self.is_open = False

    def open(self) -> None:
        self.opens += 1
        self.is_open = True

    def read(self) -> Frame | None:
        if not self.is_open:
            raise CameraError(f"{self.camera_id} is not open")
        if self.fail_after is not None and self.position == self.fail_after and self.opens == 1:
            self.is_open = False
            raise CameraError(f"{self.camera_id}: connection reset")
        if self.position >= len(self.frames) and not self.loop:
            return None
        if self.delay_s:
            time.sleep(self.delay_s)
        image = self.frames[self.position % len(self.frames)]
        frame = Frame(self.camera_id, self.position,
                      T0 + timedelta(seconds=self.position / self.fps), image)
        self.position += 1
        return frame

    def close(self) -> None:
        self.is_open = False


class FlakyDetector:
    """Wraps a real detector and raises on every ``every``-th call."""

    def __init__(self, inner: Detector, every: int) -> None:
        self.name = "flaky"
        self.inner = inner
        self.every = every
        self.calls = 0
        self.lock = threading.Lock()

    def detect(self, image: Image) -> list[Detection]:
        with self.lock:
            self.calls += 1
            if self.calls % self.every == 0:
                raise RuntimeError("simulated detector crash")
        return self.inner.detect(image)


class SlowDetector:
    """A detector that takes ``seconds`` per frame and finds nothing (overload tests)."""

    name = "slow"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def detect(self, image: Image) -> list[Detection]:
        time.sleep(self.seconds)
        return []


class ComponentsPlugin:
    """A plugin object registering the test components by name."""

    def __init__(self, cameras: dict[str, MemoryCamera]) -> None:
        self.cameras = cameras

    @hookimpl
    def register_camera_sources(self, register: Any) -> None:
        register("memory", lambda camera_id, uri: self.cameras[uri])


def blank_frames(n: int, size: int = 64) -> list[Image]:
    """``n`` small grey frames."""
    return [np.full((size, size, 3), 100, dtype=np.uint8) for _ in range(n)]
