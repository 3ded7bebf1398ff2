"""The cluster harness, bounded (``make chaos`` runs the full set): two uvicorn replicas, two
node processes and four officers on a PostgreSQL and a Redis the harness starts itself; a
trial per fault, each ending with every acknowledged alert stored once and delivered once
to every officer. Then SIGTERM with Redis down and feeds open stops a replica in time."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from lfr_api.testing.processes import have_servers
from websockets.asyncio.client import connect

from benchmarks.cluster.cluster import Cluster
from benchmarks.cluster.scenarios import Plan, TrialResult, run_trial

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_servers(), reason="PostgreSQL server binaries and "
                                 "redis-server are not installed")]
PLAN = Plan(replicas=2, nodes=2, officers=4, rate=2.0, duration_s=4.0, drop_every_s=3.0,
            redis_down_s=(3.0, 3.0), postgres_down_s=(5.0, 5.0), settle_s=30.0)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(PLAN.replicas, tmp_path_factory.mktemp("cluster")).start()
    running.add_officers(PLAN.officers)
    yield running
    running.stop()


def _trial(cluster: Cluster, fault: str, tmp_path: Path) -> TrialResult:
    result = asyncio.run(run_trial(cluster, PLAN, fault, 0, tmp_path))
    assert result.raised > 0 and result.rejected == 0, result.as_dict()
    return result


def _exact(result: TrialResult) -> None:
    figures = result.as_dict()
    assert result.acknowledged == result.raised == result.stored, figures
    assert result.lost == 0 and result.duplicated == 0 and result.out_of_order == 0, figures
    assert result.delivered == [result.stored] * PLAN.officers, figures


@pytest.mark.parametrize("fault", ["kill-replica", "kill-node", "redis-stop", "postgres-stop"])
def test_no_alert_is_lost_repeated_or_reordered_through_a_fault(
        cluster: Cluster, fault: str, tmp_path: Path) -> None:
    _exact(_trial(cluster, fault, tmp_path))


def test_sigterm_with_redis_down_and_feeds_open_stops_a_replica_within_ten_seconds(
        cluster: Cluster) -> None:
    dep = cluster.deployment(cameras=1)
    replica = cluster.replicas[0]
    officer = cluster.login(cluster.officers[0][0])

    async def scenario() -> None:
        url = replica.url.replace("http://", "ws://") + f"/deployments/{dep.id}/feed"
        async with connect(url, additional_headers=officer, proxy=None) as ws:
            cluster.redis.stop()
            await asyncio.sleep(3)  # the fan-out has noticed and is retrying
            t = datetime.now(UTC).isoformat()
            async with httpx.AsyncClient() as http:  # a publish attempted with Redis down
                r = await http.post(f"{replica.url}/ingest/alerts", json={
                    "camera_id": dep.cameras[0], "entry_id": dep.entry_id, "score": 0.9,
                    "threshold": dep.threshold, "model_id": dep.model_id, "raised_at": t,
                    "frame_timestamp": t}, headers={"X-API-Key": dep.keys[0],
                                                    "Idempotency-Key": str(uuid.uuid4())})
            assert r.status_code == 201, r.text
            await asyncio.wait_for(ws.recv(), 10)  # delivered by polling the outbox
            assert replica.process is not None
            started = time.monotonic()
            os.kill(replica.process.pid, signal.SIGTERM)
            await asyncio.to_thread(replica.process.wait, 10)
            assert time.monotonic() - started < 10

    try:
        asyncio.run(scenario())
    finally:
        cluster.redis.start()
        replica.start()
        replica.wait()
