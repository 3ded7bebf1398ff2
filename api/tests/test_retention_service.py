"""Retention in the service, on SQLite and PostgreSQL, with an injected clock: alert
biometrics go 31 days after the alert unless held, the watchlist at close or 24 h after the
authorised end, each deletion logged once; holds; the CLI and scheduled sweeps; a sweep
whose database fails part-way deletes nothing half-way."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from lfr_api.cli.ops import compliance, retention
from lfr_api.db.models import COMPLIANCE_TABLES, RETENTION_TABLES, AlertMedia, WatchlistImage
from lfr_api.retention.service import RetentionService
from lfr_api.retention.store import ServiceRetentionStore
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, authorisation, build_api, enrol, now
from lfr_api.testing.data import (
    Clock,
    LiveDeployment,
    crop_of,
    in_process_alert,
    ingest_alert,
    live_deployment,
    sweep,
)

from lfr_framework.plugins import PluginHost
from lfr_framework.retention import DeletionEntry, RetentionError, RetentionItem

LOG = RETENTION_TABLES.deletion_log
CLI_ENV = {"LFR_PLUGINS": "retention_default,compliance"}


def _log_ids(api: Api, item_ids: set[str]) -> list[str]:
    """Deletion log entries (of record) for these items; a list, so repeats would show."""
    with api.ctx.db.engine.connect() as conn:
        rows = conn.execute(sa.select(LOG.c.item_id).where(LOG.c.item_id.in_(item_ids)))
        return sorted(r[0] for r in rows)


def _compliance_ids(api: Api, item_ids: set[str]) -> list[str]:
    table = COMPLIANCE_TABLES["compliance_deletion_log"]
    with api.ctx.db.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.item_id).where(table.c.item_id.in_(item_ids)))
        return sorted(r[0] for r in rows)


def _parts(api: Api, alert_id: str) -> tuple[bool, bool]:
    """Whether the alert's probe crop and probe template are still stored."""
    t = AlertMedia.__table__  # type: ignore[attr-defined]
    with api.ctx.db.engine.connect() as conn:
        row = conn.execute(sa.select(t.c.data.is_not(None), t.c.template.is_not(None))
                           .where(t.c.alert_id == alert_id)).first()
    return (False, False) if row is None else (bool(row[0]), bool(row[1]))


def _hold(api: Api, kind: str, item_id: str, reference: str = "CMP-1",
          hold_type: str = "complaint") -> Any:
    return api.client.post("/holds", headers=api.headers[Role.compliance], json={
        "hold_type": hold_type, "item_kind": kind, "item_id": item_id, "reference": reference})


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"]
    return body


@pytest.fixture(scope="module")
def live(api: Api, photo_bytes: dict[str, bytes]) -> LiveDeployment:
    return live_deployment(api, photo_bytes["obama"])


def test_alert_biometrics_go_after_31_days_unless_held_and_the_facts_stay(
        api: Api, live: LiveDeployment, clock: Clock, photo_bytes: dict[str, bytes]) -> None:
    t0 = now()
    template = np.random.default_rng(1).standard_normal((1, 128)).astype(np.float32)
    a1 = ingest_alert(api, live, crop=crop_of(photo_bytes["obama2"]), raised_at=t0)
    a2 = in_process_alert(api, live, photo_bytes["obama3"], template, raised_at=t0)
    a3 = ingest_alert(api, live, crop=crop_of(photo_bytes["obama"]), raised_at=t0)
    held = _hold(api, "alert_biometrics", a3, reference="CMP-31", hold_type="evidential")
    assert held.status_code == 201, held.text
    assert held.json()["active"] and held.json()["placed_by"].startswith("user:compliance")
    ours = {f"{a}/{p}" for a in (a1, a2, a3) for p in ("probe_crop", "probe_template")}

    clock.at = t0 + timedelta(days=30, hours=23)
    sweep(api)
    assert (_parts(api, a1), _parts(api, a2), _parts(api, a3)) == (
        (True, False), (True, True), (True, False))

    clock.at = t0 + timedelta(days=31, seconds=1)
    report = sweep(api)
    assert (_parts(api, a1), _parts(api, a2), _parts(api, a3)) == (
        (False, False), (False, False), (True, False))
    assert f"{a3}/probe_crop" in [v.item.item_id for v in report.held]
    h = api.headers
    _problem(api.client.get(f"/alerts/{a1}/probe-crop", headers=h[Role.supervisor]), 404)
    facts = api.client.get(f"/alerts/{a1}", headers=h[Role.compliance]).json()
    assert facts["links"]["probe_crop"] is None and facts["score"] == 0.71
    assert facts["camera"]["id"] == "cam-1"
    assert facts["model_id"] == api.operating(live.id)["model_id"]
    assert api.client.get(f"/alerts/{a3}/probe-crop", headers=h[Role.supervisor]).status_code \
        == 200

    clock.at += timedelta(days=5)
    released = api.client.post(f"/holds/{held.json()['id']}/release", headers=h[Role.compliance])
    assert released.status_code == 200 and not released.json()["active"]
    _problem(api.client.post(f"/holds/{held.json()['id']}/release",
                             headers=h[Role.compliance]), 409)
    assert _parts(api, a3) == (True, False)  # released, not yet swept
    sweep(api)
    assert _parts(api, a3) == (False, False)

    deleted = {f"{a1}/probe_crop", f"{a2}/probe_crop", f"{a2}/probe_template",
               f"{a3}/probe_crop"}
    assert _log_ids(api, ours) == sorted(deleted)  # each deletion logged exactly once
    assert _compliance_ids(api, ours) == sorted(deleted)
    sweep(api)
    assert _log_ids(api, ours) == sorted(deleted)  # a second sweep logs nothing again

    exported = api.client.get("/compliance/logs/deletions?format=csv",
                              headers=h[Role.compliance])
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = [r for r in csv.DictReader(io.StringIO(exported.text)) if r["item_id"] in deleted]
    assert len(rows) == 4 and all(r["rule"] and r["deleted_by"] for r in rows)
    assert {r["kind"] for r in rows} == {"alert_biometrics.probe_crop",
                                         "alert_biometrics.probe_template"}
    holds = api.client.get("/compliance/logs/holds?format=json", headers=h[Role.compliance])
    mine = [r for r in holds.json() if r["hold_id"] == held.json()["id"]]
    assert [(r["action"], r["reference"]) for r in mine] == [("placed", "CMP-31"),
                                                             ("released", "CMP-31")]
    assert all(r["actor"].startswith("user:compliance") for r in mine)


def test_holds_refuse_unknown_deleted_and_bad_items(
        api: Api, live: LiveDeployment, clock: Clock, photo_bytes: dict[str, bytes]) -> None:
    _problem(_hold(api, "alert_biometrics", "no-such-alert"), 404)
    _problem(_hold(api, "watchlist_image", "no-such-image"), 404)
    bare = ingest_alert(api, live)  # an alert sent without a crop: nothing to hold
    assert "no biometric data" in _problem(_hold(api, "alert_biometrics", bare), 404)["detail"]
    old = ingest_alert(api, live, crop=crop_of(photo_bytes["biden"]))
    clock.at = now() + timedelta(days=32)
    sweep(api)
    assert "already deleted" in _problem(_hold(api, "alert_biometrics", old), 409)["detail"]
    bad = api.client.post("/holds", headers=api.headers[Role.compliance], json={
        "hold_type": "because", "item_kind": "alert_biometrics", "item_id": old,
        "reference": "X"})
    _problem(bad, 400)
    _problem(_hold(api, "alert_biometrics", old, reference=""), 400)
    _problem(api.client.post("/holds/no-such-hold/release",
                             headers=api.headers[Role.compliance]), 404)
    _problem(_hold(api, "alert_biometrics", old), 409)
    _problem(api.client.post("/holds", headers=api.headers[Role.officer], json={}), 403)


def _deployment(api: Api, dep_id: str) -> dict[str, Any]:
    r = api.client.get(f"/deployments/{dep_id}", headers=api.headers[Role.admin])
    assert r.status_code == 200
    return dict(r.json())


def test_the_watchlist_goes_24_hours_after_the_authorised_end_if_nobody_closes_it(
        api: Api, clock: Clock, photo_bytes: dict[str, bytes]) -> None:
    live = live_deployment(api, photo_bytes["biden"])
    end = datetime.fromisoformat(_deployment(api, live.id)["authorised_end"])
    matcher = api.ctx.matchers.get(live.id)
    assert matcher is not None and len(matcher) == 1
    ours = {live.image_id}
    clock.at = end + timedelta(hours=23, minutes=59)
    sweep(api)
    assert _log_ids(api, ours) == []
    clock.at = end + timedelta(hours=24)
    sweep(api)
    assert _log_ids(api, ours) == [live.image_id, live.image_id]  # image and template
    with api.ctx.db.engine.connect() as conn:
        t = WatchlistImage.__table__  # type: ignore[attr-defined]
        assert conn.execute(sa.select(t).where(t.c.id == live.image_id)).first() is None
        rules = conn.execute(sa.select(LOG.c.kind, LOG.c.rule).where(
            LOG.c.item_id == live.image_id)).all()
    assert {k for k, _ in rules} == {"watchlist_image", "watchlist_template"}
    assert all("24" in rule and "after" in rule for _, rule in rules)
    assert len(matcher) == 0  # the live matcher forgot the entry too
    _problem(api.client.get(f"/watchlist-images/{live.image_id}",
                            headers=api.headers[Role.admin]), 404)
    assert sorted(_compliance_ids(api, ours)) == [live.image_id, live.image_id]


def test_closing_destroys_the_watchlist_except_what_is_held(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    dep = api.deployment(live=True)
    e1 = enrol(api, dep, [("a.jpg", photo_bytes["obama2"])]).json()
    e2 = enrol(api, dep, [("b.jpg", photo_bytes["biden"])], reference="WR-9").json()
    held_image = e2["images"][0]["id"]
    hold = _hold(api, "watchlist_image", held_image, reference="JUD-4",
                 hold_type="judicial_investigation")
    assert hold.status_code == 201, hold.text
    r = api.client.post(f"/deployments/{dep}/close", headers=api.headers[Role.admin])
    assert r.status_code == 200
    gone = e1["images"][0]["id"]
    assert _log_ids(api, {gone, held_image}) == [gone, gone]
    assert _compliance_ids(api, {gone}) == [gone, gone]  # delivered right after the close
    with api.ctx.db.engine.connect() as conn:
        rule = conn.execute(sa.select(LOG.c.rule).where(LOG.c.item_id == gone)).scalars().all()
    assert all("closed" in r for r in rule)
    assert api.client.get(f"/watchlist-images/{held_image}",
                          headers=api.headers[Role.admin]).status_code == 200
    api.client.post(f"/holds/{hold.json()['id']}/release", headers=api.headers[Role.compliance])
    sweep(api)
    assert _log_ids(api, {held_image}) == [held_image, held_image]


def test_removing_an_entry_by_hand_is_logged_and_refused_under_a_hold(
        api: Api, live: LiveDeployment, photo_bytes: dict[str, bytes]) -> None:
    entry = enrol(api, live.id, [("c.jpg", photo_bytes["obama3"])], reference="WR-5").json()
    image = entry["images"][0]["id"]
    hold = _hold(api, "watchlist_image", image).json()
    url = f"/deployments/{live.id}/watchlist/{entry['id']}"
    _problem(api.client.delete(url, headers=api.headers[Role.admin]), 409)
    api.client.post(f"/holds/{hold['id']}/release", headers=api.headers[Role.compliance])
    assert api.client.delete(url, headers=api.headers[Role.admin]).status_code == 204
    assert _log_ids(api, {image}) == [image, image]
    with api.ctx.db.engine.connect() as conn:
        who = conn.execute(sa.select(LOG.c.rule, LOG.c.deleted_by)
                           .where(LOG.c.item_id == image)).all()
    assert {r for r, _ in who} == {"manual:watchlist_entry_removed"}
    assert all(b.startswith("user:admin") for _, b in who)


def test_the_cli_sweep_dry_run_then_real_and_the_exports(
        api: Api, database_url: str, photo_bytes: dict[str, bytes]) -> None:
    """A deployment authorised for a window that ended two days ago: its watchlist is due
    now, by the real clock the CLI uses."""
    h = api.headers
    dep = api.client.post("/deployments", json={"name": "past"}, headers=h[Role.admin]).json()
    api.client.post(f"/deployments/{dep['id']}/authorise", headers=h[Role.authorising_officer],
                    json=authorisation(start=now() - timedelta(days=3)))
    entry = enrol(api, dep["id"], [("p.jpg", photo_bytes["obama"])]).json()
    image = entry["images"][0]["id"]
    runner = CliRunner()
    dry = runner.invoke(retention, ["sweep", "--dry-run", "--json", "--database-url",
                                    database_url], env=CLI_ENV)
    assert dry.exit_code == 0, dry.output
    due = [e["item_id"] for e in json.loads(dry.output)["would_delete"]]
    assert due.count(image) == 2 and _log_ids(api, {image}) == []
    real = runner.invoke(retention, ["sweep", "--database-url", database_url], env=CLI_ENV)
    assert real.exit_code == 0, real.output
    assert "deleted" in real.output and _log_ids(api, {image}) == [image, image]
    out = runner.invoke(compliance, ["export", "deletions", "--format", "json",
                                     "--deployment", dep["id"], "--database-url",
                                     database_url])
    assert out.exit_code == 0, out.output
    assert sorted(r["kind"] for r in json.loads(out.output)) == [
        "watchlist_image", "watchlist_template"]
    csv_out = runner.invoke(compliance, ["export", "holds", "--database-url", database_url])
    assert csv_out.output.splitlines()[0].startswith("hold_id,action,hold_type")
    _problem(api.client.get("/compliance/logs/nope", headers=h[Role.compliance]), 404)


class _DiesAfterFirst(ServiceRetentionStore):
    """The database goes away after the first deletion committed (the real driver fails)."""

    def __init__(self, store: ServiceRetentionStore, dead: sa.Engine) -> None:
        super().__init__(store.engine, store.trail)
        self.dead = dead

    def delete(self, item: RetentionItem, entry: DeletionEntry) -> bool:
        done = super().delete(item, entry)
        self.engine = self.dead
        return done


def _dead_engine(database_url: str, tmp: Any) -> sa.Engine:
    if database_url.startswith("sqlite"):
        return sa.create_engine(f"sqlite:///{tmp}/no/such/dir/lfr.db")
    return sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none",
                            connect_args={"connect_timeout": 2})


def test_a_sweep_whose_database_fails_fails_loudly_and_deletes_nothing_half_way(
        api: Api, live: LiveDeployment, clock: Clock, database_url: str, tmp_path: Any,
        photo_bytes: dict[str, bytes]) -> None:
    t0 = now()
    alerts = [ingest_alert(api, live, crop=crop_of(photo_bytes["obama2"], 64 + i), raised_at=t0)
              for i in range(3)]
    service = RetentionService(api.ctx.db, api.ctx.host, clock=clock)
    clock.at = t0 + timedelta(days=32)
    dead = _dead_engine(database_url, tmp_path)
    service.store = ServiceRetentionStore(dead, api.ctx.db.audit)
    with pytest.raises(RetentionError, match="after 0 deletion"):
        service.sweep()
    assert all(_parts(api, a) == (True, False) for a in alerts)

    service.store = _DiesAfterFirst(ServiceRetentionStore(api.ctx.db.engine, api.ctx.db.audit),
                                    dead)
    with pytest.raises(RetentionError, match="after 1 deletion") as err:
        service.sweep()
    assert "nothing was deleted half-way" in str(err.value)
    # Every item that is gone has exactly one log entry, and no logged item is still there.
    with api.ctx.db.engine.connect() as conn:
        logged = set(conn.execute(sa.select(LOG.c.item_id).where(
            LOG.c.kind == "alert_biometrics")).scalars())
    for alert in alerts:
        present = _parts(api, alert)[0]
        assert present != (f"{alert}/probe_crop" in logged)

    service.store = ServiceRetentionStore(api.ctx.db.engine, api.ctx.db.audit)
    service.sweep()
    ours = {f"{a}/probe_crop" for a in alerts}
    assert _log_ids(api, ours) == sorted(ours)
    dead.dispose()


def test_the_server_sweeps_on_its_schedule(plugin_host: PluginHost, database_url: str,
                                           photo_bytes: dict[str, bytes]) -> None:
    gen = build_api(plugin_host, database_url, retention_sweep_seconds=0.2)
    api = next(gen)
    try:
        live = live_deployment(api, photo_bytes["obama"])
        t0 = now()
        alert = ingest_alert(api, live, crop=crop_of(photo_bytes["obama"]), raised_at=t0)
        assert api.ctx.retention is not None
        api.ctx.retention.clock = Clock(t0 + timedelta(days=31, minutes=1))
        deadline = time.monotonic() + 10
        while _parts(api, alert)[0] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _parts(api, alert) == (False, False)
        assert _log_ids(api, {f"{alert}/probe_crop"}) == [f"{alert}/probe_crop"]
    finally:
        gen.close()
