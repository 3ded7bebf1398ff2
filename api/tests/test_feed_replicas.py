"""Two API replicas on one PostgreSQL: the feed follows commit order, so an alert committed
late (its transaction began before others that committed first) is delivered, none is
dropped or repeated, and resuming after any cursor gives exactly what followed it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from lfr_api.alerts import service
from lfr_api.security.roles import Role
from lfr_api.testing.api import PG_URL, REDIS_URL, Api, build_api, now
from lfr_api.testing.data import LiveDeployment, ingest_alert, live_deployment

from lfr_framework.plugins import PluginHost

pytestmark = [pytest.mark.network_service,
              pytest.mark.skipif(not PG_URL, reason="LFR_TEST_DATABASE_URL is not set")]


@pytest.fixture(scope="module")
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("commit order across replicas is PostgreSQL's")
    return database_url


@pytest.fixture(scope="module")
def replicas(plugin_host: PluginHost, pg_url: str) -> Iterator[tuple[Api, Api]]:
    first = build_api(plugin_host, pg_url, redis_url=REDIS_URL, feed_poll_seconds=0.5)
    second = build_api(plugin_host, pg_url, redis_url=REDIS_URL, feed_poll_seconds=0.5)
    a, b = next(first), next(second)
    yield a, b
    for gen in (first, second):
        with pytest.raises(StopIteration):
            next(gen)


def _late_alert(api: Api, live: LiveDeployment, inserted: threading.Event,
                release: threading.Event, out: list[str]) -> None:
    """Write an alert and its event, hold the transaction open until ``release``, commit,
    deliver: what a slow request on another replica does."""
    t = now()
    new = service.NewAlert(deployment_id=live.id, idempotency_key=str(uuid.uuid4()),
                           camera_id="cam-1", entry_id=live.entry["id"], score=0.7,
                           track_id=7, raised_at=t, **api.operating(live.id),
                           frame_timestamp=t, source="test")
    with api.ctx.db.session() as session:
        message, alert = service._insert(api.ctx, session, new)
        inserted.set()
        release.wait(30)
    api.ctx.delivery.deliver(message)
    out.append(alert.id)


def _receive(ws: Any, n: int) -> list[dict[str, Any]]:
    return [ws.receive_json(timeout=15) for _ in range(n)]


def test_an_alert_committed_late_on_another_replica_is_delivered_once_in_commit_order(
        replicas: tuple[Api, Api], photo_bytes: dict[str, bytes]) -> None:
    a, b = replicas
    live = live_deployment(a, photo_bytes["obama"])
    r = a.client.post(f"/deployments/{live.id}/assignments", headers=a.headers[Role.admin],
                      json={"user_id": b.users[Role.officer]})
    assert r.status_code == 201, r.text
    officer = b.headers[Role.officer]
    late: list[str] = []
    inserted, release = threading.Event(), threading.Event()
    with b.client.websocket_connect(f"/deployments/{live.id}/feed", headers=officer) as ws:
        holder = threading.Thread(target=_late_alert, args=(a, live, inserted, release, late))
        holder.start()
        assert inserted.wait(15)
        early = [ingest_alert(a, live), ingest_alert(b, live), ingest_alert(a, live)]
        release.set()
        holder.join(30)
        early.append(ingest_alert(b, live))
        got = _receive(ws, 5)
    ids = [m["alert"]["id"] for m in got]
    assert sorted(ids) == sorted([*late, *early])  # every alert, each once
    assert ids[0] == late[0]  # its transaction began first: commit order puts it first
    # Resuming after any cursor, on either replica, gives exactly what followed it.
    for i, message in enumerate(got[:-1]):
        replica = (a, b)[i % 2]
        headers = replica.headers[Role.admin]
        with replica.client.websocket_connect(
                f"/deployments/{live.id}/feed?after={message['cursor']}",
                headers=headers) as ws:
            rest = _receive(ws, len(got) - i - 1)
        assert [m["alert"]["id"] for m in rest] == ids[i + 1:]


def test_events_are_stored_with_their_transaction(replicas: tuple[Api, Api],
                                                  photo_bytes: dict[str, bytes]) -> None:
    a, _ = replicas
    live = live_deployment(a, photo_bytes["obama"])
    ingest_alert(a, live)
    reader = a.ctx.delivery.hub.reader
    batch = reader.after(live.id, (-1, 0))
    assert batch.events and all(e.position[0] > 0 for e in batch.events)
