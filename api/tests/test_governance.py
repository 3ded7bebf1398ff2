"""Governance: cameras are part of what was authorised (changing one afterwards is a 409
saying re-authorisation is needed, and changes nothing); each camera's health (connected,
outage since, frames) is in the API and a camera whose source failed is shown as such in
the report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, build_api, now
from lfr_api.testing.data import LiveDeployment, live_deployment

from lfr_framework.plugins import PluginHost

CAMERA = {"camera_id": "cam-9", "source": "video", "uri": "file:///dev/null",
          "location_name": "somewhere else"}


def _cameras(api: Api, dep: str) -> list[dict[str, Any]]:
    r = api.client.get(f"/deployments/{dep}/cameras", headers=api.headers[Role.admin])
    assert r.status_code == 200, r.text
    return list(r.json())


def _camera_audit(api: Api) -> int:
    import sqlalchemy as sa

    from lfr_framework.audit.sql import audit_tables

    log = audit_tables(sa.MetaData()).log
    with api.ctx.db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(log).where(
            log.c.action.in_(["camera.added", "camera.replaced", "camera.removed"]))).scalar())


@pytest.mark.parametrize("live", [False, True], ids=["authorised", "live"])
def test_changing_a_camera_after_authorisation_is_409(api: Api, live: bool) -> None:
    dep = api.deployment(live=live)
    before, audited = _cameras(api, dep), _camera_audit(api)
    c, h = api.client, api.headers[Role.admin]
    attempts = [c.post(f"/deployments/{dep}/cameras", json=CAMERA, headers=h),
                c.put(f"/deployments/{dep}/cameras/cam-1",
                      json={**CAMERA, "camera_id": "cam-1", "uri": "rtsp://10.0.0.9/other"},
                      headers=h),
                c.delete(f"/deployments/{dep}/cameras/cam-1", headers=h)]
    for r in attempts:
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "re-authorisation" in r.json()["detail"]
    assert [x["uri"] for x in _cameras(api, dep)] == [x["uri"] for x in before]
    assert _camera_audit(api) == audited


def test_a_draft_changes_its_cameras_freely(api: Api) -> None:
    r = api.client.post("/deployments", json={"name": "Draft", "location": "x"},
                        headers=api.headers[Role.admin])
    dep, h = r.json()["id"], api.headers[Role.admin]
    assert api.client.post(f"/deployments/{dep}/cameras", json=CAMERA,
                           headers=h).status_code == 201
    assert api.client.put(f"/deployments/{dep}/cameras/cam-9",
                          json={**CAMERA, "uri": "file:///tmp/x.mp4"},
                          headers=h).status_code == 200
    assert api.client.delete(f"/deployments/{dep}/cameras/cam-9",
                             headers=h).status_code == 204
    # a draft's cameras are stopped: no pipeline yet
    api.client.post(f"/deployments/{dep}/cameras", json=CAMERA, headers=h)
    assert _cameras(api, dep)[0]["health"]["state"] == "stopped"


def _counts(api: Api, live: LiveDeployment, camera: str, frames: int, key: str) -> None:
    t = now()
    r = api.client.post("/ingest/counters", headers={**live.key, "Idempotency-Key": key},
                        json={"camera_id": camera, "frames_processed": frames,
                              "period_start": (t - timedelta(seconds=60)).isoformat(),
                              "period_end": t.isoformat()})
    assert r.status_code == 201, r.text


def test_camera_health_from_the_nodes_reports(api: Api, photo_bytes: dict[str, bytes]) -> None:
    live = live_deployment(api, photo_bytes["obama"], cameras=("cam-ok", "cam-dead",
                                                                "cam-new"))
    _counts(api, live, "cam-ok", 1500, "ok-1")
    _counts(api, live, "cam-dead", 900, "dead-1")
    _counts(api, live, "cam-dead", 0, "dead-2")  # its source stopped delivering
    health = {c["camera_id"]: c["health"] for c in _cameras(api, live.id)}
    assert health["cam-ok"]["state"] == "connected"
    assert health["cam-ok"]["frames_read"] == 1500 and health["cam-ok"]["fps"] == 25.0
    assert health["cam-ok"]["outage_since"] is None
    assert health["cam-dead"]["state"] == "outage" and health["cam-dead"]["outage_since"]
    assert health["cam-dead"]["frames_read"] == 900
    assert health["cam-new"]["state"] == "unknown" and health["cam-new"]["frames_read"] == 0
    officer = api.client.get(f"/deployments/{live.id}/cameras",
                             headers=api.headers[Role.officer])
    assert officer.status_code == 200 and officer.json()[0]["health"]
    # The report shows the camera that saw nothing, and does not count it as watching.
    r = api.client.post(f"/deployments/{live.id}/close", headers=api.headers[Role.admin])
    assert r.status_code == 200, r.text
    report = api.client.get(f"/deployments/{live.id}/report",
                            headers=api.headers[Role.admin]).json()
    facts = {c["camera_id"]: c for c in report["cameras"]}
    assert facts["cam-ok"]["delivered_frames"] and facts["cam-ok"]["frames_read"] == 1500
    assert not facts["cam-new"]["delivered_frames"]
    html = api.client.get(f"/deployments/{live.id}/report?format=html",
                          headers=api.headers[Role.admin])
    assert html.status_code == 200
    assert "cam-new (cam-new at the station entrance: no frames, its source failed)" in html.text
    assert "cam-ok (cam-ok at the station entrance)" in html.text
    summary = api.client.get(f"/public/deployments/{live.id}/summary")
    assert summary.status_code == 200, summary.text
    assert summary.json()["cameras"] == 3 and summary.json()["cameras_without_frames"] == 1


@pytest.fixture(scope="module")
def running(plugin_host: PluginHost, database_url: str) -> Iterator[Api]:
    """The app running its pipelines in process (as ``lfr serve`` does)."""
    yield from build_api(plugin_host, database_url, run_pipelines=True,
                         pipeline_poll_seconds=0.2)


def test_a_camera_whose_source_fails_is_in_an_outage(running: Api) -> None:
    dep = running.deployment(live=True, cameras=("cam-gone",),
                             camera_fields={"uri": "/nonexistent/lfr-camera.mp4"})
    deadline = time.monotonic() + 30
    health: dict[str, Any] = {}
    while time.monotonic() < deadline:
        health = _cameras(running, dep)[0]["health"]
        if health["state"] == "outage":
            break
        time.sleep(0.2)
    assert health["state"] == "outage", health
    assert health["outage_since"] is not None and health["frames_read"] == 0
    running.client.post(f"/deployments/{dep}/close", headers=running.headers[Role.admin])
