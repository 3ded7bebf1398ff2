"""Fixtures: a fake FCM on loopback, a real test service account, alerts, a plugin host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from lfr_fcm import plugin
from lfr_fcm.testing import FakeFcm, write_service_account

from lfr_framework.plugins import PluginHost


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
