"""Fixtures: a fake FCM on loopback, a real test service account, alerts, a plugin host."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from lfr_fcm import plugin
from lfr_fcm.testing import FakeFcm, write_service_account

from lfr_framework.plugins import PluginHost
from lfr_framework.types import Alert, new_alert_id


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """A real RSA key for the test service account (the JWT assertion is really signed)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fake_fcm(rsa_key: rsa.RSAPrivateKey) -> Iterator[FakeFcm]:
    """A running fake FCM on loopback, stopped after the test."""
    fake = FakeFcm(rsa_key.public_key())
    yield fake
    fake.stop()


@pytest.fixture
def credentials_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey, fake_fcm: FakeFcm) -> Path:
    """A service-account key file whose token endpoint is the fake's."""
    return write_service_account(tmp_path / "service-account.json", rsa_key, fake_fcm.token_uri)


@pytest.fixture
def host() -> PluginHost:
    """A plugin host with only this plugin registered."""
    host = PluginHost(load_entry_points=False)
    host.register_plugin(plugin, name="fcm")
    return host


@pytest.fixture
def make_alert() -> Callable[..., Alert]:
    """``make_alert(**changes)``: an alert carrying a probe crop and template, as raised."""
    seen = datetime(2024, 5, 1, 9, 30, 0, 250000, tzinfo=UTC)
    rng = np.random.default_rng(7)

    def make(**changes: object) -> Alert:
        template = rng.standard_normal((1, 512)).astype(np.float32)
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
