"""A database outage (issue 10, failure 2): REST and ingest answer 503 with ``Retry-After``
(problem+json), never 500; liveness stays up; after the outage the node's retry with the
same Idempotency-Key stores the alert once. The PostgreSQL server is the test's own
(``initdb`` on a spare port), stopped and started here; the shared one is never touched."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, build_api, now
from lfr_api.testing.data import LiveDeployment, live_deployment
from lfr_api.testing.processes import PostgresServer, have_postgres

from lfr_framework.plugins import PluginHost

pytestmark = [pytest.mark.network_service,
              pytest.mark.skipif(not have_postgres(), reason="PostgreSQL is not installed")]


@pytest.fixture(scope="module")
def pg_api(plugin_host: PluginHost, own_pg: PostgresServer) -> Iterator[Api]:
    yield from build_api(plugin_host, own_pg.url)


@pytest.fixture
def outage(own_pg: PostgresServer) -> Iterator[PostgresServer]:
    """The database is down for the test's body (and up again afterwards, whatever happens)."""
    own_pg.stop()
    try:
        yield own_pg
    finally:
        own_pg.start()


def _body(api: Api, live: LiveDeployment) -> dict[str, Any]:
    t = now().isoformat()
    return {"camera_id": "cam-1", "entry_id": live.entry["id"], "score": 0.71,
            **api.operating(live.id), "raised_at": t, "frame_timestamp": t}


def _assert_503(r: Any) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) > 0
    body = r.json()
    assert body["type"].endswith("/database-unavailable")
    assert "retry" in body["detail"]
    assert "postgres" not in body["detail"].lower()  # no driver message, no host


def test_ingest_during_an_outage_is_503_then_stored_once(pg_api: Api, own_pg: PostgresServer,
                                                        photo_bytes: dict[str, bytes]) -> None:
    live = live_deployment(pg_api, photo_bytes["obama"])
    body, key = _body(pg_api, live), str(uuid.uuid4())
    headers = {**live.key, "Idempotency-Key": key}
    own_pg.stop()
    try:
        for _ in range(2):  # the first request finds the pooled connection dead, the next none
            _assert_503(pg_api.client.post("/ingest/alerts", json=body, headers=headers))
    finally:
        own_pg.start()
    first = pg_api.client.post("/ingest/alerts", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = pg_api.client.post("/ingest/alerts", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    listed = pg_api.client.get(f"/deployments/{live.id}/alerts",
                               headers=pg_api.headers[Role.admin]).json()
    assert [a["id"] for a in listed] == [first.json()["id"]]


def test_rest_reads_and_writes_are_503_during_an_outage(pg_api: Api, photo_bytes: dict[str, bytes],
                                                        request: pytest.FixtureRequest) -> None:
    live = live_deployment(pg_api, photo_bytes["obama"])
    admin = pg_api.headers[Role.admin]
    request.getfixturevalue("outage")
    _assert_503(pg_api.client.get(f"/deployments/{live.id}/alerts", headers=admin))
    _assert_503(pg_api.client.get(f"/deployments/{live.id}", headers=admin))
    _assert_503(pg_api.client.post("/deployments", headers=admin,
                                   json={"name": "During the outage", "location": "High St"}))
    _assert_503(pg_api.client.post("/auth/login", json={"username": "nobody",
                                                        "password": "x" * 12}))


def test_liveness_answers_during_an_outage(pg_api: Api, outage: PostgresServer) -> None:
    r = pg_api.client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_an_in_process_alert_raised_during_an_outage_is_stored_once_after_it(
        pg_api: Api, own_pg: PostgresServer, photo_bytes: dict[str, bytes]) -> None:
    import threading
    import time

    from lfr_api.live.inprocess import InProcessAlerts

    from lfr_framework.types import Alert, new_alert_id

    live = live_deployment(pg_api, photo_bytes["obama"])
    t = now()
    alert = Alert(alert_id=new_alert_id(), deployment_id=live.id, camera_id="cam-1",
                  track_id=1, entry_id=live.entry["id"], score=0.7, threshold=0.5,
                  model_id="sface", raised_at=t, frame_timestamp=t, first_seen_at=t)
    store = InProcessAlerts(pg_api.ctx, retry_for_s=60, backoff_s=(0.05, 0.5))
    failed: list[BaseException] = []

    def raise_it() -> None:
        try:
            store(alert)
        except BaseException as exc:
            failed.append(exc)

    own_pg.stop()
    worker = threading.Thread(target=raise_it)
    try:
        worker.start()
        time.sleep(1.5)  # the pipeline's alert waits while the database is down
        assert worker.is_alive()
    finally:
        own_pg.start()
    worker.join(60)
    assert not worker.is_alive() and failed == []
    listed = pg_api.client.get(f"/deployments/{live.id}/alerts",
                               headers=pg_api.headers[Role.admin]).json()
    assert len(listed) == 1 and listed[0]["camera"]["id"] == "cam-1"


def test_a_node_started_during_an_outage_waits_for_the_database(
        plugin_host: PluginHost, own_pg: PostgresServer, photo_bytes: dict[str, bytes],
        tmp_path: Path) -> None:
    import threading

    from lfr_api.node.runner import NodeRunner
    from lfr_api.node.store import NodeStore, node_keyring
    from lfr_api.testing.live import live_api

    from lfr_framework.models.store import default_home

    setup = live_api(plugin_host, own_pg.url)
    api, server = next(setup)
    try:
        live = live_deployment(api, photo_bytes["obama"])
        key = live.key["X-API-Key"]
        state = NodeStore(tmp_path / "outbox.db", node_keyring(key, env={}))
        runner = NodeRunner(server.url, key, host=plugin_host,
                            store=plugin_host.model_store(default_home()), state=state,
                            poll_s=0.2)
        found: list[Any] = []
        own_pg.stop()
        try:
            waiting = threading.Thread(target=lambda: found.append(runner._wait_live()))
            waiting.start()
            waiting.join(1.5)
            assert waiting.is_alive(), "the node gave up on a 503"
        finally:
            own_pg.start()
        waiting.join(30)
        assert found and found[0] is not None and found[0].deployment.id == live.id
        runner.close()
        state.close()
    finally:
        setup.close()
