"""``lfr node``: a camera node reads its live deployment's configuration and templates with
its service-account key, runs the real pipeline, and posts each alert until the service
acknowledges it — exactly once, even when the service was down for a while."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from lfr_api.node import client as node_client
from lfr_api.node.cli import node
from lfr_api.node.outbox import AlertOutbox
from lfr_api.node.runner import NodeRunner, WatchlistSync
from lfr_api.node.store import NodeStore, node_keyring
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, enrol, now
from lfr_api.testing.live import LiveServer, free_port, live_api

from lfr_framework.evaluation.scenes import Pass, SceneSpec, render_scene
from lfr_framework.models.store import default_home
from lfr_framework.plugins import PluginHost

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(plugin_host: PluginHost, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Api, LiveServer]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('node') / 'lfr.db'}"
    yield from live_api(plugin_host, url)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory, real_photos: dict[str, Path]) -> Path:
    spec = SceneSpec(duration_s=3.0, width=960, height=540, passes=[
        Pass(identity="obama", photo="obama3", start_s=0.0, duration_s=2.5,
             face_height_px=130, y_frac=0.4),
        Pass(identity="passer-by", photo="grace_hopper", start_s=0.3, duration_s=2.5,
             face_height_px=120, y_frac=0.7, direction=-1),
    ])
    path = tmp_path_factory.mktemp("node-scene") / "platform.mp4"
    render_scene(spec, real_photos, path)
    return path


@pytest.fixture
def state(tmp_path: Path) -> Iterator[NodeStore]:
    """The node's own disk state (a fresh one per test)."""
    store = NodeStore(tmp_path / "node" / "outbox.db", node_keyring("lfrk_test", env={}))
    yield store
    store.close()


def _deployment(api: Api, photo_bytes: dict[str, bytes], uri: str = "file:///dev/null",
                live: bool = True, options: dict[str, Any] | None = None) -> dict[str, Any]:
    dep = api.deployment(cameras=("platform-2",),
                         camera_fields={"uri": uri, "location_name": "Platform 2",
                                        "options": options or {}})
    entry = enrol(api, dep, [("obama.jpg", photo_bytes["obama"])]).json()
    if live:
        r = api.client.post(f"/deployments/{dep}/start", headers=api.headers[Role.admin])
        assert r.status_code == 200, r.text
    key = api.service_key(dep)["X-API-Key"]
    return {"dep": dep, "entry": entry, "key": key}


def _body(api: Api, d: dict[str, Any]) -> dict[str, Any]:
    t = now().isoformat()
    return {"camera_id": "platform-2", "entry_id": d["entry"]["id"], "score": 0.7,
            **api.operating(d["dep"]), "raised_at": t, "frame_timestamp": t}


def _alerts(api: Api, dep: str) -> list[dict[str, Any]]:
    r = api.client.get(f"/deployments/{dep}/alerts", headers=api.headers[Role.admin])
    assert r.status_code == 200, r.text
    return list(r.json())


def test_the_node_runs_the_real_pipeline_and_posts_its_alerts(
        served: tuple[Api, LiveServer], photo_bytes: dict[str, bytes], video: Path,
        plugin_host: PluginHost, state: NodeStore) -> None:
    api, server = served
    d = _deployment(api, photo_bytes, uri=str(video))
    runner = NodeRunner(server.url, d["key"], host=plugin_host,
                        store=plugin_host.model_store(default_home()), state=state,
                        deployment_id=d["dep"], poll_s=0.2)
    try:
        result = runner.run()
    finally:
        runner.close()
    assert result.reason == "the sources ended"
    assert result.counters.faces_seen >= 2 and result.counters.alerts >= 1
    alerts = _alerts(api, d["dep"])
    assert len(alerts) == result.counters.alerts == runner.outbox.stats.acknowledged
    assert runner.outbox.stats.rejected == 0 and runner.outbox.stats.left_pending == 0
    report = api.client.get(f"/deployments/{d['dep']}/report", headers=api.headers[Role.admin])
    assert report.status_code == 200, report.text
    assert report.json()["results"]["faces_seen"] == result.counters.faces_seen
    for alert in alerts:
        assert alert["watchlist_entry"]["id"] == d["entry"]["id"]
        assert alert["camera"] == {"id": "platform-2", "location": "Platform 2"}
        crop = api.client.get(alert["links"]["probe_crop"], headers=api.headers[Role.supervisor])
        assert crop.status_code == 200 and crop.content[:3] == b"\xff\xd8\xff"


def test_an_alert_posted_while_the_api_is_down_arrives_exactly_once(
        plugin_host: PluginHost, photo_bytes: dict[str, bytes],
        tmp_path_factory: pytest.TempPathFactory, state: NodeStore) -> None:
    from lfr_api.app import create_app
    from lfr_api.testing.api import make_settings

    url = f"sqlite:///{tmp_path_factory.mktemp('down') / 'lfr.db'}"
    port = free_port()
    setup = live_api(plugin_host, url)
    api, _ = next(setup)
    d = _deployment(api, photo_bytes)
    body = _body(api, d)
    setup.close()  # the service goes down
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5,
                      headers={"X-API-Key": d["key"]}) as http:
        outbox = AlertOutbox(http, state, initial_backoff_s=0.05, max_backoff_s=0.2)
        key = str(uuid.uuid4())
        outbox.put(key, body)
        time.sleep(1.0)
        assert outbox.pending == 1 and outbox.stats.attempts >= 3
        assert outbox.stats.acknowledged == 0
        # The service comes back on the same address.
        app = create_app(make_settings(default_home(), url), host=plugin_host)
        with LiveServer(app, port=port):
            deadline = time.monotonic() + 20
            while outbox.pending and time.monotonic() < deadline:
                time.sleep(0.05)
            assert outbox.pending == 0 and outbox.stats.acknowledged == 1
            # A retry after a lost acknowledgement is answered with the same alert.
            outbox.put(key, body)
            outbox.close()
            assert outbox.stats.acknowledged == 2 and outbox.stats.duplicates == 1
            with app.state["ctx"].db.session() as session:
                from lfr_api.db.models import Alert
                from sqlmodel import select

                stored = session.exec(select(Alert).where(Alert.deployment_id == d["dep"])).all()
            assert [a.idempotency_key for a in stored] == [key]
        app.state["ctx"].db.engine.dispose()


def test_a_refused_alert_is_not_retried_for_ever(served: tuple[Api, LiveServer],
                                                  photo_bytes: dict[str, bytes],
                                                  state: NodeStore) -> None:
    api, server = served
    d = _deployment(api, photo_bytes)
    with node_client.node_http(server.url, d["key"]) as http:
        outbox = AlertOutbox(http, state, initial_backoff_s=0.05)
        outbox.put("bad-entry", {**_body(api, d), "entry_id": "not-on-the-list"})
        outbox.close()
    assert (outbox.stats.rejected, outbox.stats.attempts, outbox.stats.acknowledged) == (1, 1, 0)
    assert "422" in outbox.stats.rejections[0]


def test_the_watchlist_is_served_only_live_and_only_to_its_node(
        served: tuple[Api, LiveServer], photo_bytes: dict[str, bytes],
        plugin_host: PluginHost) -> None:
    api, server = served
    waiting = _deployment(api, photo_bytes, live=False)
    with node_client.node_http(server.url, waiting["key"]) as http:
        with pytest.raises(node_client.NodeApiError) as exc:
            node_client.watchlist(http)
        assert exc.value.status == 409
        assert node_client.configuration(http).deployment.state == "authorised"
    d = _deployment(api, photo_bytes)
    with node_client.node_http(server.url, d["key"]) as http:
        r = http.get("/ingest/watchlist")
        assert r.headers["cache-control"] == "no-store"
        listed = node_client.watchlist(http)
        entries = listed.entries
        assert list(entries) == [d["entry"]["id"]]
        model_id, templates = entries[d["entry"]["id"]]
        assert templates.shape == (1, 128) and model_id == d["entry"]["model_id"]
        recorded = api.client.get(f"/deployments/{d['dep']}",
                                  headers=api.headers[Role.admin]).json()["operating_point"]
        assert listed.threshold == recorded["threshold"]
        matcher = plugin_host.matchers.create("usearch", {}, "matcher_options", dimension=128)
        sync = WatchlistSync(matcher, model_id)
        sync.apply(node_client.watchlist(http).entries)
        assert len(matcher) == 1
        second = enrol(api, d["dep"], [("b.jpg", photo_bytes["biden"])], reference="WR-9").json()
        grown = node_client.watchlist(http)
        sync.apply(grown.entries)
        assert len(matcher) == 2
        # Two templates double the comparisons per search: the threshold is re-derived up.
        assert grown.threshold > listed.threshold
        r = api.client.delete(f"/deployments/{d['dep']}/watchlist/{second['id']}",
                              headers=api.headers[Role.admin])
        assert r.status_code == 204
        sync.apply(node_client.watchlist(http).entries)
        assert len(matcher) == 1
        matcher.destroy()
        assert waiting["entry"]["id"] not in node_client.watchlist(http).entries
        r = api.client.post(f"/deployments/{d['dep']}/close", headers=api.headers[Role.admin])
        assert r.status_code == 200
        with pytest.raises(node_client.NodeApiError) as exc:
            node_client.watchlist(http)
        assert exc.value.status == 409


def test_lfr_node_refuses_a_key_of_another_deployment(
        served: tuple[Api, LiveServer], photo_bytes: dict[str, bytes],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    api, server = served
    d = _deployment(api, photo_bytes, live=False)
    monkeypatch.setenv("LFR_PLUGINS", "opencv,mediapipe,arcface_onnx,usearch")
    monkeypatch.setenv("LFR_NODE_STATE_DIR", str(tmp_path / "node"))
    result = CliRunner().invoke(node, ["--api", server.url, "--key", d["key"],
                                       "--deployment", "some-other-deployment"])
    assert result.exit_code != 0
    assert "belongs to deployment" in str(result.exception)
    bad = CliRunner().invoke(node, ["--api", server.url, "--key", "lfrk_wrong"])
    assert bad.exit_code != 0 and "401" in str(bad.exception)


def test_the_node_stops_when_its_deployment_closes(
        served: tuple[Api, LiveServer], photo_bytes: dict[str, bytes], video: Path,
        plugin_host: PluginHost, state: NodeStore) -> None:
    api, server = served
    d = _deployment(api, photo_bytes, uri=str(video), options={"loop": True})
    runner = NodeRunner(server.url, d["key"], host=plugin_host,
                        store=plugin_host.model_store(default_home()), state=state, poll_s=0.2)
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.update(result=runner.run()))
    thread.start()
    deadline = time.monotonic() + 60
    while runner.pipeline is None and time.monotonic() < deadline:
        time.sleep(0.05)
    r = api.client.post(f"/deployments/{d['dep']}/close", headers=api.headers[Role.admin])
    assert r.status_code == 200
    thread.join(60)
    runner.close()
    assert not thread.is_alive()
    assert outcome["result"].reason in ("the deployment is closed",
                                        "the deployment is no longer live")
