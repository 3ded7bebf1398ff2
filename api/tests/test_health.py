"""Health that tells the truth (issue 10, failure 2): ``/health`` is liveness only;
``/ready`` and ``/metrics`` show a database outage, a Redis outage and a schema behind the
code while they last, per dependency. Own PostgreSQL (initdb) and own redis-server on spare
ports, stopped and started here."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from lfr_api.db.engine import downgrade, upgrade
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, build_api, now
from lfr_api.testing.data import live_deployment
from lfr_api.testing.processes import PostgresServer, RedisServer, have_postgres

from lfr_framework.plugins import PluginHost

pytestmark = [pytest.mark.network_service,
              pytest.mark.skipif(not have_postgres(), reason="PostgreSQL is not installed")]


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    with RedisServer() as redis:
        yield redis


@pytest.fixture(scope="module")
def api(plugin_host: PluginHost, own_pg: PostgresServer, own_redis: RedisServer) -> Iterator[Api]:
    yield from build_api(plugin_host, own_pg.url, redis_url=own_redis.url)


def _ready(api: Api) -> tuple[int, dict[str, Any]]:
    r = api.client.get("/ready")
    assert r.headers["cache-control"] == "no-store"
    return r.status_code, r.json()


def _metric(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', head))
        if head.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return None


def _metrics(api: Api) -> str:
    r = api.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return r.text


def test_ready_when_every_dependency_is(api: Api) -> None:
    status, body = _ready(api)
    assert status == 200 and body["status"] == "ready", body
    checks = body["checks"]
    assert checks["database"]["status"] == checks["redis"]["status"] == "ok"
    assert checks["migrations"]["status"] == "ok"
    assert checks["migrations"]["current"] == checks["migrations"]["head"]
    assert checks["pipelines"]["status"] == "disabled"
    text = _metrics(api)
    for dependency in ("database", "migrations", "redis"):
        assert _metric(text, "lfr_dependency_up", dependency=dependency) == 1.0


def test_a_database_outage_shows_while_it_lasts(api: Api, own_pg: PostgresServer) -> None:
    own_pg.stop()
    try:
        status, body = _ready(api)
        assert status == 503 and body["status"] == "not_ready"
        assert body["checks"]["database"]["status"] == "down"
        assert "127.0.0.1" not in str(body) and "postgres" not in str(body).lower()
        assert _metric(_metrics(api), "lfr_dependency_up", dependency="database") == 0.0
        assert api.client.get("/health").status_code == 200  # liveness: the process is up
    finally:
        own_pg.start()
    status, body = _ready(api)
    assert status == 200, body
    assert _metric(_metrics(api), "lfr_dependency_up", dependency="database") == 1.0


def test_a_redis_outage_shows_while_it_lasts(api: Api, own_redis: RedisServer) -> None:
    own_redis.stop()
    try:
        status, body = _ready(api)
        assert status == 503 and body["checks"]["redis"]["status"] == "down", body
        assert body["checks"]["database"]["status"] == "ok"
        assert _metric(_metrics(api), "lfr_dependency_up", dependency="redis") == 0.0
    finally:
        own_redis.start()
    # Ready again once the fan-out has subscribed again (its back-off is at most 5 s).
    deadline = time.monotonic() + 15
    while (answer := _ready(api))[0] != 200 and time.monotonic() < deadline:
        assert answer[1]["checks"]["redis"]["status"] == "down"
        time.sleep(0.2)
    status, body = _ready(api)
    assert status == 200, body
    assert body["checks"]["redis"]["fanout_subscribed"] is True
    assert body["checks"]["redis"]["fanout_restarts"] >= 1


def test_a_schema_behind_the_code_is_not_ready(api: Api) -> None:
    engine = api.ctx.db.engine
    head = _ready(api)[1]["checks"]["migrations"]["head"]
    downgrade(engine, "0007")
    try:
        status, body = _ready(api)
        assert status == 503
        assert body["checks"]["migrations"] == {**body["checks"]["migrations"],
                                                "status": "down", "current": "0007"}
    finally:
        upgrade(engine)
    assert _ready(api)[1]["checks"]["migrations"]["current"] == head


def test_metrics_count_alerts_and_feeds_and_identify_nobody(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    live = live_deployment(api, photo_bytes["obama"])
    officer = api.headers[Role.officer]

    def ingest() -> str:
        t = now().isoformat()
        r = api.client.post("/ingest/alerts", headers={**live.key,
                                                       "Idempotency-Key": str(uuid.uuid4())},
                            json={"camera_id": "cam-1", "entry_id": live.entry["id"],
                                  "score": 0.71, **api.operating(live.id),
                                  "raised_at": t, "frame_timestamp": t})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    before = _metric(_metrics(api), "lfr_alerts_ingested_total", path="node") or 0.0
    first = ingest()
    with api.client.websocket_connect(f"/deployments/{live.id}/feed", headers=officer) as ws:
        assert ws.receive_json()["alert"]["id"] == first
        second = ingest()
        assert ws.receive_json()["alert"]["id"] == second
        text = _metrics(api)
        assert _metric(text, "lfr_feed_connections") == 1.0
    assert _metric(text, "lfr_alerts_ingested_total", path="node") == before + 2
    assert _metric(text, "lfr_alerts_pending", deployment=live.id) == 2.0
    assert (_metric(text, "lfr_alerts_delivered_total", channel="feed") or 0) >= 2
    assert (_metric(text, "lfr_alert_delivery_latency_seconds_count") or 0) >= 1
    assert _metric(_metrics(api), "lfr_feed_connections") == 0.0
    # No label or value names a person, an entry, an officer or a device.
    labels = set(re.findall(r'="([^"]*)"', text))
    for secret in (live.entry["id"], live.entry["reference"], api.users[Role.officer],
                   "WR-1", "obama"):
        assert secret not in labels and secret not in text


def test_stopped_pipelines_are_not_ready(plugin_host: PluginHost,
                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('ready') / 'lfr.db'}"
    for served in build_api(plugin_host, url, run_pipelines=True):
        status, body = _ready(served)
        assert status == 200 and body["checks"]["pipelines"]["status"] == "ok", body
        assert body["checks"]["redis"]["status"] == "disabled"
        served.app.state["pipelines"].stop_all()  # the watcher died
        status, body = _ready(served)
        assert status == 503 and body["checks"]["pipelines"]["status"] == "down"
        assert _metric(_metrics(served), "lfr_dependency_up", dependency="pipelines") == 0.0


def test_a_stalled_database_is_not_ready_and_freezes_nothing(api: Api,
                                                             own_pg: PostgresServer) -> None:
    answers: list[tuple[int, dict[str, Any]]] = []
    own_pg.pause()
    try:
        probe = threading.Thread(target=lambda: answers.append(_ready(api)))
        probe.start()
        # The event loop is free while the readiness probe waits on the stalled database.
        assert api.client.get("/health").status_code == 200
        probe.join(30)
        assert not probe.is_alive()
        status, body = answers[0]
        assert status == 503 and body["checks"]["database"]["status"] == "down"
        assert "timed out" in body["checks"]["database"]["detail"]
    finally:
        own_pg.resume()
    deadline = time.monotonic() + 30
    while _ready(api)[0] != 200:
        assert time.monotonic() < deadline, "not ready again after the stall"
