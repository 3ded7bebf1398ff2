"""The mobile contract: schemas are valid, every example validates, the live feed's real
messages validate, and the version is the same everywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import lfr_fcm
import pytest
from jsonschema import Draft202012Validator
from lfr_api.contract.schemas import contract_dir, schema_files, validator
from lfr_api.contract.version import CONTRACT_VERSION
from lfr_api.feed.push import fcm_payload
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, enrol, now

CONTRACT = contract_dir()
#: Schemas that only hold shared definitions (no message of their own).
DEFINITIONS_ONLY = {"feed_common"}


def _examples() -> list[tuple[str, Path]]:
    return [(folder.name, path) for folder in sorted((CONTRACT / "examples").iterdir())
            for path in sorted(folder.glob("*.json"))]


def test_every_schema_is_valid_and_has_examples() -> None:
    schemas = schema_files()
    assert {"alert", "alert.raised", "alert.pending", "alert.updated", "feed_message",
            "fcm_payload", "problem"} <= set(schemas)
    with_examples = {name for name, _ in _examples()}
    for name, path in schemas.items():
        Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))
        if name not in DEFINITIONS_ONLY:
            assert name in with_examples, f"schema {name} has no example in examples/{name}/"
    assert with_examples <= set(schemas), "an examples folder names no schema"


@pytest.mark.parametrize(("schema", "example"), _examples(),
                         ids=[f"{s}/{p.name}" for s, p in _examples()])
def test_example_validates(schema: str, example: Path) -> None:
    message = json.loads(example.read_text(encoding="utf-8"))
    validator(schema).validate(message)
    if "contract_version" in message:
        assert message["contract_version"] == CONTRACT_VERSION


def test_schemas_refuse_what_they_should() -> None:
    raised = json.loads((CONTRACT / "examples/alert.raised/new-alert.json").read_text())
    bad = {**raised, "alert": {**raised["alert"], "probe_crop_jpeg_base64": "/9j/4AAQ"}}
    assert not validator("feed_message").is_valid(bad)  # no biometrics in a message
    decided = {**raised, "alert": {**raised["alert"], "state": "decided"}}
    assert not validator("alert.raised").is_valid(decided)
    assert not validator("feed_message").is_valid({**raised, "contract_version": "3.0"})


def test_the_version_is_one_everywhere() -> None:
    assert lfr_fcm.CONTRACT_VERSION == CONTRACT_VERSION
    changelog = (CONTRACT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## (\d+\.\d+)\b", changelog, flags=re.MULTILINE)
    assert versions and versions[0] == CONTRACT_VERSION, "CHANGELOG.md must start with it"
    copied = json.loads(schema_files()["fcm_payload"].read_text(encoding="utf-8"))
    assert copied == lfr_fcm.payload_schema(), "schemas/fcm_payload.schema.json is stale"
    major = CONTRACT_VERSION.split(".")[0]
    common = json.loads(schema_files()["feed_common"].read_text(encoding="utf-8"))
    assert common["$defs"]["contract_version"]["pattern"] == rf"^{major}\.[0-9]+$"


def _receive(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = ws.receive_json(timeout=5)
        validator("feed_message").validate(message)
        validator(message["type"]).validate(message)
        if message["type"] == kind:
            return message


def test_messages_the_live_feed_sends_validate(api: Api, photo_bytes: dict[str, bytes]) -> None:
    c, h = api.client, api.headers
    dep = api.deployment(live=True)
    entry = enrol(api, dep, [("obama.jpg", photo_bytes["obama"])]).json()
    api.assign(dep)
    key = api.service_key(dep)

    def raise_alert(name: str) -> dict[str, Any]:
        t = now().isoformat()
        r = c.post("/ingest/alerts", headers={**key, "Idempotency-Key": name}, json={
            "camera_id": "cam-1", "entry_id": entry["id"], "score": 0.66,
            **api.operating(dep), "raised_at": t, "frame_timestamp": t})
        assert r.status_code == 201, r.text
        return dict(r.json())

    seen: list[dict[str, Any]] = []
    with c.websocket_connect(f"/deployments/{dep}/feed", headers=h[Role.officer]) as ws:
        first = raise_alert("contract-1")
        seen.append(_receive(ws, "alert.raised"))
        assert seen[-1]["alert"]["id"] == first["id"]
        d = c.post(f"/alerts/{first['id']}/decision", headers=h[Role.officer],
                   json={"decision": "engage", "outcome": "arrested", "note": "at the gate"})
        assert d.status_code == 200
        seen.append(_receive(ws, "alert.updated"))
        a = c.post(f"/alerts/{first['id']}/amendments", headers=h[Role.supervisor],
                   json={"decision": "no_engage", "outcome": "false_alert_not_the_person",
                         "reason": "not the person"})
        assert a.status_code == 200
        seen.append(_receive(ws, "alert.updated"))
        assert seen[-1]["alert"]["decision"]["amended"] is True
    second = raise_alert("contract-2")
    with c.websocket_connect(f"/deployments/{dep}/feed", headers=h[Role.officer]) as ws:
        pending = _receive(ws, "alert.pending")
        assert pending["alert"]["id"] == second["id"]
    with c.websocket_connect(f"/deployments/{dep}/feed?after={seen[0]['cursor']}",
                             headers=h[Role.supervisor]) as ws:
        replayed = _receive(ws, "alert.updated")
        assert replayed["cursor"] == seen[1]["cursor"]
    assert {m["contract_version"] for m in seen} == {CONTRACT_VERSION}
    # The FCM payload of a real feed message fits its schema too.
    validator("fcm_payload").validate(fcm_payload(seen[0]["alert"]))
    health = c.get("/health").json()
    assert health["contract_version"] == CONTRACT_VERSION


def test_refusals_have_the_problem_shape(api: Api) -> None:
    r = api.client.post("/alerts/nope/decision", headers=api.headers[Role.officer],
                        json={"decision": "engage", "outcome": "arrested"})
    assert r.status_code == 404
    validator("problem").validate(r.json())
    r = api.client.post("/devices", headers=api.headers[Role.officer], json={"token": "x"})
    assert r.status_code == 400
    validator("problem").validate(r.json())
