"""One owner per job across replicas (issue 10): PostgreSQL advisory-lock leases for the
retention sweep, a deployment's pipelines and the push of an alert. Two app instances (two
replicas) share the test PostgreSQL schema; nothing here is simulated but the second
process, which is a second app in this one."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa
from lfr_api.accountability import sweep_once
from lfr_api.db.leases import Leases
from lfr_api.feed.push import FcmSettings
from lfr_api.live.pipelines import LivePipelines
from lfr_api.retention.service import SWEEP_LEASE
from lfr_api.security.roles import Role
from lfr_api.testing.api import PG_URL, Api, build_replicas, enrol, now
from lfr_fcm.testing import FakeFcm, write_service_account

from lfr_framework.plugins import PluginHost

pytestmark = [pytest.mark.network_service,
              pytest.mark.skipif(not PG_URL, reason="LFR_TEST_DATABASE_URL is not set")]
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def fake_fcm() -> Iterator[FakeFcm]:
    fake = FakeFcm(_KEY.public_key())
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def replicas(plugin_host: PluginHost, schema_url: str, fake_fcm: FakeFcm,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Api]]:
    """Two replicas of the service on one PostgreSQL database, both pushing through FCM."""
    key_file = write_service_account(tmp_path_factory.mktemp("fcm") / "sa.json", _KEY,
                                     fake_fcm.token_uri)
    fcm = FcmSettings(credentials_file=key_file, endpoint=fake_fcm.url, max_attempts=2,
                      initial_backoff_s=0.05, max_backoff_s=0.1, timeout_s=5,
                      resend_every_s=3600)
    yield from build_replicas(plugin_host, schema_url, fcm=fcm)


def test_a_lease_has_one_holder_and_is_freed_when_its_holder_dies(schema_url: str) -> None:
    job = f"job-{uuid.uuid4().hex}"  # the shared server may hold other tests' leases
    one, two = (Leases(sa.create_engine(schema_url)) for _ in range(2))
    try:
        held = one.try_acquire(job)
        assert held is not None and held.alive()
        assert two.try_acquire(job) is None
        assert one.try_acquire(job) is None  # not twice in one replica either
        held.release()
        taken = two.try_acquire(job)
        assert taken is not None
        # The holder's connection dies (a replica killed): the lock goes with it. Only the
        # backend holding this job's lock is ended (a bigint key: classid high, objid low).
        key = taken.key & 0xFFFFFFFFFFFFFFFF
        with sa.create_engine(schema_url).connect() as admin:
            ended = admin.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = :hi AND objid = :lo AND objsubid = 1"),
                {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).all()
            admin.commit()
        assert len(ended) == 1
        assert not taken.alive()
        again = one.acquire(job, timeout_s=10)
        assert again is not None
        again.release()
        taken.release()
    finally:
        one.close()
        two.close()


def _sweeps(api: Api) -> int:
    with api.ctx.db.engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT count(*) FROM audit_log WHERE action = 'retention.sweep'")).scalar_one())


def test_the_retention_sweep_runs_on_one_replica_at_a_time(
        replicas: tuple[Api, Api]) -> None:
    a, b = replicas
    assert a.ctx.leases is not None
    lease = a.ctx.leases.acquire(SWEEP_LEASE, timeout_s=30)  # replica a is sweeping
    assert lease is not None
    try:
        before = _sweeps(a)
        assert sweep_once(b.ctx) is False
        assert _sweeps(a) == before, "replica b swept while replica a held the sweep"
    finally:
        lease.release()
    # Free again: b sweeps (unless a's own scheduled sweep just took the lease: then later).
    deadline = time.monotonic() + 30
    while not sweep_once(b.ctx):
        assert time.monotonic() < deadline, "replica b never got the sweep"
        time.sleep(0.1)
    assert _sweeps(a) > before


def _live_looping(api: Api, video: Path, photo: bytes) -> str:
    dep = api.deployment(cameras=("loop",),
                         camera_fields={"uri": str(video), "options": {"loop": True}})
    assert enrol(api, dep, [("o.jpg", photo)]).status_code == 201
    r = api.client.post(f"/deployments/{dep}/start", headers=api.headers[Role.admin])
    assert r.status_code == 200, r.text
    return dep


def test_two_replicas_never_both_run_a_deployments_cameras(
        replicas: tuple[Api, Api], looping_video: Path, photo_bytes: dict[str, bytes]) -> None:
    a, b = replicas
    dep = _live_looping(a, looping_video, photo_bytes["obama"])
    on_a, on_b = LivePipelines(a.ctx), LivePipelines(b.ctx)
    try:
        on_a.sync()
        on_b.sync()
        assert dep in on_a.running and dep not in on_b.running
        assert dep in on_b.elsewhere
        on_b.sync()
        assert dep not in on_b.running
        on_a.stop_all()  # the owner stops (or dies): the other replica takes over
        on_b.sync()
        assert dep in on_b.running
    finally:
        on_a.stop_all()
        on_b.stop_all()
        a.client.post(f"/deployments/{dep}/close", headers=a.headers[Role.admin])


def test_an_alert_is_pushed_once_per_device_when_both_replicas_publish_it(
        replicas: tuple[Api, Api], fake_fcm: FakeFcm, photo_bytes: dict[str, bytes]) -> None:
    a, b = replicas
    dep = a.deployment(live=True)
    entry = enrol(a, dep, [("o.jpg", photo_bytes["obama"])]).json()
    officer, headers = a.add_user(Role.officer)
    assert a.client.post(f"/deployments/{dep}/assignments", headers=a.headers[Role.admin],
                         json={"user_id": officer}).status_code == 201
    tokens = [f"phone-{i}-{uuid.uuid4().hex}" for i in range(2)]
    for token in tokens:
        assert a.client.post("/devices", json={"token": token, "platform": "android"},
                             headers=headers).status_code == 201
    t = now().isoformat()
    r = a.client.post("/ingest/alerts", headers={**a.service_key(dep),
                                                 "Idempotency-Key": str(uuid.uuid4())},
                      json={"camera_id": "cam-1", "entry_id": entry["id"], "score": 0.7,
                            **a.operating(dep), "raised_at": t,
                            "frame_timestamp": t})
    assert r.status_code == 201, r.text
    alert_id = r.json()["id"]
    deadline = time.monotonic() + 15
    while any(not fake_fcm.sends_to(t) for t in tokens) and time.monotonic() < deadline:
        time.sleep(0.05)
    # Both replicas now publish the same committed message at once (as replicas that relay
    # the outbox would): no device gets it a second time.
    message: dict[str, Any] = {"type": "alert.raised", "cursor": 0, "alert": r.json()}
    workers = [threading.Thread(target=api.ctx.delivery.publishers[0].publish, args=(message,))
               for api in (a, b) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert [len(fake_fcm.sends_to(t)) for t in tokens] == [1, 1], alert_id
