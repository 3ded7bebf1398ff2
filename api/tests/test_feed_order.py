"""The officers' feed never loses an alert that the service acknowledged, whatever order
concurrent requests commit in, and resuming after a cursor gives exactly what followed."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from lfr_api.alerts.service import feed_backlog
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api
from lfr_api.testing.data import LiveDeployment, ingest_alert, live_deployment


@pytest.fixture(scope="module")
def live(api: Api, photo_bytes: dict[str, bytes]) -> LiveDeployment:
    deployment = live_deployment(api, photo_bytes["obama"])
    api.assign(deployment.id)
    return deployment


def _raised_event(api: Api, live: LiveDeployment, alert_id: str) -> dict[str, Any]:
    [event] = [m for m in feed_backlog(api.ctx, live.id, 0)
               if m["alert"]["id"] == alert_id and m["type"] == "alert.raised"]
    return event


def _receive_alert_ids(ws: Any, wanted: set[str]) -> set[str]:
    got: set[str] = set()
    while not wanted <= got:
        got.add(ws.receive_json(timeout=10)["alert"]["id"])
    return got


def test_resuming_after_any_cursor_gives_exactly_what_followed_it(
        api: Api, live: LiveDeployment) -> None:
    first = _raised_event(api, live, ingest_alert(api, live))
    ingest_alert(api, live)
    r = api.client.post(f"/alerts/{first['alert']['id']}/decision",
                        headers=api.headers[Role.officer],
                        json={"decision": "no_engage", "outcome": "not_located"})
    assert r.status_code == 200, r.text
    ingest_alert(api, live)
    stored = feed_backlog(api.ctx, live.id, first["cursor"] - 1)
    assert len(stored) >= 4
    for i, event in enumerate(stored[:-1]):
        with api.client.websocket_connect(f"/deployments/{live.id}/feed?after={event['cursor']}",
                                          headers=api.headers[Role.officer]) as ws:
            rest = [ws.receive_json(timeout=10) for _ in stored[i + 1:]]
        assert [(m["type"], m["cursor"]) for m in rest] == [
            (m["type"], m["cursor"]) for m in stored[i + 1:]]


def test_a_repeated_hint_sends_nothing_twice(api: Api, live: LiveDeployment) -> None:
    event = _raised_event(api, live, ingest_alert(api, live))
    with api.client.websocket_connect(f"/deployments/{live.id}/feed?after={event['cursor'] - 1}",
                                      headers=api.headers[Role.officer]) as ws:
        assert ws.receive_json(timeout=10)["cursor"] == event["cursor"]
        api.ctx.delivery.deliver(event)  # the same event, hinted again (a late publisher)
        api.ctx.delivery.deliver(event)
        newer = ingest_alert(api, live)
        assert ws.receive_json(timeout=10)["alert"]["id"] == newer


def test_a_cursor_the_outbox_no_longer_holds_starts_from_the_pending_snapshot(
        api: Api, live: LiveDeployment) -> None:
    pending = ingest_alert(api, live)
    with api.client.websocket_connect(f"/deployments/{live.id}/feed?after=999999999",
                                      headers=api.headers[Role.officer]) as ws:
        got = []
        while pending not in got:
            message = ws.receive_json(timeout=10)
            assert message["type"] == "alert.pending"
            got.append(message["alert"]["id"])


def test_concurrent_ingest_loses_no_alert_on_the_feed(api: Api, live: LiveDeployment) -> None:
    posted: list[str] = []
    lock = threading.Lock()

    def post_many(n: int) -> None:
        for _ in range(n):
            alert_id = ingest_alert(api, live)
            with lock:
                posted.append(alert_id)

    with api.client.websocket_connect(f"/deployments/{live.id}/feed",
                                      headers=api.headers[Role.officer]) as ws:
        threads = [threading.Thread(target=post_many, args=(15,)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(posted) == 90
        assert set(posted) <= _receive_alert_ids(ws, set(posted))
