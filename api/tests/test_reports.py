"""Pipeline counts reach the service; the post-deployment report's numbers equal the counts
of the records it summarises; HTML with a timeline chart; the public summary holds no
personal data; ``lfr report`` gives the same numbers."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from lfr_api.cli.ops import report as report_cmd
from lfr_api.counters.service import CounterReporter, in_process_sender
from lfr_api.db.models import RETENTION_TABLES, Alert, Decision, PipelineCount
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, now
from lfr_api.testing.data import LiveDeployment, crop_of, ingest_alert, live_deployment
from sqlmodel import col, func, select

from lfr_framework.types import PipelineCounters

OUTCOMES = [("engage", "arrested"), ("engage", "false_alert_not_the_person"),
            ("no_engage", "not_located"), ("engage", "words_of_advice"),
            ("no_engage", "false_alert_not_the_person")]


def _counts(api: Api, live: LiveDeployment, key: str, **values: Any) -> Any:
    t = now()
    body = {"camera_id": "cam-1", "period_start": (t - timedelta(minutes=5)).isoformat(),
            "period_end": t.isoformat(), **values}
    return api.client.post("/ingest/counters", json=body,
                           headers={**live.key, "Idempotency-Key": key})


@pytest.fixture(scope="module")
def deployment(api: Api, photo_bytes: dict[str, bytes]) -> dict[str, Any]:
    """A deployment with counts from a node and an in-process pipeline, alerts with every
    kind of decision (one amended, one pending), closed at the end."""
    live = live_deployment(api, photo_bytes["obama"], cameras=("cam-1", "cam-2"))
    for i, (seen, discarded) in enumerate([(1200, 1190), (800, 795), (3, 0)]):
        r = _counts(api, live, f"c{i}", faces_seen=seen, faces_discarded=discarded,
                    faces_rejected_quality=40, frames_processed=9000)
        assert r.status_code == 201, r.text
    again = _counts(api, live, "c0", faces_seen=1200, faces_discarded=1190)
    assert again.status_code == 200  # the same report again: counted once
    reporter = CounterReporter(in_process_sender(api.ctx, live.id))
    totals = PipelineCounters(faces_seen=500, faces_discarded=497, frames_processed=4000)
    reporter.report("cam-2", totals)
    totals.faces_seen, totals.faces_discarded = 650, 640
    sent = reporter.report("cam-2", totals)
    assert sent is not None and sent.faces_seen == 150 and sent.faces_discarded == 143
    assert reporter.report("cam-2", totals) is None  # nothing new, nothing sent
    alerts = [ingest_alert(api, live, crop=crop_of(photo_bytes["obama2"]))
              for _ in range(len(OUTCOMES) + 1)]
    for alert, (decision, outcome) in zip(alerts, OUTCOMES, strict=False):
        r = api.client.post(f"/alerts/{alert}/decision", headers=api.headers[Role.officer],
                            json={"decision": decision, "outcome": outcome})
        assert r.status_code == 200, r.text
    r = api.client.post(f"/alerts/{alerts[2]}/amendments", headers=api.headers[Role.supervisor],
                        json={"decision": "no_engage", "outcome": "no_further_action",
                              "reason": "identity confirmed later"})
    assert r.status_code == 200
    assert api.client.post(f"/deployments/{live.id}/close",
                           headers=api.headers[Role.admin]).status_code == 200
    return {"live": live, "alerts": alerts}


def test_counter_ingest_refuses_bad_input(api: Api, deployment: dict[str, Any]) -> None:
    live = deployment["live"]
    assert _counts(api, live, "bad-cam", camera_id="nope").status_code == 422
    assert _counts(api, live, "neg", faces_seen=-1).status_code == 400
    r = api.client.post("/ingest/counters", headers=live.key, json={
        "camera_id": "cam-1", "period_start": now().isoformat(),
        "period_end": now().isoformat()})
    assert r.status_code == 400 and "Idempotency-Key" in r.text
    backwards = _counts(api, live, "bw", period_start=now().isoformat(),
                        period_end=(now() - timedelta(hours=1)).isoformat())
    assert backwards.status_code == 400


def _truth(api: Api, dep: str) -> dict[str, Any]:
    """The numbers, counted straight from the records."""
    with api.ctx.db.session() as s:
        seen, discarded = s.exec(select(func.sum(PipelineCount.faces_seen),
                                        func.sum(PipelineCount.faces_discarded))
                                 .where(PipelineCount.deployment_id == dep)).one()
        alerts = s.exec(select(func.count()).select_from(Alert)
                        .where(Alert.deployment_id == dep)).one()
        current = s.exec(select(Decision.decision, Decision.outcome)
                         .join(Alert, col(Alert.id) == col(Decision.alert_id))
                         .where(Alert.deployment_id == dep, col(Decision.current).is_(True))
                         ).all()
        log = RETENTION_TABLES.deletion_log
        deleted = s.connection().execute(sa.select(func.count()).select_from(log).where(
            log.c.deployment_id == dep, log.c.kind == "watchlist_image")).scalar_one()
    true = [d for d, o in current if o in ("arrested", "words_of_advice", "no_further_action")]
    false = [d for d, o in current if o == "false_alert_not_the_person"]
    return {"faces_seen": seen, "non_match_discards": discarded, "alerts": alerts,
            "true_alerts": len(true), "false_alerts": len(false),
            "true_alert_engagements": true.count("engage"),
            "false_alert_engagements": false.count("engage"),
            "engagements": sum(d == "engage" for d, _ in current),
            "awaiting_decision": alerts - len(current), "deleted_images": deleted}


def test_the_reports_numbers_equal_the_counts_of_its_records(
        api: Api, deployment: dict[str, Any]) -> None:
    dep = deployment["live"].id
    r = api.client.get(f"/deployments/{dep}/report", headers=api.headers[Role.compliance])
    assert r.status_code == 200, r.text
    report, truth = r.json(), _truth(api, dep)
    results = report["results"]
    for key in ("faces_seen", "non_match_discards", "alerts", "true_alerts", "false_alerts",
                "true_alert_engagements", "false_alert_engagements", "engagements",
                "awaiting_decision"):
        assert results[key] == truth[key], key
    assert (truth["faces_seen"], truth["alerts"], truth["true_alerts"],
            truth["false_alerts"]) == (2653, 6, 3, 2)  # the fixture's own arithmetic
    assert results["false_alert_rate"] == pytest.approx(2 / 2653)
    assert results["false_alert_rate_text"] == "1 in 1,326 faces seen"
    accuracy = report["accuracy"]  # the authorisation's prediction beside the observed rate
    assert accuracy["faces_seen"] == 2653 and accuracy["false_alerts"] == 2
    assert accuracy["observed_false_alert_rate"] == pytest.approx(2 / 2653)
    low, high = accuracy["observed_ci95"]
    assert low == pytest.approx(9.13e-5, rel=0.01) and high == pytest.approx(2.72e-3, rel=0.01)
    assert accuracy["predicted_fpir_ci95"][1] <= 0.00105 and accuracy["consistent"] is True
    assert accuracy["predicted_false_alerts"] == pytest.approx(
        accuracy["predicted_fpir"] * 2653)
    assert results["outcomes"] == {"arrested": 1, "false_alert_not_the_person": 2,
                                   "no_further_action": 1, "words_of_advice": 1}
    assert report["hours_live"] > 0
    assert results["alerts_per_hour"] == pytest.approx(6 / report["hours_live"], rel=1e-3)
    assert report["watchlist_size"] == 1 and report["watchlist_images_enrolled"] == 1
    assert [c["camera_id"] for c in report["cameras"]] == ["cam-1", "cam-2"]
    assert report["authorisation"]["authorised_by"].startswith("authorising_officer")
    assert report["authorisation"]["legal_basis"] == "Common law"
    # ingest holds every alert to the deployment's own model and operating threshold
    assert report["model_ids"] == [deployment["live"].entry["model_id"]]
    assert len(report["thresholds_used"]) == 1
    assert sum(b["faces_seen"] for b in report["timeline"]) == truth["faces_seen"]
    assert sum(b["alerts"] for b in report["timeline"]) == truth["alerts"]
    deletion = report["deletion"]
    assert deletion["watchlist_destroyed"] is True
    assert deletion["watchlist_images_deleted"] == truth["deleted_images"] == 1
    assert deletion["alert_biometric_parts_remaining"] == 6
    assert api.client.get(f"/deployments/{dep}/report",
                          headers=api.headers[Role.officer]).status_code == 403


def test_the_html_report_has_the_facts_and_a_timeline_chart(
        api: Api, deployment: dict[str, Any]) -> None:
    dep = deployment["live"].id
    r = api.client.get(f"/deployments/{dep}/report?format=html",
                       headers=api.headers[Role.admin])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<svg" in page and "<rect" in page and "<script" not in page
    assert "False alert rate" in page and "1 in 1,326 faces seen" in page
    assert "Common law" in page and "Faces seen" in page


def test_the_public_summary_has_results_and_no_personal_data(
        api: Api, deployment: dict[str, Any], photo_bytes: dict[str, bytes]) -> None:
    dep = deployment["live"].id
    r = api.client.get(f"/public/deployments/{dep}/summary")
    assert r.status_code == 200, r.text
    summary = r.json()
    assert (summary["faces_seen"], summary["alerts"], summary["false_alerts"]) == (2653, 6, 2)
    assert summary["watchlist_destroyed"] is True and summary["cameras"] == 2
    text = json.dumps(summary)
    for personal in ("WR-1", "robbery", "officer-", "authorising_officer", "cam-1",
                     "custody", deployment["live"].entry["id"]):
        assert personal not in text, personal
    unpublished = api.deployment(live=False)
    assert api.client.get(f"/public/deployments/{unpublished}/summary").status_code == 404
    assert api.client.get("/public/deployments/nope/summary").status_code == 404


def test_lfr_report_gives_the_same_numbers_and_writes_html(
        api: Api, deployment: dict[str, Any], database_url: str, tmp_path: Any) -> None:
    dep = deployment["live"].id
    page = tmp_path / "report.html"
    result = CliRunner().invoke(report_cmd, [dep, "--json", "--html", str(page),
                                             "--database-url", database_url])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    api_report = api.client.get(f"/deployments/{dep}/report",
                                headers=api.headers[Role.compliance]).json()
    assert cli["results"] == api_report["results"]
    assert "<svg" in page.read_text()
    missing = CliRunner().invoke(report_cmd, ["nope", "--database-url", database_url])
    assert missing.exit_code != 0 and "no deployment nope" in missing.output


def test_discards_reach_the_compliance_log_per_camera_and_bucket(
        api: Api, deployment: dict[str, Any]) -> None:
    dep = deployment["live"].id
    r = api.client.get(f"/compliance/logs/discards?format=json&deployment_id={dep}",
                       headers=api.headers[Role.compliance])
    rows = r.json()
    by_camera: dict[str, int] = {}
    for row in rows:
        by_camera[row["camera_id"]] = by_camera.get(row["camera_id"], 0) + row["count"]
        assert row["bucket_seconds"] == 900
    assert by_camera == {"cam-1": 1190 + 795, "cam-2": 640}
