"""The threshold policy in the service: a preview of the operating point before authorising,
recorded at authorisation, re-derived and audited when the watchlist changes, a warning
beyond the calibration, and the report's prediction beside what was observed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from lfr_api.db.models import AUDIT_TABLES
from lfr_api.inputs.policy import MAX_NUMBER
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, authorisation, build_api, enrol

from lfr_framework.models.store import default_home
from lfr_framework.plugins import PluginHost

LOG = AUDIT_TABLES.log
SHIPPED = (Path(__file__).resolve().parents[2] / "plugins" / "lfr-arcface-onnx" / "src"
           / "lfr_arcface_onnx" / "calibrations" / "sface-2021dec-int8bq.json")


def _draft(api: Api, **fields: Any) -> str:
    r = api.client.post("/deployments", headers=api.headers[Role.admin],
                        json={"name": f"D-{uuid.uuid4().hex[:6]}", **fields})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _point(api: Api, dep: str, **params: Any) -> dict[str, Any]:
    r = api.client.get(f"/deployments/{dep}/operating-point", params=params,
                       headers=api.headers[Role.authorising_officer])
    assert r.status_code == 200, r.text
    return dict(r.json())


def _audited(api: Api, dep: str) -> list[dict[str, Any]]:
    with api.ctx.db.engine.connect() as conn:
        rows = conn.execute(sa.select(LOG.c.details).where(
            LOG.c.action == "deployment.operating_point_set",
            LOG.c.subject == f"deployment:{dep}").order_by(LOG.c.seq)).scalars().all()
    return [json.loads(r) if isinstance(r, str) else dict(r) for r in rows]


def test_the_authorising_officer_sees_the_predicted_false_alerts_before_authorising(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    dep = _draft(api, expected_faces=20_000)
    assert enrol(api, dep, [("a.jpg", photo_bytes["obama"])]).status_code == 201
    assert enrol(api, dep, [("b.jpg", photo_bytes["biden"])], reference="WR-2").status_code == 201
    preview = _point(api, dep)
    assert preview["policy"] == "target_fpir" and preview["target_fpir"] == 0.001
    assert preview["watchlist_entries"] == 2 and preview["watchlist_templates"] == 2
    assert preview["model_id"] == "sface-2021dec-int8bq" and preview["recorded_at"] is None
    assert 0.35 < preview["threshold"] < 0.6
    low, high = preview["predicted_fpir_ci95"]
    assert low <= preview["predicted_fpir"] <= high <= 0.00105
    assert preview["expected_faces"] == 20_000
    assert preview["expected_false_alerts"] == pytest.approx(preview["predicted_fpir"] * 20_000)
    assert preview["expected_false_alerts_ci95"][1] == pytest.approx(high * 20_000)
    assert preview["calibration"]["identities"] > 250 and preview["warnings"] == []
    other = _point(api, dep, expected_faces=5000)
    assert other["expected_faces"] == 5000
    # A stricter target means a higher threshold, shown before anything is authorised.
    r = api.client.patch(f"/deployments/{dep}", json={"target_fpir": 0.0001},
                         headers=api.headers[Role.admin])
    assert r.status_code == 200, r.text
    assert _point(api, dep)["threshold"] > preview["threshold"]
    officer = api.client.get(f"/deployments/{dep}/operating-point",
                             headers=api.headers[Role.officer])
    assert officer.status_code == 403


@pytest.mark.parametrize("target", [0, -0.001, 0.5, 1e20])
def test_a_target_fpir_out_of_range_is_422_naming_it(api: Api, target: float) -> None:
    # beyond the app's number policy (2**53) the input policy refuses it first: 400
    status = 400 if abs(target) > MAX_NUMBER else 422
    r = api.client.post("/deployments", headers=api.headers[Role.admin],
                        json={"name": "bad", "target_fpir": target})
    assert r.status_code == status, r.text
    problem = r.json()
    assert problem["errors"][0]["field"] == "target_fpir"
    assert status == 400 or "(0, 0.1]" in problem["detail"]
    dep = _draft(api)
    r = api.client.patch(f"/deployments/{dep}", json={"target_fpir": target},
                         headers=api.headers[Role.admin])
    assert r.status_code == status and r.json()["errors"][0]["field"] == "target_fpir"


def test_authorisation_records_it_and_a_watchlist_change_rederives_and_audits_it(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    dep = _draft(api)
    assert enrol(api, dep, [("a.jpg", photo_bytes["obama"])]).status_code == 201
    body = {**authorisation(), "expected_faces": 12_000}
    r = api.client.post(f"/deployments/{dep}/authorise", json=body,
                        headers=api.headers[Role.authorising_officer])
    assert r.status_code == 200, r.text
    recorded = r.json()["operating_point"]
    assert recorded["recorded_at"] is not None and recorded["watchlist_templates"] == 1
    assert recorded["expected_faces"] == 12_000
    first = recorded["threshold"]
    grown = enrol(api, dep, [("b.jpg", photo_bytes["biden"]),
                             ("c.jpg", photo_bytes["grace_hopper"])], reference="WR-3")
    assert grown.status_code == 201, grown.text
    now = api.client.get(f"/deployments/{dep}", headers=api.headers[Role.admin]).json()
    assert now["operating_point"]["watchlist_templates"] == 3
    assert now["operating_point"]["threshold"] > first
    trail = _audited(api, dep)
    assert [t["reason"] for t in trail] == ["authorised", "watchlist changed"]
    assert trail[1]["threshold_before"] == first
    assert trail[1]["threshold"] == now["operating_point"]["threshold"]


@pytest.fixture(scope="module")
def thin_calibration_api(plugin_host: PluginHost, database_url: str,
                         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A service whose installed calibration of SFace rests on very few pairs."""
    home = tmp_path_factory.mktemp("thin-home")
    (home / "models").symlink_to(default_home() / "models", target_is_directory=True)
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    data["pairs"] = {"clean": 200, "degraded": 0}  # vouches for FMR down to 5e-4: 2 templates
    (home / "calibrations").mkdir()
    (home / "calibrations" / "sface-2021dec-int8bq.json").write_text(json.dumps(data))
    yield from build_api(plugin_host, database_url, home=home)


def test_a_watchlist_beyond_the_calibration_is_warned_and_audited(
        thin_calibration_api: Api, photo_bytes: dict[str, bytes]) -> None:
    api = thin_calibration_api
    dep = _draft(api)
    faces = ("obama", "biden", "grace_hopper", "astronaut")
    for n, name in enumerate(faces):
        assert enrol(api, dep, [(f"{name}.jpg", photo_bytes[name])],
                     reference=f"WR-{n}").status_code == 201
    preview = _point(api, dep)
    assert preview["calibration"]["max_watchlist_size"] < 4
    assert any("vouches for at most" in w for w in preview["warnings"])
    r = api.client.post(f"/deployments/{dep}/authorise", json=authorisation(),
                        headers=api.headers[Role.authorising_officer])
    assert r.status_code == 200
    assert any("vouches for at most" in w for w in _audited(api, dep)[0]["warnings"])
    report = api.client.get(f"/deployments/{dep}/report", headers=api.headers[Role.compliance])
    assert any("vouches for at most" in w for w in report.json()["accuracy"]["warnings"])


def test_the_report_puts_the_prediction_beside_what_was_observed(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    dep = api.deployment(live=False)
    r = api.client.get(f"/deployments/{dep}/report", headers=api.headers[Role.compliance])
    assert r.status_code == 200, r.text
    accuracy = r.json()["accuracy"]
    assert accuracy["policy"] == "target_fpir" and accuracy["threshold"] is not None
    assert accuracy["faces_seen"] == 0 and accuracy["observed_ci95"] is None
    html = api.client.get(f"/deployments/{dep}/report", params={"format": "html"},
                          headers=api.headers[Role.compliance])
    assert "Predicted against observed" in html.text


def test_the_public_notice_shows_the_prediction_only_where_the_force_chooses(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    shown = api.deployment(published=True, fields={"publish_prediction": True})
    hidden = api.deployment(published=True)
    notices = {n["id"]: n for n in api.client.get("/public/deployments").json()}
    assert 0 < notices[shown]["predicted_false_alert_rate"] <= 0.00105
    assert notices[hidden]["predicted_false_alert_rate"] is None
