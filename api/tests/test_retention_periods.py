"""A deployment's own, shorter retention periods, on SQLite and PostgreSQL: set by an admin
on a draft, refused when longer than the policy (400 naming the field), frozen once
authorised (409), on the audit trail, applied by the sweep to that deployment only, and
shown in the deployment, the public notice and the post-deployment report."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from lfr_api.db.models import AUDIT_TABLES, RETENTION_TABLES, AlertMedia, WatchlistImage
from lfr_api.retention.periods import deployment_policy, effective_periods
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, authorisation, now
from lfr_api.testing.data import (
    Clock,
    LiveDeployment,
    crop_of,
    ingest_alert,
    live_deployment,
    sweep,
)
from lfr_retention_default import DefaultRetentionOptions, DefaultRetentionPolicy

from lfr_framework.errors import ConfigurationError

LOG = RETENTION_TABLES.deletion_log
TRAIL = AUDIT_TABLES.log
SHORT = {"alert_biometrics_days": 7, "watchlist_hours_after_end": 2}


def _crop_kept(api: Api, alert_id: str) -> bool:
    t = AlertMedia.__table__  # type: ignore[attr-defined]
    with api.ctx.db.engine.connect() as conn:
        return bool(conn.execute(sa.select(t.c.data.is_not(None))
                                 .where(t.c.alert_id == alert_id)).scalar())


def _image_kept(api: Api, image_id: str) -> bool:
    t = WatchlistImage.__table__  # type: ignore[attr-defined]
    with api.ctx.db.engine.connect() as conn:
        return bool(conn.execute(sa.select(t.c.data.is_not(None))
                                 .where(t.c.id == image_id)).scalar())


def _rules(api: Api, item_id: str) -> list[tuple[str, str]]:
    with api.ctx.db.engine.connect() as conn:
        rows = conn.execute(sa.select(LOG.c.kind, LOG.c.rule).where(LOG.c.item_id == item_id)
                            .order_by(LOG.c.kind))
        return [(r[0], r[1]) for r in rows]


def _trail(api: Api, subject: str, action: str) -> list[dict[str, Any]]:
    with api.ctx.db.engine.connect() as conn:
        rows = conn.execute(sa.select(TRAIL.c.details).where(
            TRAIL.c.subject == subject, TRAIL.c.action == action).order_by(TRAIL.c.seq))
        return [json.loads(r[0]) for r in rows]


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"]
    return body


def _draft(api: Api, **fields: Any) -> Any:
    return api.client.post("/deployments", headers=api.headers[Role.admin],
                           json={"name": "Periods", **fields})


@pytest.fixture(scope="module")
def short(api: Api, photo_bytes: dict[str, bytes]) -> LiveDeployment:
    return live_deployment(api, photo_bytes["obama"], fields={"retention_periods": SHORT})


@pytest.fixture(scope="module")
def default(api: Api, photo_bytes: dict[str, bytes]) -> LiveDeployment:
    return live_deployment(api, photo_bytes["obama"])


def test_the_sweep_applies_a_deployments_shorter_periods_to_it_only(
        api: Api, short: LiveDeployment, default: LiveDeployment, clock: Clock,
        photo_bytes: dict[str, bytes]) -> None:
    t0 = now()
    a_short = ingest_alert(api, short, crop=crop_of(photo_bytes["obama2"]), raised_at=t0)
    a_default = ingest_alert(api, default, crop=crop_of(photo_bytes["obama3"]), raised_at=t0)
    end = datetime.fromisoformat(
        api.client.get(f"/deployments/{short.id}", headers=api.headers[Role.admin])
        .json()["authorised_end"])

    # The watchlist: 2 hours after the authorised end for one, 24 for the other.
    clock.at = end + timedelta(hours=1, minutes=59)
    sweep(api)
    assert _image_kept(api, short.image_id) and _image_kept(api, default.image_id)
    clock.at = end + timedelta(hours=2, seconds=1)
    report = sweep(api)
    assert short.id in api.ctx.retention.deployment_policies()  # type: ignore[union-attr]
    assert not _image_kept(api, short.image_id) and _image_kept(api, default.image_id)
    assert _rules(api, short.image_id) == [
        ("watchlist_image", "default+shortened:watchlist_2h_after_end"),
        ("watchlist_template", "default+shortened:watchlist_2h_after_end")]
    sweeps = _trail(api, "", "retention.sweep")
    assert short.id in sweeps[-1]["shortened_deployments"]
    assert default.id not in sweeps[-1]["shortened_deployments"]
    assert report.counts().get("watchlist_image", 0) >= 1

    # Alert biometrics: 7 days for one, 31 for the other.
    clock.at = t0 + timedelta(days=6, hours=23)
    sweep(api)
    assert _crop_kept(api, a_short) and _crop_kept(api, a_default)
    assert not _image_kept(api, default.image_id)  # 24 h after the end: gone by now
    clock.at = t0 + timedelta(days=7, seconds=1)
    sweep(api)
    assert not _crop_kept(api, a_short) and _crop_kept(api, a_default)
    assert _rules(api, f"{a_short}/probe_crop") == [
        ("alert_biometrics", "default+shortened:alert_biometrics")]
    clock.at = t0 + timedelta(days=30, hours=23)
    sweep(api)
    assert _crop_kept(api, a_default)
    clock.at = t0 + timedelta(days=31, seconds=1)
    sweep(api)
    assert not _crop_kept(api, a_default)
    assert _rules(api, f"{a_default}/probe_crop") == [
        ("alert_biometrics", "default:alert_biometrics_31_days")]


def test_a_longer_period_is_a_400_naming_the_field(api: Api) -> None:
    body = _problem(_draft(api, retention_periods={"alert_biometrics_days": 31.5}), 400)
    assert body["errors"][0]["field"] == "retention_periods.alert_biometrics_days"
    assert "only shorten" in body["detail"] and "31 days" in body["detail"]
    body = _problem(_draft(api, retention_periods={"watchlist_hours_after_end": 25}), 400)
    assert body["errors"][0]["field"] == "retention_periods.watchlist_hours_after_end"
    assert "only shorten" in body["detail"]
    assert body["errors"][0]["message"].startswith("a deployment may only shorten")
    body = _problem(_draft(api, retention_periods={"alert_biometrics_days": -1}), 400)
    assert body["errors"][0]["field"] == "retention_periods.alert_biometrics_days"
    body = _problem(_draft(api, retention_periods={"alert_record_days": 3}), 400)
    assert body["errors"][0]["field"] == "retention_periods.alert_record_days"

    draft = _draft(api)
    assert draft.status_code == 201, draft.text
    r = api.client.patch(f"/deployments/{draft.json()['id']}", headers=api.headers[Role.admin],
                         json={"retention_periods": {"alert_biometrics_days": 40}})
    body = _problem(r, 400)
    assert body["errors"][0]["field"] == "retention_periods.alert_biometrics_days"
    got = api.client.get(f"/deployments/{draft.json()['id']}", headers=api.headers[Role.admin])
    assert got.json()["retention_periods"] == {"alert_biometrics_days": None,
                                               "watchlist_hours_after_end": None}


def test_periods_are_set_on_a_draft_audited_and_frozen_once_authorised(api: Api) -> None:
    h = api.headers
    r = _draft(api, retention_periods={"alert_biometrics_days": 14})
    assert r.status_code == 201, r.text
    dep = r.json()["id"]
    assert r.json()["retention_periods"] == {"alert_biometrics_days": 14,
                                             "watchlist_hours_after_end": None}
    r = api.client.patch(f"/deployments/{dep}", headers=h[Role.admin],
                         json={"retention_periods": SHORT})
    assert r.status_code == 200, r.text
    assert r.json()["retention_periods"] == SHORT
    r = api.client.patch(f"/deployments/{dep}", headers=h[Role.admin], json={"name": "Renamed"})
    assert r.json()["retention_periods"] == SHORT  # left out: unchanged
    assert _trail(api, f"deployment:{dep}", "deployment.retention_periods_set") == [
        {"from": {}, "to": {"alert_biometrics_days": 14}},
        {"from": {"alert_biometrics_days": 14}, "to": SHORT}]
    _problem(api.client.patch(f"/deployments/{dep}", headers=h[Role.authorising_officer],
                              json={"retention_periods": {}}), 403)

    r = api.client.post(f"/deployments/{dep}/authorise", headers=h[Role.authorising_officer],
                        json=authorisation())
    assert r.status_code == 200, r.text
    assert _trail(api, f"deployment:{dep}", "deployment.authorised")[-1][
        "retention_periods"] == SHORT
    body = _problem(api.client.patch(f"/deployments/{dep}", headers=h[Role.admin],
                                     json={"retention_periods": {"alert_biometrics_days": 1}}),
                    409)
    assert body["state"] == "authorised"
    got = api.client.get(f"/deployments/{dep}", headers=h[Role.supervisor]).json()
    assert got["retention_periods"] == SHORT
    assert len(_trail(api, f"deployment:{dep}", "deployment.retention_periods_set")) == 2


def test_the_notice_and_the_report_show_the_periods(
        api: Api, short: LiveDeployment, default: LiveDeployment) -> None:
    notices = {n["id"]: n for n in api.client.get("/public/deployments").json()}
    assert notices[short.id]["retention"] == {
        "alert_biometrics_days": 7, "watchlist_hours_after_end": 2,
        "non_match_data": "deleted immediately"}
    assert notices[default.id]["retention"]["alert_biometrics_days"] == 31
    assert notices[default.id]["retention"]["watchlist_hours_after_end"] == 24

    r = api.client.get(f"/deployments/{short.id}/report", headers=api.headers[Role.compliance])
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["retention"] == {"policy": "default+shortened", "alert_biometrics_days": 7,
                                   "watchlist_hours_after_end": 2,
                                   "shortened": sorted(SHORT)}
    end = datetime.fromisoformat(report["authorisation"]["authorised_end"])
    assert datetime.fromisoformat(report["deletion"]["watchlist_deadline"]) == \
        end + timedelta(hours=2)
    plain = api.client.get(f"/deployments/{default.id}/report",
                           headers=api.headers[Role.compliance]).json()
    assert plain["retention"] == {"policy": "default", "alert_biometrics_days": 31,
                                  "watchlist_hours_after_end": 24, "shortened": []}
    page = api.client.get(f"/deployments/{short.id}/report?format=html",
                          headers=api.headers[Role.compliance]).text
    assert "Retention periods" in page and "default+shortened" in page


def test_a_deployment_policy_checks_against_the_base_and_the_sweep_cuts_to_it() -> None:
    base = DefaultRetentionPolicy(DefaultRetentionOptions(alert_biometrics_days=5))
    with pytest.raises(ConfigurationError,
                       match=r"retention_periods\.alert_biometrics_days: .*5 days of policy"):
        deployment_policy(base, {"alert_biometrics_days": 7})
    cut = deployment_policy(base, {"alert_biometrics_days": 7}, strict=False)
    assert cut.max_age("alert_biometrics") == timedelta(days=5)
    with pytest.raises(ConfigurationError, match=r"retention_periods\.log_days: unknown"):
        deployment_policy(base, {"log_days": 1})
    with pytest.raises(ConfigurationError, match="cannot be negative"):
        deployment_policy(base, {"watchlist_hours_after_end": -1})
    assert deployment_policy(base, {}) is base
    periods = effective_periods(base, {"alert_biometrics_days": 7, "watchlist_hours_after_end": 3})
    assert (periods.alert_biometrics_days, periods.watchlist_hours_after_end,
            periods.shortened) == (5, 3, ("watchlist_hours_after_end",))
