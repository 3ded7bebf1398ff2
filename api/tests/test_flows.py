"""Deployments, watchlists, alerts, decisions and the feed, with each error tested."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from lfr_api.db.models import WatchlistEntry, WatchlistImage
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, authorisation, enrol, now
from lfr_api.testing.data import as_stored
from sqlmodel import func, select


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.fixture(scope="module")
def live(api: Api, photo_bytes: dict[str, bytes]) -> dict[str, Any]:
    """One live deployment with one enrolled entry (shared: models cost time)."""
    dep = api.deployment(live=True, published=True)
    r = enrol(api, dep, [("obama.jpg", photo_bytes["obama"])])
    assert r.status_code == 201, r.text
    api.assign(dep)
    return {"dep": dep, "entry": r.json(), "key": api.service_key(dep)}


def _alert_body(api: Api, live: dict[str, Any], camera: str = "cam-1") -> dict[str, Any]:
    t = now().isoformat()
    return {"camera_id": camera, "entry_id": live["entry"]["id"], "score": 0.71,
            **api.operating(live["dep"]), "raised_at": t, "frame_timestamp": t}


def _counts(api: Api) -> tuple[int, int]:
    with api.ctx.db.session() as s:
        return (s.exec(select(func.count()).select_from(WatchlistEntry)).one(),
                s.exec(select(func.count()).select_from(WatchlistImage)).one())


def test_malformed_body_is_400_naming_the_field(api: Api) -> None:
    r = api.client.post("/deployments", json={"name": ""}, headers=api.headers[Role.admin])
    body = _problem(r, 400)
    assert any("name" in e["field"] for e in body["errors"])
    r = api.client.post("/deployments", json={"name": "x", "bogus": 1},
                        headers=api.headers[Role.admin])
    assert any("bogus" in e["field"] for e in _problem(r, 400)["errors"])


def test_unknown_ids_are_404(api: Api) -> None:
    _problem(api.client.get("/deployments/nope", headers=api.headers[Role.admin]), 404)
    _problem(api.client.get("/alerts/nope", headers=api.headers[Role.supervisor]), 404)


def test_unknown_plugin_option_is_400(api: Api) -> None:
    r = api.client.post("/deployments", headers=api.headers[Role.admin],
                        json={"name": "x", "detector": "no-such-detector"})
    _problem(r, 400)


def test_lifecycle_is_recorded_and_public_notice_has_no_watchlist(
        api: Api, live: dict[str, Any]) -> None:
    r = api.client.get(f"/deployments/{live['dep']}/transitions",
                       headers=api.headers[Role.compliance])
    steps = [(t["from_state"], t["to_state"]) for t in r.json()]
    assert steps == [("", "draft"), ("draft", "authorised"), ("authorised", "live")]
    assert all(t["actor"] and t["at"] for t in r.json())
    notices = api.client.get("/public/deployments").json()
    mine = [n for n in notices if n["id"] == live["dep"]]
    assert mine and mine[0]["purpose"] and mine[0]["location"]
    assert "WR-1" not in str(notices) and "robbery" not in str(notices)


def test_going_live_outside_the_window_is_409(api: Api) -> None:
    h = api.headers
    dep = api.client.post("/deployments", json={"name": "later"}, headers=h[Role.admin]).json()
    later = authorisation(start=now() + timedelta(days=1))
    assert api.client.post(f"/deployments/{dep['id']}/authorise", json=later,
                           headers=h[Role.authorising_officer]).status_code == 200
    body = _problem(api.client.post(f"/deployments/{dep['id']}/start", headers=h[Role.admin]),
                    409)
    assert "authorised window" in body["detail"]


def test_authorisation_window_must_be_ordered(api: Api) -> None:
    dep = api.client.post("/deployments", json={"name": "w"},
                          headers=api.headers[Role.admin]).json()
    bad = authorisation()
    bad["authorised_end"] = bad["authorised_start"]
    _problem(api.client.post(f"/deployments/{dep['id']}/authorise", json=bad,
                             headers=api.headers[Role.authorising_officer]), 400)


def test_enrolment_failures_name_the_image_and_leave_nothing(
        api: Api, live: dict[str, Any], photo_bytes: dict[str, bytes]) -> None:
    before = _counts(api)
    r = enrol(api, live["dep"], [("ok.jpg", photo_bytes["biden"]),
                                 ("cat.jpg", photo_bytes["chelsea"])])
    body = _problem(r, 422)
    assert body["check"] == "no_face" and "cat.jpg" in body["detail"]
    body = _problem(enrol(api, live["dep"], [("notes.jpg", b"hello, not an image")]), 415)
    assert "notes.jpg" in body["detail"]
    body = _problem(enrol(api, live["dep"], [("x.jpg", photo_bytes["biden"])],
                          lawfully_held="false"), 400)
    assert body["errors"][0]["field"] == "lawfully_held"
    _problem(enrol(api, live["dep"], [("x.jpg", photo_bytes["biden"])], category="bad"), 400)
    big = b"\xff\xd8\xff" + b"0" * (api.ctx.settings.upload_limit_bytes + 1)
    _problem(enrol(api, live["dep"], [("big.jpg", big)]), 413)
    assert _counts(api) == before


def test_watchlist_add_and_remove_reach_the_live_matcher(
        api: Api, live: dict[str, Any], photo_bytes: dict[str, bytes]) -> None:
    matcher = api.ctx.matchers.get(live["dep"])
    assert matcher is not None
    size = len(matcher)
    r = enrol(api, live["dep"], [("b.jpg", photo_bytes["biden"])], reference="WR-2")
    assert r.status_code == 201 and len(matcher) == size + 1
    entry = r.json()
    img = api.client.get(entry["images"][0]["link"], headers=api.headers[Role.officer])
    assert img.status_code == 200 and img.content == as_stored(photo_bytes["biden"])
    listed = api.client.get(f"/deployments/{live['dep']}/watchlist",
                            headers=api.headers[Role.supervisor]).json()
    assert entry["id"] in [e["id"] for e in listed]
    assert api.client.delete(f"/deployments/{live['dep']}/watchlist/{entry['id']}",
                             headers=api.headers[Role.admin]).status_code == 204
    assert len(matcher) == size
    _problem(api.client.get(entry["images"][0]["link"], headers=api.headers[Role.admin]), 404)


def test_ingest_is_idempotent_and_needs_a_key(api: Api, live: dict[str, Any]) -> None:
    body = _alert_body(api, live)
    _problem(api.client.post("/ingest/alerts", json=body, headers=live["key"]), 400)
    h = {**live["key"], "Idempotency-Key": "same-key"}
    first = api.client.post("/ingest/alerts", json=body, headers=h)
    again = api.client.post("/ingest/alerts", json=body, headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    bad = {**body, "camera_id": "nope"}
    _problem(api.client.post("/ingest/alerts", json=bad,
                             headers={**live["key"], "Idempotency-Key": "k-bad"}), 422)


def test_officer_not_assigned_is_403(api: Api, live: dict[str, Any]) -> None:
    _, other = api.add_user(Role.officer)
    _problem(api.client.get(f"/deployments/{live['dep']}/alerts", headers=other), 403)


def test_decisions_live_updates_conflicts_amendments_and_resume(
        api: Api, live: dict[str, Any]) -> None:
    c, h = api.client, api.headers
    url = f"/deployments/{live['dep']}/feed"
    with c.websocket_connect(url, headers=h[Role.officer]) as ws:
        r = c.post("/ingest/alerts", json=_alert_body(api, live),
                   headers={**live["key"], "Idempotency-Key": "decide-1"})
        raised = ws.receive_json(timeout=5)
        while raised["alert"]["id"] != r.json()["id"]:
            raised = ws.receive_json(timeout=5)
        alert = raised["alert"]
        assert alert["watchlist_entry"]["reference"] == "WR-1"
        assert alert["camera"]["location"].startswith("cam-1")
        assert alert["state"] == "pending" and alert["links"]["watchlist_image"]
        decision = {"decision": "engage", "outcome": "arrested", "note": "detained"}
        d1 = c.post(f"/alerts/{alert['id']}/decision", json=decision, headers=h[Role.officer])
        assert d1.status_code == 200 and d1.json()["state"] == "decided"
        update = ws.receive_json(timeout=5)
        assert update["type"] == "alert.updated" and update["cursor"] > raised["cursor"]
        cursor = update["cursor"]
    again = c.post(f"/alerts/{alert['id']}/decision", json=decision, headers=h[Role.officer])
    assert again.status_code == 200
    other = {"decision": "no_engage", "outcome": "not_located"}
    _problem(c.post(f"/alerts/{alert['id']}/decision", json=other, headers=h[Role.officer]),
             409)
    _problem(c.post(f"/alerts/{alert['id']}/amendments", json=other,
                    headers=h[Role.supervisor]), 400)
    amended = c.post(f"/alerts/{alert['id']}/amendments", headers=h[Role.supervisor],
                     json={**other, "reason": "CCTV review: not the person"})
    assert amended.status_code == 200 and amended.json()["decision"]["amended"] is True
    with c.websocket_connect(f"{url}?after={cursor}", headers=h[Role.officer]) as ws:
        missed = ws.receive_json(timeout=5)
        assert missed["type"] == "alert.updated" and missed["cursor"] > cursor
        assert missed["alert"]["decision"]["reason"] == "CCTV review: not the person"


def test_close_destroys_the_watchlist(api: Api, photo_bytes: dict[str, bytes]) -> None:
    dep = api.deployment(live=True)
    assert enrol(api, dep, [("o.jpg", photo_bytes["obama2"])]).status_code == 201
    r = api.client.post(f"/deployments/{dep}/close", headers=api.headers[Role.admin])
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert api.ctx.matchers.get(dep) is None
    entries = api.client.get(f"/deployments/{dep}/watchlist",
                             headers=api.headers[Role.admin]).json()
    assert all(e["images"] == [] for e in entries)
    _problem(enrol(api, dep, [("o.jpg", photo_bytes["obama2"])]), 409)


def test_login_refresh_rotation(api: Api) -> None:
    uid, _ = api.add_user(Role.officer)
    _problem(api.client.post("/auth/login", json={"username": "nobody", "password": "x"}), 401)
    user = api.client.get(f"/users/{uid}", headers=api.headers[Role.admin]).json()
    pair = api.client.post("/auth/login", json={"username": user["username"],
                                                 "password": "correct horse battery staple"})
    refresh = pair.json()["refresh_token"]
    new = api.client.post("/auth/refresh", json={"refresh_token": refresh})
    assert new.status_code == 200
    _problem(api.client.post("/auth/refresh", json={"refresh_token": refresh}), 401)


def test_devices(api: Api) -> None:
    h = api.headers[Role.officer]
    r = api.client.post("/devices", json={"token": "fcm-token-123456", "platform": "android"},
                        headers=h)
    assert r.status_code == 201
    assert [d["id"] for d in api.client.get("/devices", headers=h).json()] == [r.json()["id"]]
    assert api.client.delete(f"/devices/{r.json()['id']}", headers=h).status_code == 204
    _problem(api.client.delete(f"/devices/{r.json()['id']}", headers=h), 404)


def test_in_process_alert_is_persisted_then_delivered(
        api: Api, live: dict[str, Any], photo_bytes: dict[str, bytes]) -> None:
    from lfr_api.live.inprocess import InProcessAlerts

    from lfr_framework.imaging import decode_image
    from lfr_framework.types import Alert, new_alert_id

    crop = decode_image(photo_bytes["obama"], "obama")[:112, :112].copy()
    t = now()
    alert = Alert(alert_id=new_alert_id(), deployment_id=live["dep"], camera_id="cam-1",
                  track_id=3, entry_id=live["entry"]["id"], score=0.66, threshold=0.5,
                  model_id="sface", raised_at=t, frame_timestamp=t, first_seen_at=t,
                  probe_crop=crop)
    with api.client.websocket_connect(f"/deployments/{live['dep']}/feed",
                                      headers=api.headers[Role.supervisor]) as ws:
        InProcessAlerts(api.ctx)(alert)
        InProcessAlerts(api.ctx)(alert)  # the same alert twice is stored once
        msg = ws.receive_json(timeout=5)
        while msg["type"] != "alert.raised":
            msg = ws.receive_json(timeout=5)
    stored = api.client.get(f"/alerts/{msg['alert']['id']}", headers=api.headers[Role.officer])
    assert stored.status_code == 200 and stored.json()["camera"]["id"] == "cam-1"
    crop_r = api.client.get(stored.json()["links"]["probe_crop"],
                            headers=api.headers[Role.officer])
    assert crop_r.status_code == 200 and crop_r.content[:3] == b"\xff\xd8\xff"
    _problem(api.client.get(stored.json()["links"]["probe_crop"],
                            headers=api.headers[Role.compliance]), 403)
