"""The feed works through the Redis fan-out (two replicas share Redis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lfr_api.security.roles import Role
from lfr_api.testing.api import REDIS_URL, Api, build_api, enrol, now

from lfr_framework.plugins import PluginHost

pytestmark = [pytest.mark.network_service,
              pytest.mark.skipif(not REDIS_URL, reason="LFR_TEST_REDIS_URL is not set "
                                 "(e.g. redis://127.0.0.1:6379/0)")]


@pytest.fixture(scope="module")
def redis_api(plugin_host: PluginHost, database_url: str) -> Iterator[Api]:
    yield from build_api(plugin_host, database_url, redis_url=REDIS_URL)


def test_alert_reaches_the_feed_through_redis(redis_api: Api,
                                              photo_bytes: dict[str, bytes]) -> None:
    api = redis_api
    dep = api.deployment(live=True)
    entry = enrol(api, dep, [("o.jpg", photo_bytes["obama"])]).json()
    api.assign(dep)
    key = api.service_key(dep)
    with api.client.websocket_connect(f"/deployments/{dep}/feed",
                                      headers=api.headers[Role.officer]) as ws:
        t = now().isoformat()
        r = api.client.post("/ingest/alerts", headers={**key, "Idempotency-Key": "r1"}, json={
            "camera_id": "cam-1", "entry_id": entry["id"], "score": 0.7,
            **api.operating(dep), "raised_at": t, "frame_timestamp": t})
        assert r.status_code == 201
        assert ws.receive_json(timeout=5)["alert"]["id"] == r.json()["id"]
