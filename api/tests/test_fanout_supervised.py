"""A Redis blip does not end live delivery: the fan-out notices the loss, says so, restarts
with back-off, and the feed backfills from the database what was committed meanwhile.
Each test runs its own ``redis-server`` on a spare port, never the shared one. (SIGTERM
with Redis down: test_cluster.py.)"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, build_replicas
from lfr_api.testing.data import LiveDeployment, ingest_alert, live_deployment
from lfr_api.testing.processes import RedisServer, have_servers

from lfr_framework.plugins import PluginHost

pytestmark = pytest.mark.skipif(not have_servers(), reason="redis-server is not installed")


def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def two_replicas(plugin_host: PluginHost, redis: RedisServer,
                 tmp_path: Path) -> Iterator[tuple[Api, Api]]:
    # Polling off (an hour): what reaches the feed here came through Redis or the backfill.
    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    yield from build_replicas(plugin_host, url, redis_url=redis.url, feed_poll_seconds=3600.0)


def _healthy(api: Api) -> bool:
    return api.ctx.delivery.fanout_status().healthy


def test_a_redis_blip_is_reported_restarted_and_loses_nothing(
        two_replicas: tuple[Api, Api], redis: RedisServer,
        photo_bytes: dict[str, bytes]) -> None:
    a, b = two_replicas
    live: LiveDeployment = live_deployment(a, photo_bytes["obama"])
    r = a.client.post(f"/deployments/{live.id}/assignments", headers=a.headers[Role.admin],
                      json={"user_id": b.users[Role.officer]})
    assert r.status_code == 201, r.text
    _until(lambda: _healthy(a) and _healthy(b))
    with b.client.websocket_connect(f"/deployments/{live.id}/feed",
                                    headers=b.headers[Role.officer]) as ws:
        before = ingest_alert(a, live)
        assert ws.receive_json(timeout=10)["alert"]["id"] == before
        redis.stop()
        _until(lambda: not _healthy(a) and not _healthy(b))
        status = b.app.state["fanout"].as_dict()
        assert status["healthy"] is False and status["detail"]
        during = ingest_alert(a, live)  # committed; its hint is lost with Redis
        redis.start()
        _until(lambda: _healthy(a) and _healthy(b))
        assert b.ctx.delivery.fanout_status().restarts >= 1
        assert ws.receive_json(timeout=10)["alert"]["id"] == during  # backfilled
        after = ingest_alert(a, live)  # live again, through the restarted subscription
        assert ws.receive_json(timeout=10)["alert"]["id"] == after
