"""Two API replicas on one PostgreSQL: the feed follows commit order, read from the outbox,
so an alert committed late (its transaction began before others that committed first) or
never announced by its replica is delivered, none is dropped or repeated, and resuming
after any cursor gives exactly what followed it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from lfr_api.alerts import service
from lfr_api.security.roles import Role
from lfr_api.testing.api import PG_URL, REDIS_URL, Api, build_replicas, now
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
    yield from build_replicas(plugin_host, pg_url, redis_url=REDIS_URL, feed_poll_seconds=0.5)


def _commit_unannounced(api: Api, live: LiveDeployment) -> str:
    """Store an alert and its event without telling the feed: what a replica whose publish
    is slow (or lost) leaves behind while another replica commits and announces later ones."""
    t = now()
    new = service.NewAlert(deployment_id=live.id, idempotency_key=str(uuid.uuid4()),
                           camera_id="cam-1", entry_id=live.entry["id"], score=0.7,
                           track_id=7, raised_at=t, **api.operating(live.id),
                           frame_timestamp=t, source="test")
    with api.ctx.db.session() as session:
        _, alert = service._insert(api.ctx, session, new)
    return alert.id


def _receive(ws: Any, n: int) -> list[dict[str, Any]]:
    return [ws.receive_json(timeout=15) for _ in range(n)]


def _assign(a: Api, b: Api, live: LiveDeployment) -> None:
    r = a.client.post(f"/deployments/{live.id}/assignments", headers=a.headers[Role.admin],
                      json={"user_id": b.users[Role.officer]})
    assert r.status_code == 201, r.text


def test_an_alert_whose_replica_never_announced_it_is_delivered_in_commit_order(
        replicas: tuple[Api, Api], photo_bytes: dict[str, bytes]) -> None:
    a, b = replicas
    live = live_deployment(a, photo_bytes["obama"])
    _assign(a, b, live)
    with b.client.websocket_connect(f"/deployments/{live.id}/feed",
                                    headers=b.headers[Role.officer]) as ws:
        late = _commit_unannounced(a, live)
        later = [ingest_alert(b, live), ingest_alert(a, live)]
        got = _receive(ws, 3)
    ids = [m["alert"]["id"] for m in got]
    assert ids == [late, *later]  # every alert, once, in commit order
    # Resuming after any cursor, on either replica, gives exactly what followed it.
    for i, message in enumerate(got[:-1]):
        replica = (a, b)[i % 2]
        with replica.client.websocket_connect(
                f"/deployments/{live.id}/feed?after={message['cursor']}",
                headers=replica.headers[Role.admin]) as ws:
            rest = _receive(ws, len(got) - i - 1)
        assert [m["alert"]["id"] for m in rest] == ids[i + 1:]


def test_an_event_committed_late_waits_for_its_commit_and_comes_first(
        replicas: tuple[Api, Api], photo_bytes: dict[str, bytes]) -> None:
    a, _ = replicas
    live = live_deployment(a, photo_bytes["obama"])
    first = ingest_alert(a, live)
    reader = a.ctx.delivery.hub.reader
    head = reader.head(live.id)
    assert head[0] > 0  # stored with its transaction id
    with a.ctx.db.engine.connect() as late:
        with late.begin():
            # A transaction that began first writes an event and is still open...
            late_id = late.execute(sa.text(
                "INSERT INTO alert_events (deployment_id, alert_id, kind, payload, created_at) "
                "VALUES (:d, :a, 'alert.updated', '{}', now()) RETURNING id"),
                {"d": live.id, "a": first}).scalar_one()
            ingest_alert(a, live)  # ...while a later one commits.
            waiting = reader.after(live.id, head)
            assert waiting.events == [] and waiting.held_back
        served = reader.after(live.id, head)
    assert [e.message["type"] for e in served.events] == ["alert.updated", "alert.raised"]
    assert served.events[0].message["cursor"] == late_id


def test_the_pending_snapshot_leaves_an_alert_held_back_to_come_live_in_order(
        replicas: tuple[Api, Api], photo_bytes: dict[str, bytes]) -> None:
    a, _ = replicas
    live = live_deployment(a, photo_bytes["obama"])
    first = ingest_alert(a, live)
    with a.ctx.db.engine.connect() as late:
        late.execute(sa.text(  # an open transaction, begun before the next alert's
            "INSERT INTO alert_events (deployment_id, alert_id, kind, payload, created_at) "
            "VALUES (:d, :a, 'alert.updated', :p, now())"),
            {"d": live.id, "a": first, "p": f'{{"id": "{first}"}}'})
        held = ingest_alert(a, live)  # committed, but behind the open transaction
        with a.client.websocket_connect(f"/deployments/{live.id}/feed",
                                        headers=a.headers[Role.officer]) as ws:
            snapshot = ws.receive_json(timeout=15)
            assert (snapshot["type"], snapshot["alert"]["id"]) == ("alert.pending", first)
            late.commit()
            then = [ws.receive_json(timeout=15) for _ in range(2)]
    assert [(m["type"], m["alert"]["id"]) for m in then] == [("alert.updated", first),
                                                             ("alert.raised", held)]
