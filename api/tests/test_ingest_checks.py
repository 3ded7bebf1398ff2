"""Ingest is checked against the deployment: model, threshold in force at ``raised_at``,
score, the live window and clock skew, frame time, camera and crop. Each refusal is a 422
naming the field, audited without biometric data, and nothing is stored or delivered."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from lfr_api.alerts.ingest_checks import CLOCK_SKEW, MAX_FRAME_AGE
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, build_api, enrol, now
from lfr_api.testing.data import LiveDeployment, live_deployment
from PIL import Image

from lfr_framework.audit.sql import audit_tables
from lfr_framework.plugins import PluginHost

#: A short clock skew, so that a change of threshold can be left behind within the test.
SKEW = timedelta(seconds=2)


@pytest.fixture(scope="module")
def api(plugin_host: PluginHost, database_url: str) -> Iterator[Api]:
    """The app with a 2 s ingest clock skew (the default is 60 s)."""
    yield from build_api(plugin_host, database_url,
                         ingest_clock_skew_seconds=SKEW.total_seconds())


@pytest.fixture(scope="module")
def live(api: Api, photo_bytes: dict[str, bytes]) -> LiveDeployment:
    return live_deployment(api, photo_bytes["obama"])


def _body(api: Api, live: LiveDeployment, **over: Any) -> dict[str, Any]:
    t = now()
    body: dict[str, Any] = {"camera_id": "cam-1", "entry_id": live.entry["id"], "score": 0.9,
                            **api.operating(live.id), "raised_at": t.isoformat(),
                            "frame_timestamp": (t - timedelta(seconds=1)).isoformat()}
    body.update(over)
    return body


def _post(api: Api, live: LiveDeployment, body: dict[str, Any]) -> Any:
    return api.client.post("/ingest/alerts", json=body,
                           headers={**live.key, "Idempotency-Key": str(uuid.uuid4())})


def _alerts(api: Api, live: LiveDeployment) -> int:
    r = api.client.get(f"/deployments/{live.id}/alerts", headers=api.headers[Role.admin])
    return len(r.json())


def _refusals(api: Api, live: LiveDeployment) -> list[dict[str, Any]]:
    log = audit_tables(sa.MetaData()).log
    with api.ctx.db.engine.connect() as conn:
        rows = conn.execute(sa.select(log.c.details).where(
            log.c.action == "ingest.refused",
            log.c.subject == f"deployment:{live.id}").order_by(log.c.seq)).all()
    return [json.loads(d) for (d,) in rows]


def _jpeg(size: int = 64) -> str:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (90, 80, 70)).save(out, format="JPEG")
    return base64.b64encode(out.getvalue()).decode()


def _refused(api: Api, live: LiveDeployment, field: str, **over: Any) -> None:
    before, audited = _alerts(api, live), len(_refusals(api, live))
    r = _post(api, live, _body(api, live, **over))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == field, r.json()
    assert _alerts(api, live) == before
    refusals = _refusals(api, live)
    assert len(refusals) == audited + 1 and refusals[-1]["field"] == field
    assert set(refusals[-1]) == {"field", "reason", "camera_id"}  # no crop, no template


def test_a_good_alert_is_stored(api: Api, live: LiveDeployment) -> None:
    r = _post(api, live, _body(api, live, probe_crop_jpeg_base64=_jpeg()))
    assert r.status_code == 201, r.text


def test_the_issues_forged_alert_is_refused_field_by_field(api: Api,
                                                          live: LiveDeployment) -> None:
    _refused(api, live, "model_id", model_id="anything")
    _refused(api, live, "threshold", score=-1, threshold=-1)
    _refused(api, live, "raised_at", raised_at="1970-01-01T00:00:00+00:00",
             frame_timestamp="1970-01-01T00:00:00+00:00")
    _refused(api, live, "frame_timestamp", frame_timestamp="2999-01-01T00:00:00+00:00")
    _refused(api, live, "probe_crop_jpeg_base64",
             probe_crop_jpeg_base64=base64.b64encode(b"hello").decode())
    _refused(api, live, "probe_crop_jpeg_base64", probe_crop_jpeg_base64="not base64!")
    _refused(api, live, "camera_id", camera_id="cam-elsewhere")
    _refused(api, live, "entry_id", entry_id=str(uuid.uuid4()))


def test_score_must_reach_the_threshold(api: Api, live: LiveDeployment) -> None:
    threshold = api.operating(live.id)["threshold"]
    _refused(api, live, "score", score=threshold - 0.01)
    assert _post(api, live, _body(api, live, score=threshold)).status_code == 201


def test_raised_at_must_be_in_the_live_window_and_near_the_server_clock(
        api: Api, live: LiveDeployment) -> None:
    t = now()
    ahead = t + SKEW + timedelta(seconds=30)
    _refused(api, live, "raised_at", raised_at=ahead.isoformat(),
             frame_timestamp=ahead.isoformat())
    slightly = t + SKEW / 2  # within the documented skew: a node's clock may be ahead
    r = _post(api, live, _body(api, live, raised_at=slightly.isoformat(),
                               frame_timestamp=t.isoformat()))
    assert r.status_code == 201, r.text
    before_live = t - timedelta(hours=2)
    _refused(api, live, "raised_at", raised_at=before_live.isoformat(),
             frame_timestamp=before_live.isoformat())
    old_frame = t - MAX_FRAME_AGE - timedelta(minutes=1)
    _refused(api, live, "frame_timestamp", frame_timestamp=old_frame.isoformat())


def test_a_crop_over_the_pixel_limit_is_refused(api: Api, live: LiveDeployment) -> None:
    _refused(api, live, "probe_crop_jpeg_base64", probe_crop_jpeg_base64=_jpeg(2100))


def test_the_threshold_in_force_at_raised_at_is_the_one_that_counts(
        api: Api, live: LiveDeployment, photo_bytes: dict[str, bytes]) -> None:
    old = api.operating(live.id)["threshold"]
    time.sleep(SKEW.total_seconds() + 0.5)  # the last change of threshold is past the skew
    raised_before = now()
    r = enrol(api, live.id, [("b.jpg", photo_bytes["biden"]), ("g.jpg",
                                                              photo_bytes["grace_hopper"])],
              reference="WR-2")
    assert r.status_code == 201, r.text
    new = api.operating(live.id)["threshold"]
    assert new != old, "the watchlist change re-derived the same threshold"
    time.sleep(SKEW.total_seconds() + 0.5)
    score = max(old, new) + 0.01
    # An alert the node raised before the change carries the old threshold: accepted late.
    late = _body(api, live, threshold=old, score=score, raised_at=raised_before.isoformat(),
                 frame_timestamp=raised_before.isoformat())
    assert _post(api, live, late).status_code == 201
    # Raised now with the old threshold: refused; with the new one: accepted.
    _refused(api, live, "threshold", threshold=old, score=score)
    assert _post(api, live, _body(api, live, score=score)).status_code == 201
    assert timedelta(seconds=60) == CLOCK_SKEW  # the documented default
