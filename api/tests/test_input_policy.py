"""The app's one input policy: body size, JSON depth, numbers and NUL bytes are refused
with a clear 400/413 problem (on SQLite and PostgreSQL), and nothing is changed or lost."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from lfr_api.inputs import policy
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api
from litestar.exceptions import WebSocketDisconnect

PROBLEM = "application/problem+json"


def _problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def _draft(api: Api) -> str:
    r = api.client.post("/deployments", json={"name": "Inputs", "location": "High St",
                                              "purpose": "Find wanted people"},
                        headers=api.headers[Role.admin])
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _raw(api: Api, method: str, url: str, body: bytes | str,
         role: Role | None = Role.admin) -> Any:
    headers = {"content-type": "application/json", **(api.headers[role] if role else {})}
    return api.client.request(method, url, content=body, headers=headers)


def test_patch_null_for_a_required_field_is_a_400_and_changes_nothing(api: Api) -> None:
    dep = _draft(api)
    for name in ("purpose", "name", "location", "publish_prediction", "target_fpir"):
        r = api.client.patch(f"/deployments/{dep}", json={name: None},
                             headers=api.headers[Role.admin])
        _problem(r, 400, name)
    got = api.client.get(f"/deployments/{dep}", headers=api.headers[Role.admin]).json()
    assert got["purpose"] == "Find wanted people" and got["name"] == "Inputs"
    # null where the field may be empty is still fine
    r = api.client.patch(f"/deployments/{dep}", json={"planned_start": None},
                         headers=api.headers[Role.admin])
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("days", [1e20, 1e12, 10**18, 50000])
def test_huge_retention_periods_are_refused(api: Api, days: float) -> None:
    dep = _draft(api)
    r = api.client.patch(f"/deployments/{dep}",
                         json={"retention_periods": {"alert_biometrics_days": days}},
                         headers=api.headers[Role.admin])
    _problem(r, 400)
    got = api.client.get(f"/deployments/{dep}", headers=api.headers[Role.admin]).json()
    assert got["retention_periods"] == {"alert_biometrics_days": None,
                                        "watchlist_hours_after_end": None}


def test_json_nested_100000_deep_is_refused_quickly(api: Api) -> None:
    started = time.monotonic()
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        _problem(_raw(api, "POST", "/deployments", body), 400, "body")
    assert time.monotonic() - started < 20  # bound on the test, not a speed claim
    # brackets inside strings do not count; the limit itself is accepted
    assert policy.json_depth(b'{"a": "[[[[[[[[[[[{{{{"}') == 1
    nested: Any = "x"
    for _ in range(policy.MAX_DEPTH - 1):
        nested = {"k": nested}
    r = api.client.post("/deployments", json={"name": "n", "detector_options": nested},
                        headers=api.headers[Role.admin])
    assert r.status_code != 500 and "nests" not in r.text
    _problem(_raw(api, "POST", "/deployments", json.dumps(
        {"name": "n", "detector_options": {"k": nested}})), 400, "body")


@pytest.mark.parametrize("body", ['{"name": "n", "expected_faces": NaN}',
                                  '{"name": "n", "expected_faces": Infinity}',
                                  '{"name": "n", "threshold": 1e400}',
                                  '{"name": "n", "expected_faces": 1e300}',
                                  '{"name": "n", "expected_faces": 123456789012345678901}'])
def test_numbers_must_be_finite_and_bounded(api: Api, body: str) -> None:
    _problem(_raw(api, "POST", "/deployments", body), 400)


def test_a_json_body_over_the_limit_is_413(api: Api) -> None:
    body = json.dumps({"name": "x" * (policy.MAX_JSON_BYTES + 10)})
    _problem(_raw(api, "POST", "/deployments", body), 413)


def test_nul_bytes_are_refused_anywhere(api: Api) -> None:
    c = api.client
    _problem(c.get("/public/deployments/%00/summary"), 400, "path")
    _problem(c.get("/deployments/a%00b", headers=api.headers[Role.admin]), 400, "path")
    _problem(c.post("/auth/login", json={"username": "ad\x00min", "password": "x" * 12}),
             400, "username")
    _problem(c.post("/auth/login", content='{"username": "a\\u0000", "password": "p"}',
                    headers={"content-type": "application/json"}), 400, "username")
    dep = _draft(api)
    _problem(c.patch(f"/deployments/{dep}", json={"purpose": "a\x00b"},
                     headers=api.headers[Role.admin]), 400, "purpose")
    _problem(c.post("/deployments", json={"name": "n", "detector_options": {"k\x00": 1}},
                    headers=api.headers[Role.admin]), 400)
    _problem(c.get(f"/deployments/{dep}/alerts?state=pen%00ding",
                   headers=api.headers[Role.admin]), 400, "query.state")
    got = c.get(f"/deployments/{dep}", headers=api.headers[Role.admin]).json()
    assert got["purpose"] == "Find wanted people"
    # the service still answers normally afterwards (no poisoned transaction)
    assert c.get("/public/deployments").status_code == 200


def test_nul_in_a_watchlist_form_field_is_refused(api: Api, photo_bytes: dict[str, bytes]
                                                  ) -> None:
    dep = _draft(api)
    name, content = next(iter(photo_bytes.items()))
    r = api.client.post(f"/deployments/{dep}/watchlist",
                        data={"reference": "WR\x00-1", "category": "wanted_serious_offence",
                              "reason": "r", "image_source": "s", "lawfully_held": "true"},
                        files=[("images", (name, content, "image/jpeg"))],
                        headers=api.headers[Role.admin])
    _problem(r, 400, "reference")
    assert api.client.get(f"/deployments/{dep}/watchlist",
                          headers=api.headers[Role.admin]).json() == []


@pytest.mark.parametrize("after", ["abc", "-5", "1.5", "1e3", "%00"])
def test_feed_cursor_that_is_not_a_whole_number_is_a_400(api: Api, after: str) -> None:
    dep = api.deployment(live=True)
    with pytest.raises(WebSocketDisconnect) as caught, api.client.websocket_connect(
            f"/deployments/{dep}/feed?after={after}", headers=api.headers[Role.admin]) as ws:
        ws.receive_json(timeout=5)
    assert caught.value.code == 4400
    with api.client.websocket_connect(f"/deployments/{dep}/feed?after=0",
                                      headers=api.headers[Role.admin]):
        pass
