"""The officers' feed never loses an alert that the service acknowledged, whatever order
concurrent requests publish in."""

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


def test_a_message_published_out_of_cursor_order_still_reaches_the_officer(
        api: Api, live: LiveDeployment) -> None:
    event = _raised_event(api, live, ingest_alert(api, live))
    top = event["cursor"] + 1000
    with api.client.websocket_connect(f"/deployments/{live.id}/feed?after={event['cursor']}",
                                      headers=api.headers[Role.officer]) as ws:
        # Two racing publishers (two replicas, or a slow request and a fast one) can hand
        # the channel cursor `top` before `top - 1`. Neither is a repeat.
        api.ctx.delivery.deliver({**event, "cursor": top})
        api.ctx.delivery.deliver({**event, "cursor": top - 1})
        got = [ws.receive_json(timeout=10)["cursor"] for _ in range(2)]
    assert got == [top, top - 1]


def test_a_message_the_backlog_carried_is_not_sent_twice(
        api: Api, live: LiveDeployment) -> None:
    event = _raised_event(api, live, ingest_alert(api, live))
    after = event["cursor"] - 1
    with api.client.websocket_connect(f"/deployments/{live.id}/feed?after={after}",
                                      headers=api.headers[Role.officer]) as ws:
        assert ws.receive_json(timeout=10)["cursor"] == event["cursor"]
        api.ctx.delivery.deliver(event)  # the same event, published late
        api.ctx.delivery.deliver({**event, "cursor": event["cursor"] + 500})
        assert ws.receive_json(timeout=10)["cursor"] == event["cursor"] + 500


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
