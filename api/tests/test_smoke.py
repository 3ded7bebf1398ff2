"""The main path: create, authorise, publish, start, enrol, ingest, feed, decide."""

from __future__ import annotations

from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, enrol, now


def test_main_path(api: Api, photo_bytes: dict[str, bytes]) -> None:
    dep = api.deployment(live=True, published=True)
    r = enrol(api, dep, [("obama.jpg", photo_bytes["obama"])])
    assert r.status_code == 201, r.text
    entry = r.json()
    assert api.ctx.matchers.get(dep) is not None and len(api.ctx.matchers.get(dep)) == 1
    api.assign(dep)
    key = api.service_key(dep)
    with api.client.websocket_connect(f"/deployments/{dep}/feed",
                                      headers=api.headers[Role.officer]) as ws:
        r = api.client.post("/ingest/alerts", headers={**key, "Idempotency-Key": "k1"}, json={
            "camera_id": "cam-1", "entry_id": entry["id"], "score": 0.8, **api.operating(dep),
            "raised_at": now().isoformat(), "frame_timestamp": now().isoformat()})
        assert r.status_code == 201, r.text
        msg = ws.receive_json(timeout=5)
        assert msg["type"] == "alert.raised"
        assert msg["alert"]["id"] == r.json()["id"]
