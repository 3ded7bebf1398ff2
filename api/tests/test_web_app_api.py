"""What the web app needs beyond the phone contract: the four South Wales Police outcomes,
the probe's quality, who else is looking, camera tests, per-image enrolment feedback, the
audit check, and the app itself at /app/. Each bad input is tested."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from lfr_api.db.models import Alert, AlertViewer, WatchlistEntry
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, enrol, now
from lfr_api.webapp import static
from sqlmodel import func, select

from lfr_framework.evaluation.scenes import Pass, SceneSpec, render_scene


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def live(api: Api, photo_bytes: dict[str, bytes]) -> dict[str, Any]:
    dep = api.deployment(live=True)
    r = enrol(api, dep, [("obama.jpg", photo_bytes["obama"])])
    assert r.status_code == 201, r.text
    api.assign(dep)
    api.assign(dep, Role.supervisor)
    return {"dep": dep, "entry": r.json()["id"], "key": api.service_key(dep)}


def _crop(photo: bytes, blur: int = 0) -> str:
    image = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
    h, w = image.shape[:2]
    crop = image[h // 6: h * 5 // 6, w // 6: w * 5 // 6]
    if blur:
        crop = cv2.GaussianBlur(crop, (0, 0), blur)
    ok, buf = cv2.imencode(".jpg", crop)
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


def _ingest(api: Api, live: dict[str, Any], crop: str | None = None) -> dict[str, Any]:
    t = now().isoformat()
    body: dict[str, Any] = {"camera_id": "cam-1", "entry_id": live["entry"], "score": 0.7,
                            **api.operating(live["dep"]), "raised_at": t,
                            "frame_timestamp": t}
    if crop is not None:
        body["probe_crop_jpeg_base64"] = crop
    r = api.client.post("/ingest/alerts", json=body,
                        headers={**live["key"], "Idempotency-Key": f"k-{now().timestamp()}"})
    assert r.status_code == 201, r.text
    alert: dict[str, Any] = r.json()
    return alert


def _decide(api: Api, alert_id: str, role: Role = Role.officer, **body: Any) -> Any:
    return api.client.post(f"/alerts/{alert_id}/decision", json=body,
                           headers=api.headers[role])


# -- the four outcomes ---------------------------------------------------------------------

@pytest.mark.parametrize(("decision", "outcome", "stated", "recorded"), [
    ("engage", "arrested", None, "confirmed_true_alert"),
    ("engage", "false_alert_not_the_person", None, "confirmed_false_alert"),
    ("no_engage", "false_alert_not_the_person", None, "false_alert"),
    ("no_engage", "not_located", None, None),
    ("no_engage", "not_located", "true_alert", "true_alert"),
    ("engage", "no_further_action", "confirmed_true_alert", "confirmed_true_alert"),
    ("engage", "other", "confirmed_false_alert", "confirmed_false_alert"),
])
def test_the_four_outcomes_are_recorded_or_derived(
        api: Api, live: dict[str, Any], decision: str, outcome: str, stated: str | None,
        recorded: str | None) -> None:
    alert = _ingest(api, live)
    body = {"decision": decision, "outcome": outcome, "note": "n"}
    if stated:
        body["assessment"] = stated
    r = _decide(api, alert["id"], **body)
    assert r.status_code == 200, r.text
    assert r.json()["decision"]["assessment"] == recorded
    # The same decision again is harmless; the assessment is part of "the same".
    assert _decide(api, alert["id"], **body).status_code == 200


@pytest.mark.parametrize(("decision", "outcome", "stated"), [
    ("no_engage", "not_located", "confirmed_true_alert"),     # confirmed needs engaging
    ("engage", "arrested", "true_alert"),                     # engaged: not unconfirmed
    ("engage", "false_alert_not_the_person", "confirmed_true_alert"),
    ("engage", "arrested", "confirmed_false_alert"),
    ("no_engage", "false_alert_not_the_person", "true_alert"),
])
def test_an_assessment_that_contradicts_the_decision_is_400(
        api: Api, live: dict[str, Any], decision: str, outcome: str, stated: str) -> None:
    alert = _ingest(api, live)
    body = _problem(_decide(api, alert["id"], decision=decision, outcome=outcome,
                            assessment=stated), 400)
    assert body["errors"][0]["field"] == "assessment"
    assert api.client.get(f"/alerts/{alert['id']}",
                          headers=api.headers[Role.officer]).json()["state"] == "pending"


def test_an_unknown_assessment_is_400(api: Api, live: dict[str, Any]) -> None:
    alert = _ingest(api, live)
    body = _problem(_decide(api, alert["id"], decision="engage", outcome="arrested",
                            assessment="probably"), 400)
    assert "assessment" in body["errors"][0]["field"]


def test_a_conflict_shows_the_other_officers_decision(api: Api, live: dict[str, Any]) -> None:
    alert = _ingest(api, live)
    assert _decide(api, alert["id"], decision="no_engage",
                   outcome="false_alert_not_the_person").status_code == 200
    body = _problem(_decide(api, alert["id"], Role.supervisor, decision="engage",
                            outcome="arrested"), 409)
    assert body["current"]["assessment"] == "false_alert"
    assert body["current"]["decided_by"].startswith("user:officer-")
    assert body["current"]["decided_at"]


def test_the_report_counts_by_assessment(api: Api, photo_bytes: dict[str, bytes]) -> None:
    dep = api.deployment(live=True)
    entry = enrol(api, dep, [("obama.jpg", photo_bytes["obama"])]).json()["id"]
    api.assign(dep)
    here = {"dep": dep, "entry": entry, "key": api.service_key(dep)}
    for stated, outcome, decision in (("true_alert", "not_located", "no_engage"),
                                      ("confirmed_false_alert", "other", "engage"),
                                      (None, "not_located", "no_engage")):
        alert = _ingest(api, here)
        body = {"decision": decision, "outcome": outcome}
        if stated:
            body["assessment"] = stated
        assert _decide(api, alert["id"], **body).status_code == 200
    results = api.client.get(f"/deployments/{dep}/report",
                             headers=api.headers[Role.compliance]).json()["results"]
    assert (results["true_alerts"], results["false_alerts"],
            results["undetermined_alerts"]) == (1, 1, 1)
    assert results["false_alert_engagements"] == 1


# -- the probe's quality -------------------------------------------------------------------

def test_the_probe_quality_is_measured_once_and_blur_shows(
        api: Api, live: dict[str, Any], photo_bytes: dict[str, bytes]) -> None:
    sharp = _ingest(api, live, _crop(photo_bytes["obama"]))["probe_quality"]
    blurred = _ingest(api, live, _crop(photo_bytes["obama"], blur=6))["probe_quality"]
    none = _ingest(api, live)["probe_quality"]
    assert none is None
    assert sharp["width"] > 100 and sharp["height"] > 100
    assert sharp["face_px"] == pytest.approx(sharp["height"] / 1.8, abs=0.1)
    assert sharp["sharpness"] > 4 * blurred["sharpness"]
    # a crop that is not an image is refused by the image gate (was: stored, quality None)
    r = api.client.post("/ingest/alerts", headers={**live["key"], "Idempotency-Key": "bad"},
                        json={"camera_id": "cam-1", "entry_id": live["entry"], "score": 0.7,
                              **api.operating(live["dep"]),
                              "raised_at": now().isoformat(),
                              "frame_timestamp": now().isoformat(),
                              "probe_crop_jpeg_base64": base64.b64encode(b"not a jpeg").decode()})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "probe_crop_jpeg_base64"


# -- who else is looking -------------------------------------------------------------------

def test_viewers_see_each_other_and_engaging_shows(api: Api, live: dict[str, Any]) -> None:
    alert = _ingest(api, live)
    path = f"/alerts/{alert['id']}/viewers"
    h = api.headers
    mine = api.client.put(path, json={}, headers=h[Role.officer])
    assert mine.status_code == 200, mine.text
    assert [(v["role"], v["me"]) for v in mine.json()] == [("officer", True)]
    theirs = api.client.put(path, json={"activity": "engaging"}, headers=h[Role.supervisor])
    both = {v["role"]: v for v in theirs.json()}
    assert both["supervisor"]["activity"] == "engaging" and both["supervisor"]["me"]
    assert not both["officer"]["me"]
    seen = api.client.get(path, headers=h[Role.officer]).json()
    assert {v["role"] for v in seen} == {"officer", "supervisor"}
    assert api.client.delete(path, headers=h[Role.supervisor]).status_code == 204
    assert [v["role"] for v in api.client.get(path, headers=h[Role.officer]).json()] == [
        "officer"]
    _problem(api.client.put(path, json={"activity": "staring"}, headers=h[Role.officer]), 400)
    _problem(api.client.put("/alerts/nope/viewers", json={}, headers=h[Role.officer]), 404)
    _problem(api.client.get(path, headers=h[Role.compliance]), 403)


def test_a_stale_viewer_is_forgotten(api: Api, live: dict[str, Any]) -> None:
    from datetime import timedelta

    alert = _ingest(api, live)
    path = f"/alerts/{alert['id']}/viewers"
    api.client.put(path, json={}, headers=api.headers[Role.supervisor])
    with api.ctx.db.session() as session:
        row = session.exec(select(AlertViewer).where(AlertViewer.alert_id == alert["id"])).one()
        row.seen_at = now() - timedelta(seconds=31)
        session.add(row)
    seen = api.client.get(path, headers=api.headers[Role.officer]).json()
    assert seen == []


def test_an_officer_not_assigned_cannot_see_viewers(api: Api, live: dict[str, Any]) -> None:
    alert = _ingest(api, live)
    _, stranger = api.add_user(Role.officer)
    _problem(api.client.put(f"/alerts/{alert['id']}/viewers", json={}, headers=stranger), 403)


# -- camera test ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory, real_photos: dict[str, Path]) -> Path:
    spec = SceneSpec(duration_s=1.5, width=960, height=540, passes=[
        Pass(identity="passer-by", photo="grace_hopper", start_s=0.0, duration_s=1.5,
             face_height_px=140, y_frac=0.45)])
    video = tmp_path_factory.mktemp("cam") / "street.mp4"
    render_scene(spec, real_photos, video)
    return video


def test_a_camera_test_answers_one_frame_with_its_faces_and_stores_nothing(
        api: Api, street: Path) -> None:
    dep = api.client.post("/deployments", json={"name": "cam test"},
                          headers=api.headers[Role.admin]).json()["id"]
    with api.ctx.db.session() as session:
        alerts_before = session.exec(select(func.count()).select_from(Alert)).one()
    r = api.client.post(f"/deployments/{dep}/camera-test", headers=api.headers[Role.admin],
                        json={"camera_id": "gate-1", "source": "video", "uri": str(street)})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    out = r.json()
    frame = cv2.imdecode(np.frombuffer(base64.b64decode(out["frame_jpeg_base64"]), np.uint8),
                         cv2.IMREAD_COLOR)
    assert frame.shape[:2] == (out["height"], out["width"]) == (540, 960)
    assert len(out["faces"]) == 1
    face = out["faces"][0]
    assert 0 <= face["x"] < 960 and face["height"] > 60 and face["passes_quality"]
    with api.ctx.db.session() as session:
        assert session.exec(select(func.count()).select_from(Alert)).one() == alerts_before
    # Nothing was added as a camera either.
    assert api.client.get(f"/deployments/{dep}/cameras",
                          headers=api.headers[Role.admin]).json() == []


def test_a_camera_test_of_a_bad_source_is_a_clear_error(api: Api, tmp_path: Path) -> None:
    dep = api.client.post("/deployments", json={"name": "bad cam"},
                          headers=api.headers[Role.admin]).json()["id"]
    url = f"/deployments/{dep}/camera-test"
    h = api.headers[Role.admin]
    missing = _problem(api.client.post(url, headers=h, json={
        "camera_id": "gate-1", "source": "video", "uri": str(tmp_path / "none.mp4")}), 422)
    assert "gate-1" in missing["detail"] and missing["errors"][0]["field"] == "uri"
    _problem(api.client.post(url, headers=h, json={
        "camera_id": "gate-1", "source": "no-such-source", "uri": "x"}), 400)
    _problem(api.client.post(url, headers=h, json={
        "camera_id": "bad id!", "source": "video", "uri": "x"}), 400)
    _problem(api.client.post(url, headers=h, json={
        "camera_id": "g", "source": "video", "uri": "x", "within_s": 0}), 400)
    _problem(api.client.post(url, headers=api.headers[Role.officer], json={
        "camera_id": "g", "source": "video", "uri": "x"}), 403)


# -- per-image enrolment feedback ----------------------------------------------------------

def test_watchlist_check_judges_each_image_and_stores_nothing(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    dep = api.client.post("/deployments", json={"name": "check"},
                          headers=api.headers[Role.admin]).json()["id"]
    image = cv2.imdecode(np.frombuffer(photo_bytes["biden"], np.uint8), cv2.IMREAD_COLOR)
    tiny = cv2.resize(image, (64, round(64 * image.shape[0] / image.shape[1])))
    ok, buf = cv2.imencode(".jpg", tiny)
    assert ok
    files = [("images", ("good.jpg", photo_bytes["obama"], "image/jpeg")),
             ("images", ("cat.jpg", photo_bytes["chelsea"], "image/jpeg")),
             ("images", ("tiny.jpg", buf.tobytes(), "image/jpeg")),
             ("images", ("notes.txt", b"not an image", "text/plain"))]
    with api.ctx.db.session() as session:
        before = session.exec(select(func.count()).select_from(WatchlistEntry)).one()
    r = api.client.post(f"/deployments/{dep}/watchlist-check", files=files,
                        headers=api.headers[Role.admin])
    assert r.status_code == 200, r.text
    by_name = {c["filename"]: c for c in r.json()}
    assert by_name["good.jpg"]["accepted"] and by_name["good.jpg"]["check"] is None
    assert by_name["good.jpg"]["face_px"] > by_name["good.jpg"]["min_face_px"]
    assert (by_name["cat.jpg"]["check"], by_name["cat.jpg"]["faces"]) == ("no_face", 0)
    assert by_name["tiny.jpg"]["check"] in ("face_too_small", "no_face")
    assert not by_name["tiny.jpg"]["accepted"] and "tiny.jpg" in by_name["tiny.jpg"]["message"]
    assert by_name["notes.txt"]["check"] == "decode"
    with api.ctx.db.session() as session:
        assert session.exec(select(func.count()).select_from(WatchlistEntry)).one() == before
    _problem(api.client.post(f"/deployments/{dep}/watchlist-check", data={"x": "y"},
                             headers=api.headers[Role.admin]), 400)
    _problem(api.client.post("/deployments/nope/watchlist-check", files=files[:1],
                             headers=api.headers[Role.admin]), 404)


# -- audit verify --------------------------------------------------------------------------

def test_audit_verify_reports_the_chain_and_names_a_tampered_entry(
        api: Api, live: dict[str, Any]) -> None:
    r = api.client.get("/compliance/audit/verify", headers=api.headers[Role.compliance])
    assert r.status_code == 200, r.text
    good = r.json()
    assert good["ok"] and good["checked"] == good["head_seq"] > 0 and good["reason"] == ""
    import sqlalchemy as sa

    log = api.ctx.db.audit.tables.log
    with api.ctx.db.engine.begin() as conn:
        actor = conn.execute(sa.select(log.c.actor).where(log.c.seq == 2)).scalar_one()
        conn.execute(sa.update(log).where(log.c.seq == 2).values(actor="user:mallory"))
    try:
        bad = api.client.get("/compliance/audit/verify",
                             headers=api.headers[Role.compliance]).json()
        assert not bad["ok"] and bad["first_bad_seq"] == 2 and "entry 2" in bad["reason"]
    finally:
        with api.ctx.db.engine.begin() as conn:
            conn.execute(sa.update(log).where(log.c.seq == 2).values(actor=actor))
    _problem(api.client.get("/compliance/audit/verify", headers=api.headers[Role.admin]), 403)


# -- the app at /app/ ----------------------------------------------------------------------

def test_the_app_is_served_with_its_cache_policy(api: Api) -> None:
    if not static.built():
        r = api.client.get("/app/")
        assert r.status_code == 503 and "make web" in r.text
        pytest.skip("the web app is not built here (make web builds it; make test does)")
    page = api.client.get("/app/")
    assert page.status_code == 200 and "<div id=\"app\">" in page.text
    assert page.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    sw = api.client.get("/app/sw.js")
    assert sw.status_code == 200 and sw.headers["cache-control"] == "no-cache"
    assert "__LFR_SHELL__" not in sw.text
    manifest = api.client.get("/app/manifest.webmanifest").json()
    assert manifest["start_url"] == "/app/" and len(manifest["icons"]) >= 3
    asset = next(p for p in (static.DIST / "assets").iterdir() if p.suffix == ".js")
    r = api.client.get(f"/app/assets/{asset.name}")
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    icon = api.client.get("/app/icons/icon-192.png")
    assert icon.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert api.client.get("/app/nope.js").status_code == 404
