"""Compliance isolation: nothing but the service, for its own deployments, writes into a
service's compliance and audit tables — not ``lfr demo`` on the same host, not a standalone
run whose ``LFR_DATABASE_URL``/``LFR_HOME`` points at the service's database; and an
in-process alert has one id everywhere (pipeline log, API, feed, audit and compliance rows).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from lfr_api.compliance.wiring import wire_compliance
from lfr_api.db.engine import make_engine, upgrade
from lfr_api.live.inprocess import InProcessAlerts
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, now
from lfr_api.testing.data import LiveDeployment, live_deployment
from lfr_compliance import plugin

from lfr_framework.imaging import decode_image
from lfr_framework.types import Alert, new_alert_id

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def live(api: Api, photo_bytes: dict[str, bytes]) -> LiveDeployment:
    return live_deployment(api, photo_bytes["obama"])


def _core_alert(live: LiveDeployment, photo: bytes) -> Alert:
    t = now()
    return Alert(alert_id=new_alert_id(), deployment_id=live.id, camera_id="cam-1",
                 track_id=7, entry_id=live.entry["id"], score=0.7, threshold=0.5,
                 model_id="sface", raised_at=t, frame_timestamp=t, first_seen_at=t,
                 probe_crop=decode_image(photo, "photo")[:96, :96].copy())


def _ids(engine: sa.Engine, sql: str, **params: str) -> list[str]:
    with engine.connect() as conn:
        return [str(row[0]) for row in conn.execute(sa.text(sql), params)]


def test_an_in_process_alert_has_one_id_everywhere(
        api: Api, live: LiveDeployment, photo_bytes: dict[str, bytes]) -> None:
    alert = _core_alert(live, photo_bytes["obama"])
    with api.client.websocket_connect(f"/deployments/{live.id}/feed",
                                      headers=api.headers[Role.supervisor]) as ws:
        # What the service's pipeline does with each alert (live/pipelines.py): store it,
        # then tell the plugins (the compliance plugin records it).
        InProcessAlerts(api.ctx)(alert)
        api.ctx.host.alert_raised(alert)
        message = ws.receive_json(timeout=5)
        while message["type"] != "alert.raised":
            message = ws.receive_json(timeout=5)
    assert message["alert"]["id"] == alert.alert_id
    r = api.client.get(f"/alerts/{alert.alert_id}", headers=api.headers[Role.officer])
    assert r.status_code == 200, r.text
    r = api.client.post(f"/alerts/{alert.alert_id}/decision", headers=api.headers[Role.officer],
                        json={"decision": "no_engage", "outcome": "not_located"})
    assert r.status_code == 200, r.text
    engine = api.ctx.db.engine
    activity = _ids(engine, "SELECT kind FROM compliance_activity WHERE subject_id = :a",
                    a=alert.alert_id)
    assert "alert_raised" in activity and "decision_recorded" in activity
    assert _ids(engine, "SELECT action FROM audit_log WHERE subject = :s",
                s=f"alert:{alert.alert_id}")


@pytest.fixture
def standalone(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The compliance plugin as a standalone run sees it (not configured by a service)."""
    monkeypatch.delenv("LFR_DATABASE_URL", raising=False)
    plugin.reset()
    try:
        yield
    finally:
        plugin.reset()
        wire_compliance(api.ctx.host, api.ctx.db.engine)  # this module's app again


def test_standalone_events_never_write_into_a_service_database(
        standalone: None, live: LiveDeployment, photo_bytes: dict[str, bytes],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "service-home"
    service = make_engine(f"sqlite:///{home / 'lfr.db'}")
    upgrade(service)
    monkeypatch.setenv("LFR_HOME", str(home))
    plugin.alert_raised(_core_alert(live, photo_bytes["obama"]))
    assert _ids(service, "SELECT subject_id FROM compliance_activity") == []
    # A database of its own (not a service's) still gets the standalone run's records.
    own = tmp_path / "own.db"
    monkeypatch.setenv("LFR_DATABASE_URL", f"sqlite:///{own}")
    alert = _core_alert(live, photo_bytes["obama"])
    plugin.alert_raised(alert)
    assert _ids(make_engine(f"sqlite:///{own}"),
                "SELECT subject_id FROM compliance_activity") == [alert.alert_id]
    service.dispose()


def _counts(engine: sa.Engine) -> dict[str, int]:
    tables = ("audit_log", "compliance_activity", "compliance_deletion_log",
              "compliance_discards", "compliance_hold_log")
    with engine.connect() as conn:
        return {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in tables}


@pytest.mark.slow
def test_lfr_demo_on_a_service_host_leaves_the_service_database_alone(tmp_path: Path) -> None:
    home = tmp_path / "service-home"
    env = {**os.environ, "LFR_HOME": str(home)}
    env.pop("LFR_DATABASE_URL", None)
    cli = [sys.executable, "-m", "lfr_framework.cli"]
    subprocess.run([*cli, "users", "create", "--role", "admin", "--password-stdin", "boss"],
                   input=PASSWORD + "\n", text=True, env=env, check=True,
                   capture_output=True, timeout=120)
    service = make_engine(f"sqlite:///{home / 'lfr.db'}")
    before = _counts(service)
    r = subprocess.run([*cli, "demo"], env=env, text=True, capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert _counts(service) == before
    demo_db = make_engine(f"sqlite:///{home / 'demo' / 'demo.db'}")
    assert _ids(demo_db, "SELECT kind FROM compliance_activity").count("alert_raised") >= 1
    service.dispose()
    demo_db.dispose()
