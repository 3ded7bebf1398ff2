"""Shared fixtures: a plugin host with only this plugin, and a store holding its models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from lfr_mediapipe import plugin
from lfr_mediapipe.detector import MediaPipeFaceDetector
from lfr_mediapipe.models import MODEL_SPECS

from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Image


def make_host() -> PluginHost:
    """A host that knows this plugin and nothing else that happens to be installed."""
    host = PluginHost(load_entry_points=False)
    host.register_plugin(plugin, name="mediapipe")
    return host


@pytest.fixture(scope="session")
def host() -> PluginHost:
    return make_host()


@pytest.fixture(scope="session")
def store(host: PluginHost) -> ModelStore:
    """The default store ($LFR_HOME or ~/.cache/lfr) with every BlazeFace model fetched."""
    models = host.model_store()
    for spec in MODEL_SPECS:
        models.fetch(spec.model_id)
    return models


@pytest.fixture(scope="session")
def make_detector(
    host: PluginHost, store: ModelStore
) -> Iterator[object]:
    """``make_detector(**options)``: a detector built through the registry, closed at the end."""
    made: list[MediaPipeFaceDetector] = []

    def build(**options: object) -> MediaPipeFaceDetector:
        detector = host.detectors.create("mediapipe", options, "test", models=store)
        assert isinstance(detector, MediaPipeFaceDetector)
        made.append(detector)
        return detector

    yield build
    for detector in made:
        detector.close()


def _read(path: Path) -> Image:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return np.asarray(image, dtype=np.uint8)


def _paste_face(
    face: Image, size: int, frame_size: tuple[int, int], at: tuple[float, float]
) -> tuple[Image, tuple[int, int]]:
    """A grey frame with ``face`` resized to ``size`` px at fraction ``at``, and its corner."""
    width, height = frame_size
    frame = np.full((height, width, 3), 90, np.uint8)
    x, y = int(at[0] * (width - size)), int(at[1] * (height - size))
    frame[y : y + size, x : x + size] = cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA)
    return frame, (x, y)


@pytest.fixture(scope="session")
def read() -> Callable[[Path], Image]:
    """``read(path)``: a BGR image from a file."""
    return _read


@pytest.fixture(scope="session")
def paste_face() -> Callable[..., tuple[Image, tuple[int, int]]]:
    """``paste_face(face, size, (width, height), (fx, fy))``: see :func:`_paste_face`."""
    return _paste_face
