"""Watchlist changes reach the replica that runs a deployment's cameras (issue 10).

Two app instances (two replicas) share one PostgreSQL schema, each with its own live
matchers and its own follow loop (``lfr_api.live.watchlist_follow``). An admin's enrolment,
removal or close goes to replica B; replica A's live matcher, and the pipeline A runs over
it, must follow within the bound. Nothing is simulated but the second process, which is a
second app in this one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lfr_api.db.models import Deployment
from lfr_api.live.pipelines import LivePipelines
from lfr_api.live.watchlist_follow import follow_once
from lfr_api.security.roles import Role
from lfr_api.testing.api import PG_URL, Api, build_replicas, enrol
from lfr_api.testing.data import Clock
from lfr_api.watchlists import version

from lfr_framework.pipeline.runner import Pipeline
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Templates

pytestmark = [pytest.mark.network_service,
              pytest.mark.skipif(not PG_URL, reason="LFR_TEST_DATABASE_URL is not set")]
#: Each replica's follow (and pipeline watcher) period in these tests.
POLL_S = 0.2
#: How long a test waits for what must happen within a few polls (a loaded machine).
PATIENCE_S = 10.0


@pytest.fixture(scope="module")
def replicas(plugin_host: PluginHost, schema_url: str) -> Iterator[tuple[Api, Api]]:
    """Two replicas of the service on one PostgreSQL database."""
    yield from build_replicas(plugin_host, schema_url, pipeline_poll_seconds=POLL_S)


def _probe(api: Api, dep: str, photo: bytes) -> Templates:
    """A template of ``photo`` as the deployment's recogniser makes it."""
    with api.ctx.db.session() as session:
        deployment = session.get(Deployment, dep)
        assert deployment is not None
        return api.ctx.recognition.enrol(deployment, [("probe.jpg", photo)])[0]


def _matched(api: Api, dep: str, probe: Templates) -> dict[str, float]:
    """What the replica's live matcher of ``dep`` gives for ``probe``: entry -> score."""
    matcher = api.ctx.matchers.get(dep)
    if matcher is None or len(matcher) == 0:
        return {}
    return {c.entry_id: c.score for c in matcher.search(probe, k=10)[0]}


def _until(check: Callable[[], bool], what: str, timeout_s: float = PATIENCE_S) -> float:
    """Wait until ``check()``; the seconds it took."""
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < timeout_s, f"not within {timeout_s} s: {what}"
        time.sleep(0.02)
    return time.monotonic() - began


def _remove(api: Api, dep: str, entry_id: str) -> None:
    r = api.client.delete(f"/deployments/{dep}/watchlist/{entry_id}",
                          headers=api.headers[Role.admin])
    assert r.status_code == 204, r.text


def _threshold(api: Api, dep: str) -> float:
    r = api.client.get(f"/deployments/{dep}", headers=api.headers[Role.admin])
    assert r.status_code == 200, r.text
    return float(r.json()["operating_point"]["threshold"])


def _alerts(api: Api, dep: str) -> list[dict[str, Any]]:
    r = api.client.get(f"/deployments/{dep}/alerts", headers=api.headers[Role.admin])
    assert r.status_code == 200, r.text
    return list(r.json())


def _stored_version(api: Api, dep: str) -> int:
    with api.ctx.db.engine.connect() as conn:
        return version.current(conn, [dep])[dep]


def test_an_entry_enrolled_on_one_replica_is_in_the_others_live_matcher_within_the_bound(
        replicas: tuple[Api, Api], photo_bytes: dict[str, bytes]) -> None:
    a, b = replicas
    dep = a.deployment(live=True)  # started on a: a holds its live matcher
    assert dep in a.ctx.matchers and dep not in b.ctx.matchers
    probe = _probe(a, dep, photo_bytes["obama"])
    at = _stored_version(a, dep)
    r = enrol(b, dep, [("o.jpg", photo_bytes["obama"])])
    assert r.status_code == 201, r.text
    entry = r.json()["id"]
    assert _stored_version(a, dep) == at + 1  # committed with the enrolment
    took = _until(lambda: entry in _matched(a, dep, probe), "a's matcher has the entry")
    print(f"enrolled on b, in a's live matcher after {took:.3f} s (poll {POLL_S} s)")
    assert _matched(a, dep, probe)[entry] > _threshold(a, dep)
    assert follow_once(a.ctx) == 0  # up to date: nothing more to read


def test_an_entry_removed_on_one_replica_is_no_longer_matched_by_the_other(
        replicas: tuple[Api, Api], photo_bytes: dict[str, bytes]) -> None:
    a, b = replicas
    dep = a.deployment(live=True)
    kept = enrol(a, dep, [("b.jpg", photo_bytes["biden"])], reference="WR-2").json()["id"]
    gone = enrol(a, dep, [("o.jpg", photo_bytes["obama"])]).json()["id"]
    probe = _probe(a, dep, photo_bytes["obama"])
    assert set(_matched(a, dep, probe)) == {kept, gone}
    _remove(b, dep, gone)
    took = _until(lambda: gone not in _matched(a, dep, probe), "a's matcher forgot the entry")
    print(f"removed on b, gone from a's live matcher after {took:.3f} s (poll {POLL_S} s)")
    assert set(_matched(a, dep, probe)) == {kept}
    # And it stays gone: the replica's next reads of the stored watchlist do not bring it back.
    follow_once(a.ctx)
    assert set(_matched(a, dep, probe)) == {kept}


def test_a_change_missed_by_the_follow_loop_is_caught_by_the_next_tick(
        replicas: tuple[Api, Api], photo_bytes: dict[str, bytes]) -> None:
    """The version, not a message, carries the change: a replica whose matcher is behind
    (it was built before the change, or its refresh failed) catches up at its next tick."""
    a, b = replicas
    dep = a.deployment(live=True)
    entry = enrol(b, dep, [("o.jpg", photo_bytes["obama"])]).json()["id"]
    probe = _probe(a, dep, photo_bytes["obama"])
    _until(lambda: entry in _matched(a, dep, probe), "a's matcher has the entry")
    # b builds its own matcher of dep now (as a restart would), then a removal on a is
    # committed with a new version: b's matcher, behind, follows it.
    from lfr_api.live.watchlist_follow import build_matcher

    with b.ctx.db.session() as session:
        deployment = session.get(Deployment, dep)
        assert deployment is not None
        build_matcher(b.ctx, session, deployment)
    assert entry in _matched(b, dep, probe)
    _remove(a, dep, entry)
    assert entry not in _matched(a, dep, probe)  # the replica that removed it: at once
    _until(lambda: entry not in _matched(b, dep, probe), "b's matcher forgot the entry")


def test_a_deployment_closed_on_one_replica_has_its_matcher_destroyed_on_the_other(
        replicas: tuple[Api, Api], photo_bytes: dict[str, bytes]) -> None:
    a, b = replicas
    dep = a.deployment(live=True)
    assert enrol(a, dep, [("o.jpg", photo_bytes["obama"])]).status_code == 201
    matcher = a.ctx.matchers.get(dep)
    assert matcher is not None and len(matcher) == 1
    r = b.client.post(f"/deployments/{dep}/close", headers=b.headers[Role.admin])
    assert r.status_code == 200, r.text
    _until(lambda: dep not in a.ctx.matchers, "a destroyed its matcher of the closed deployment")
    assert len(matcher) == 0  # its templates erased from a's memory


def _hits(pipeline: Pipeline) -> int:
    """Matches at or above the threshold (alerts raised or suppressed by the cool-down)."""
    counts = pipeline.snapshot_counters()
    return counts.alerts + counts.alerts_suppressed


def _recognitions(pipeline: Pipeline) -> int:
    return pipeline.snapshot_counters().recognitions


def _no_hits_over(pipeline: Pipeline, recognitions: int) -> None:
    """After the next recognition (one in flight may have matched before the change), the
    pipeline makes ``recognitions`` more without a single match."""
    first = _recognitions(pipeline)
    _until(lambda: _recognitions(pipeline) > first, "a recognition", 120)
    hits, seen = _hits(pipeline), _recognitions(pipeline)
    _until(lambda: _recognitions(pipeline) >= seen + recognitions,
           f"{recognitions} more recognitions", 120)
    assert _hits(pipeline) == hits, "the pipeline matched a person not on the watchlist"


def test_the_pipeline_on_one_replica_follows_enrolment_removal_and_threshold_made_on_another(
        replicas: tuple[Api, Api], looping_video: Path, photo_bytes: dict[str, bytes]) -> None:
    """Replica a runs the cameras (the person in view: Obama); an admin on replica b enrols
    Obama, then removes him. a's pipeline matches him after the enrolment, runs at the
    threshold b re-derived, and never matches him again after the removal."""
    a, b = replicas
    dep = a.deployment(cameras=("loop",),
                       camera_fields={"uri": str(looping_video), "options": {"loop": True}})
    other = enrol(a, dep, [("b.jpg", photo_bytes["biden"])], reference="WR-2")
    assert other.status_code == 201, other.text
    r = a.client.post(f"/deployments/{dep}/start", headers=a.headers[Role.admin])
    assert r.status_code == 200, r.text
    on_a = LivePipelines(a.ctx)
    try:
        on_a.sync()
        pipeline = on_a.running[dep]
        _no_hits_over(pipeline, 2)  # Obama is seen but not on the watchlist
        before = pipeline.settings.threshold
        assert before == _threshold(a, dep)

        entry = enrol(b, dep, [("o.jpg", photo_bytes["obama"])]).json()["id"]
        grown = _threshold(b, dep)
        assert grown > before  # two templates: b re-derived a higher threshold
        on_a.sync()
        assert pipeline.settings.threshold == grown
        _until(lambda: _hits(pipeline) > 0, "a's pipeline matched the entry enrolled on b", 120)
        _until(lambda: bool(_alerts(a, dep)), "the alert stored")
        assert {x["watchlist_entry"]["id"] for x in _alerts(a, dep)} == {entry}

        _remove(b, dep, entry)
        matcher = a.ctx.matchers.get(dep)
        assert matcher is not None
        _until(lambda: len(matcher) == 1, "a's matcher forgot the entry removed on b")
        _no_hits_over(pipeline, 3)
        on_a.sync()
        assert pipeline.settings.threshold == _threshold(b, dep) == before
    finally:
        on_a.stop_all()
        a.client.post(f"/deployments/{dep}/close", headers=a.headers[Role.admin])


def test_templates_deleted_by_a_sweep_on_one_replica_leave_the_others_matcher(
        replicas: tuple[Api, Api], photo_bytes: dict[str, bytes]) -> None:
    """The retention path: the watchlist of a deployment nobody closed goes 24 hours after
    its authorised end; the sweep runs on b, a's matcher follows. (Last in the module: the
    sweep at b's moved clock deletes every watchlist due by then.)"""
    a, b = replicas
    dep = a.deployment(live=True)
    entry = enrol(a, dep, [("o.jpg", photo_bytes["obama"])]).json()["id"]
    probe = _probe(a, dep, photo_bytes["obama"])
    assert entry in _matched(a, dep, probe)
    r = a.client.get(f"/deployments/{dep}", headers=a.headers[Role.admin])
    end = datetime.fromisoformat(r.json()["authorised_end"])
    retention = b.ctx.retention
    assert retention is not None
    clock = retention.clock
    retention.clock = Clock(end + timedelta(hours=24))
    try:
        at = _stored_version(a, dep)
        report = retention.sweep()
        assert report.counts().get("watchlist_template", 0) >= 1
        assert _stored_version(a, dep) > at
    finally:
        retention.clock = clock
    _until(lambda: entry not in _matched(a, dep, probe), "a's matcher forgot the template")
