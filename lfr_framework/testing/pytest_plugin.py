"""The ``lfr`` pytest plugin: fixtures for plugin authors and for the framework's own tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from lfr_framework.sample_photos import fetch_photos
from lfr_framework.types import Alert, new_alert_id


@pytest.fixture(scope="session")
def real_photos() -> dict[str, Path]:
    """Paths of the hash-pinned real photos (``obama``, ``obama2``, ``obama3``, ``biden``,
    ``grace_hopper``, ``astronaut`` and the face-free ``chelsea``), fetched once and cached."""
    return fetch_photos()


@pytest.fixture
def make_alert() -> Callable[..., Alert]:
    """``make_alert(**changes)``: an alert as the pipeline raises it, with a (random) probe
    crop and a unit-length 512-d probe template; any field can be overridden."""
    seen = datetime(2024, 5, 1, 9, 30, 0, 250000, tzinfo=UTC)
    rng = np.random.default_rng(7)

    def make(**changes: object) -> Alert:
        template = rng.standard_normal(512).astype(np.float32)
        template /= np.linalg.norm(template)
        fields: dict[str, object] = {
            "alert_id": new_alert_id(),
            "deployment_id": "dep-2024-05-01",
            "camera_id": "entrance",
            "track_id": 1,
            "entry_id": "wl-0042",
            "score": 0.71234,
            "threshold": 0.6,
            "model_id": "arcface-r100",
            "raised_at": seen + timedelta(seconds=2),
            "frame_timestamp": seen + timedelta(seconds=1),
            "first_seen_at": seen,
            "probe_crop": rng.integers(0, 255, (112, 112, 3), dtype=np.uint8),
            "probe_template": template,
        }
        fields.update(changes)
        return Alert(**fields)  # type: ignore[arg-type]

    return make
