"""Fixtures for the alert sink tests: a plugin host with only this plugin, and alerts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from lfr_sinks import plugin

from lfr_framework.plugins import PluginHost
from lfr_framework.types import Alert, new_alert_id


@pytest.fixture
def host() -> PluginHost:
    """A plugin host with only this plugin registered."""
    host = PluginHost(load_entry_points=False)
    host.register_plugin(plugin, name="sinks")
    return host


@pytest.fixture
def make_alert() -> Callable[..., Alert]:
    """``make_alert(track_id=…)``: an alert carrying a probe crop and template, as raised."""
    seen = datetime(2024, 5, 1, 9, 30, 0, 250000, tzinfo=UTC)
    rng = np.random.default_rng(7)

    def make(track_id: int = 1, **changes: object) -> Alert:
        template = rng.standard_normal((1, 512)).astype(np.float32)
        template /= np.linalg.norm(template)
        fields: dict[str, object] = {
            "alert_id": new_alert_id(),
            "deployment_id": "dep-2024-05-01",
            "camera_id": "entrance",
            "track_id": track_id,
            "entry_id": "wl-0042",
            "score": 0.71,
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
