"""Bad configuration fails at start with a ConfigurationError that names the key or file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from lfr_fcm.testing import FakeFcm, write_service_account

from lfr_framework.errors import ConfigurationError
from lfr_framework.plugins import PluginHost


def _create(host: PluginHost, **options: object) -> object:
    return host.alert_sinks.create("fcm", options, "sinks[0].options")


def test_missing_credentials_file_is_named(host: PluginHost, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ConfigurationError, match=rf"credentials_file '{missing}' does not exist"):
        _create(host, credentials_file=str(missing), tokens=["t" * 40])


def test_unreadable_credentials_file_is_named(host: PluginHost, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=rf"'{tmp_path}' cannot be read"):
        _create(host, credentials_file=str(tmp_path), tokens=["t" * 40])
    binary = tmp_path / "key.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigurationError, match=rf"'{binary}' cannot be read"):
        _create(host, credentials_file=str(binary), tokens=["t" * 40])


def test_invalid_json_is_named(host: PluginHost, tmp_path: Path) -> None:
    bad = tmp_path / "key.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=rf"'{bad}' is not valid JSON"):
        _create(host, credentials_file=str(bad), tokens=["t" * 40])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([], "is not a JSON object"),
        ({"type": "authorized_user"}, "is not a service-account key"),
        ({"type": "service_account", "client_email": "a@b"}, "lacks private_key, token_uri"),
        ({"type": "service_account", "client_email": "a@b", "token_uri": "http://x/t",
          "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
         "holds an unusable key"),
    ],
)
def test_wrong_key_files_are_refused(
    host: PluginHost, tmp_path: Path, content: object, message: str
) -> None:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message) as info:
        _create(host, credentials_file=str(path), tokens=["t" * 40])
    assert str(path) in str(info.value)


def test_a_project_is_required(
    host: PluginHost, tmp_path: Path, rsa_key: rsa.RSAPrivateKey, fake_fcm: FakeFcm
) -> None:
    path = write_service_account(tmp_path / "k.json", rsa_key, fake_fcm.token_uri,
                                 project_id=None)
    with pytest.raises(ConfigurationError, match="no project_id"):
        _create(host, credentials_file=str(path), tokens=["t" * 40], endpoint=fake_fcm.url)
    sink = _create(host, credentials_file=str(path), tokens=["t" * 40], endpoint=fake_fcm.url,
                   project_id="given-here")
    sink.close()  # type: ignore[attr-defined]


def test_no_device_without_a_directory_is_refused(host: PluginHost,
                                                  credentials_file: Path) -> None:
    with pytest.raises(ConfigurationError, match="no device to notify"):
        _create(host, credentials_file=str(credentials_file))


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"max_attempts": 0}, "sinks[0].options.max_attempts"),
        ({"initial_backoff_s": 0}, "sinks[0].options.initial_backoff_s"),
        ({"initial_backoff_s": 5, "max_backoff_s": 1}, "initial_backoff_s (5.0) exceeds"),
        ({"endpoint": "not a url"}, "sinks[0].options.endpoint"),
        ({"colour": "red"}, "sinks[0].options.colour: Extra inputs are not permitted"),
    ],
)
def test_bad_options_name_the_key(
    host: PluginHost, credentials_file: Path, options: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigurationError, match=r"invalid options for alert sink 'fcm'") as info:
        _create(host, credentials_file=str(credentials_file), tokens=["t" * 40], **options)
    assert key in str(info.value)
