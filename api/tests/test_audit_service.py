"""Every state change of the service is on the hash-chained audit trail, written in the same
transaction as the change; ``lfr audit verify`` passes on the untouched trail and names the
entry when the database is edited directly or the trail is cut short."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from lfr_api.db.models import AUDIT_TABLES
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api
from lfr_api.testing.data import crop_of, ingest_alert, live_deployment

from lfr_framework.cli.audit_cmd import audit

LOG = AUDIT_TABLES.log


def _actions(api: Api) -> list[str]:
    with api.ctx.db.engine.connect() as conn:
        return list(conn.execute(sa.select(LOG.c.action).order_by(LOG.c.seq)).scalars())


def _verify(database_url: str) -> Any:
    return CliRunner().invoke(audit, ["verify", "--database-url", database_url])


@pytest.fixture(scope="module")
def history(api: Api, photo_bytes: dict[str, bytes]) -> dict[str, Any]:
    """A deployment's whole life through the API, and a sweep."""
    h = api.headers
    uid, _ = api.add_user(Role.officer)
    assert api.client.patch(f"/users/{uid}", json={"role": "supervisor"},
                            headers=h[Role.admin]).status_code == 200
    draft = api.client.post("/deployments", json={"name": "Draft", "location": "x"},
                            headers=h[Role.admin]).json()["id"]
    assert api.client.post(f"/deployments/{draft}/cameras", headers=h[Role.admin], json={
        "camera_id": "cam-2", "source": "video", "uri": "file:///dev/null"}).status_code == 201
    assert api.client.delete(f"/deployments/{draft}/cameras/cam-2",
                             headers=h[Role.admin]).status_code == 204
    live = live_deployment(api, photo_bytes["obama"], cameras=("cam-1", "cam-2"))
    # once authorised, cameras are part of what was authorised (409, nothing recorded)
    assert api.client.delete(f"/deployments/{live.id}/cameras/cam-2",
                             headers=h[Role.admin]).status_code == 409
    crop = crop_of(photo_bytes["obama2"])
    alert = ingest_alert(api, live, crop=crop)
    decision = {"decision": "engage", "outcome": "arrested"}
    assert api.client.post(f"/alerts/{alert}/decision", json=decision,
                           headers=h[Role.officer]).status_code == 200
    assert api.client.post(f"/alerts/{alert}/amendments", headers=h[Role.supervisor], json={
        "decision": "engage", "outcome": "words_of_advice", "reason": "custody review"}
    ).status_code == 200
    hold = api.client.post("/holds", headers=h[Role.compliance], json={
        "hold_type": "evidential", "item_kind": "alert_biometrics", "item_id": alert,
        "reference": "CASE-1"}).json()
    api.client.post(f"/holds/{hold['id']}/release", headers=h[Role.compliance])
    assert api.client.post(f"/deployments/{live.id}/close",
                           headers=h[Role.admin]).status_code == 200
    assert api.ctx.retention is not None
    api.ctx.retention.sweep()
    return {"live": live, "alert": alert, "crop": crop}


def test_every_state_change_is_on_the_trail(api: Api, history: dict[str, Any]) -> None:
    actions = set(_actions(api))
    assert {"auth.login", "user.created", "user.updated", "deployment.created",
            "camera.added", "camera.removed", "deployment.authorised", "deployment.published",
            "deployment.live", "deployment.user_assigned", "service_account.created",
            "watchlist.entry_added", "alert.raised", "alert.decision_recorded",
            "alert.decision_amended", "hold.placed", "hold.released", "deployment.closed",
            "retention.deleted", "retention.sweep"} <= actions
    with api.ctx.db.engine.connect() as conn:
        details = " ".join(conn.execute(sa.select(LOG.c.details)).scalars())
        subjects = conn.execute(sa.select(LOG.c.subject).where(
            LOG.c.action == "retention.deleted")).scalars().all()
    assert base64.b64encode(history["crop"])[:40].decode() not in details
    assert "file:///dev/null" not in details  # camera URIs (may hold credentials) are not
    assert {f"watchlist_image:{history['live'].image_id}",
            f"watchlist_template:{history['live'].image_id}"} <= set(subjects)


def test_a_refused_change_leaves_no_entry(api: Api, history: dict[str, Any]) -> None:
    before = _actions(api)
    other = {"decision": "no_engage", "outcome": "not_located"}
    r = api.client.post(f"/alerts/{history['alert']}/decision", json=other,
                        headers=api.headers[Role.officer])
    assert r.status_code == 409
    assert _actions(api) == before


def test_verify_passes_untouched_and_names_the_entry_edited_or_cut(
        api: Api, history: dict[str, Any], database_url: str) -> None:
    ok = _verify(database_url)
    assert ok.exit_code == 0 and "audit trail intact" in ok.output, ok.output
    engine = api.ctx.db.engine
    with engine.connect() as conn:
        rows = conn.execute(sa.select(LOG).order_by(LOG.c.seq)).all()
    n = rows[-1].seq
    target = rows[n // 2]
    with engine.begin() as conn:  # an insider edits a decision's entry directly
        conn.execute(LOG.update().where(LOG.c.seq == target.seq)
                     .values(details='{"outcome":"no_further_action"}'))
    broken = _verify(database_url)
    assert broken.exit_code != 0
    assert f"audit trail broken at entry {target.seq}" in broken.output
    assert "was altered" in broken.output
    with engine.begin() as conn:
        conn.execute(LOG.update().where(LOG.c.seq == target.seq)
                     .values(details=target.details))
    assert _verify(database_url).exit_code == 0

    with engine.begin() as conn:  # the last two entries removed
        conn.execute(LOG.delete().where(LOG.c.seq > n - 2))
    cut = _verify(database_url)
    assert cut.exit_code != 0 and f"broken at entry {n - 1}" in cut.output
    assert f"cut short after entry {n - 2}" in cut.output
    with engine.begin() as conn:
        conn.execute(LOG.insert(), [r._asdict() for r in rows[-2:]])
    assert _verify(database_url).exit_code == 0
