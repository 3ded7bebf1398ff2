"""The FCM data payload: flat strings, valid against the shipped schema, no biometrics."""

from __future__ import annotations

from collections.abc import Callable

import jsonschema
import pytest
from lfr_fcm.payload import CONTRACT_VERSION, EntryFacts, build_payload, payload_schema

from lfr_framework.types import Alert


def test_payload_is_flat_strings_and_matches_the_schema(make_alert: Callable[..., Alert]) -> None:
    alert = make_alert()
    payload = build_payload(alert, EntryFacts("WARRANT-123/24", "outstanding warrant"))
    jsonschema.Draft202012Validator.check_schema(payload_schema())
    jsonschema.validate(payload, payload_schema())
    assert all(isinstance(v, str) for v in payload.values())
    assert payload == {
        "type": "alert",
        "contract_version": CONTRACT_VERSION,
        "alert_id": alert.alert_id,
        "deployment_id": "dep-2024-05-01",
        "camera_id": "entrance",
        "score": "0.7123",
        "raised_at": "2024-05-01T09:30:02.250000+00:00",
        "entry_reference": "WARRANT-123/24",
        "entry_category": "outstanding warrant",
    }


def test_payload_carries_no_biometric_data(make_alert: Callable[..., Alert]) -> None:
    alert = make_alert()
    payload = build_payload(alert)
    assert alert.probe_crop is not None and alert.probe_template is not None
    assert not {"probe_crop", "probe_template", "image", "crop"} & set(payload)
    assert max(len(v) for v in payload.values()) < 100  # no encoded image or template
    assert payload["entry_reference"] == "" and payload["entry_category"] == ""
    jsonschema.validate(payload, payload_schema())


def test_long_entry_facts_are_cut_to_the_schema_limit(make_alert: Callable[..., Alert]) -> None:
    payload = build_payload(make_alert(), EntryFacts("R" * 500, "C" * 500))
    jsonschema.validate(payload, payload_schema())
    assert len(payload["entry_reference"]) == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"probe_crop": "aGVsbG8="}, "Additional properties"),
        ({"score": 0.71}, "is not of type 'string'"),
        ({"type": "decision"}, "'alert' was expected"),
        ({"raised_at": "yesterday"}, "does not match"),
    ],
)
def test_schema_rejects_bad_payloads(
    make_alert: Callable[..., Alert], change: dict[str, object], message: str
) -> None:
    payload: dict[str, object] = {**build_payload(make_alert()), **change}
    with pytest.raises(jsonschema.ValidationError, match=message):
        jsonschema.validate(payload, payload_schema())


def test_schema_requires_every_field(make_alert: Callable[..., Alert]) -> None:
    payload = build_payload(make_alert())
    del payload["alert_id"]
    with pytest.raises(jsonschema.ValidationError, match="'alert_id' is a required property"):
        jsonschema.validate(payload, payload_schema())
