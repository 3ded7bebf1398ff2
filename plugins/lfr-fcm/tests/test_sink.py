"""The ``fcm`` sink built by the core from options, delivering alerts to the fake FCM."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from lfr_fcm.payload import EntryFacts, payload_schema
from lfr_fcm.report import FcmDeliveryError, Outcome
from lfr_fcm.sink import FcmAlertSink
from lfr_fcm.testing import FakeFcm, unavailable, unregistered
from lfr_fcm.tokens import DeviceToken, TokenDirectory

from lfr_framework.interfaces import AlertSink
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Alert

PHONE_A = "phone-a-" + "a" * 140
PHONE_B = "phone-b-" + "b" * 140
PHONE_C = "phone-c-" + "c" * 140


class DeploymentDevices:
    """The service's side of ``TokenDirectory``, as the API keeps it: devices per deployment."""

    def __init__(self, devices: dict[str, list[DeviceToken]]) -> None:
        self.devices = devices
        self.removed: list[str] = []

    def tokens_for(self, deployment_id: str) -> list[DeviceToken]:
        return list(self.devices.get(deployment_id, []))

    def remove(self, token: str) -> None:
        self.removed.append(token)
        for tokens in self.devices.values():
            tokens[:] = [t for t in tokens if t.token != token]


def _sink(host: PluginHost, credentials_file: Path, fake: FakeFcm, **fixed: object
          ) -> FcmAlertSink:
    options: dict[str, object] = {
        "credentials_file": str(credentials_file), "endpoint": fake.url, "max_attempts": 2,
        "initial_backoff_s": 0.02, "max_backoff_s": 0.1}
    if "directory" not in fixed:
        options["tokens"] = [PHONE_A, PHONE_B]
    sink = host.alert_sinks.create("fcm", options, "sinks[0].options", **fixed)
    assert isinstance(sink, FcmAlertSink)
    return sink


def test_entry_point_names_the_plugin_module() -> None:
    [ep] = [ep for ep in importlib.metadata.entry_points(group="lfr") if ep.name == "fcm"]
    assert ep.value == "lfr_fcm.plugin"


def test_emit_pushes_a_schema_valid_payload_to_static_tokens(
    host: PluginHost, credentials_file: Path, fake_fcm: FakeFcm, make_alert: Callable[..., Alert]
) -> None:
    sink = _sink(host, credentials_file, fake_fcm)
    assert isinstance(sink, AlertSink)
    alert = make_alert()
    sink.emit(alert)
    sink.close()
    assert sorted(s.token for s in fake_fcm.sends) == [PHONE_A, PHONE_B]
    for sent in fake_fcm.sends:
        data = sent.body["message"]["data"]
        jsonschema.validate(data, payload_schema())
        assert data["alert_id"] == alert.alert_id
        assert sent.body["message"]["android"]["priority"] == "high"
    assert sink.last_report is not None and len(sink.last_report.delivered) == 2


def test_emit_uses_the_service_directory_and_entry_facts(
    host: PluginHost, credentials_file: Path, fake_fcm: FakeFcm, make_alert: Callable[..., Alert]
) -> None:
    devices = DeploymentDevices({"dep-2024-05-01": [DeviceToken(PHONE_C, "officer-3")],
                                 "other": [DeviceToken(PHONE_A, "officer-1")]})
    assert isinstance(devices, TokenDirectory)
    facts = {"wl-0042": EntryFacts("CASE-77", "missing and vulnerable")}
    sink = _sink(host, credentials_file, fake_fcm, directory=devices, entries=facts.get)
    sink.emit(make_alert())
    sink.close()
    [sent] = fake_fcm.sends
    assert sent.token == PHONE_C
    data = sent.body["message"]["data"]
    assert (data["entry_reference"], data["entry_category"]) == ("CASE-77",
                                                                "missing and vulnerable")


def test_unregistered_tokens_are_removed_and_emit_fails_when_nobody_is_left(
    host: PluginHost, credentials_file: Path, fake_fcm: FakeFcm, make_alert: Callable[..., Alert]
) -> None:
    devices = DeploymentDevices({"dep-2024-05-01": [DeviceToken(PHONE_A, "o1"),
                                                    DeviceToken(PHONE_B, "o2")]})
    sink = _sink(host, credentials_file, fake_fcm, directory=devices)
    fake_fcm.script[PHONE_B] = [unregistered()]
    sink.emit(make_alert())  # one phone got it: an unregistered token alone is no failure
    assert devices.removed == [PHONE_B]
    assert sink.last_report is not None
    assert [r.outcome for r in sink.last_report.results] == [Outcome.DELIVERED,
                                                             Outcome.UNREGISTERED]
    fake_fcm.script[PHONE_A] = [unregistered()]
    with pytest.raises(FcmDeliveryError, match="delivered to 0 of 1 device"):
        sink.emit(make_alert())
    with pytest.raises(FcmDeliveryError, match="no device registered for deployment"):
        sink.emit(make_alert())
    sink.close()


def test_emit_raises_when_a_device_stays_undelivered(
    host: PluginHost, credentials_file: Path, fake_fcm: FakeFcm, make_alert: Callable[..., Alert]
) -> None:
    sink = _sink(host, credentials_file, fake_fcm)
    fake_fcm.script[PHONE_B] = [unavailable(503)] * 2
    with pytest.raises(FcmDeliveryError, match="delivered to 1 of 2 device") as info:
        sink.emit(make_alert())
    assert info.value.report is not None
    assert info.value.report.failed[0].attempts == 2
    assert PHONE_B not in str(info.value)
    sink.close()


def test_emit_with_fcm_unreachable_raises_only_a_delivery_error(
    host: PluginHost, credentials_file: Path, fake_fcm: FakeFcm, make_alert: Callable[..., Alert]
) -> None:
    sink = _sink(host, credentials_file, fake_fcm)
    fake_fcm.stop()
    with pytest.raises(FcmDeliveryError, match="delivered to 0 of 2 device"):
        sink.emit(make_alert())
    sink.close()
    sink.close()
    with pytest.raises(FcmDeliveryError, match="closed"):
        sink.emit(make_alert())
