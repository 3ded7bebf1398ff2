"""A camera node killed with SIGKILL (issue 10, failure 6): its pending alerts wait on its
disk, are re-sent when it starts again and stored once; its video file resumes instead of
replaying, so no pass already alerted is alerted again. A real ``lfr node`` process, a real
service (uvicorn on loopback) that goes down and comes back on the same port."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lfr_api.app import create_app
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, enrol, make_settings
from lfr_api.testing.live import LiveServer, free_port, live_api

from lfr_framework.evaluation.scenes import Pass, SceneSpec, render_scene
from lfr_framework.models.store import default_home
from lfr_framework.plugins import PluginHost

pytestmark = pytest.mark.slow
PEOPLE = {"obama": "obama3", "biden": "biden", "grace_hopper": "grace_hopper",
          "astronaut": "astronaut"}
FRAMES = 275  # 11 s at 25 fps


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory, real_photos: dict[str, Path]) -> Path:
    """Four watchlisted people cross the platform one after the other (11 s; the gaps
    leave time to take the service down between the first alert and the next, even on a
    fast machine)."""
    passes = [Pass(identity=who, photo=photo, start_s=0.2 + 3.0 * i, duration_s=1.8,
                   face_height_px=150, y_frac=0.45)
              for i, (who, photo) in enumerate(PEOPLE.items())]
    path = tmp_path_factory.mktemp("crash-scene") / "platform.mp4"
    render_scene(SceneSpec(duration_s=FRAMES / 25.0, width=960, height=540, passes=passes),
                 real_photos, path)
    return path


def _node(url: str, key: str, state: Path, log: Path,
          metrics_port: int | None = None) -> subprocess.Popen[bytes]:
    """``lfr node`` in a process of its own (its log in ``log``: a pipe could fill up)."""
    env = {**os.environ, "LFR_NODE_KEY": key, "LFR_NODE_STATE_DIR": str(state),
           "LFR_PLUGINS": "opencv,mediapipe,arcface_onnx,usearch"}
    if metrics_port is not None:
        env["LFR_NODE_METRICS_PORT"] = str(metrics_port)
    lfr = Path(sys.executable).with_name("lfr")
    with log.open("ab") as out:
        return subprocess.Popen([str(lfr), "node", "--api", url, "--poll", "0.3"], env=env,
                                stdout=subprocess.DEVNULL, stderr=out)


def _wait(what: str, check: Any, timeout_s: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _pending_keys(db: Path) -> list[str]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return [k for (k,) in conn.execute("SELECT key FROM outbox ORDER BY seq")]


def _stored(app: Any, deployment_id: str) -> list[Any]:
    from lfr_api.db.models import Alert
    from sqlmodel import select

    with app.state["ctx"].db.session() as session:
        return list(session.exec(select(Alert).where(Alert.deployment_id == deployment_id)))


@pytest.fixture
def service(plugin_host: PluginHost, tmp_path: Path) -> Iterator[tuple[Api, LiveServer, str]]:
    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    setup = live_api(plugin_host, url)
    api, server = next(setup)
    yield api, server, url
    setup.close()


def test_a_killed_node_resends_its_pending_alerts_once_and_resumes_its_file(
        service: tuple[Api, LiveServer, str], plugin_host: PluginHost,
        photo_bytes: dict[str, bytes], video: Path, tmp_path: Path) -> None:
    api, server, db_url = service
    admin = api.headers[Role.admin]
    dep = api.deployment(cameras=("platform-2",),
                         camera_fields={"uri": str(video), "location_name": "Platform 2"})
    entries = {who: enrol(api, dep, [(f"{who}.jpg", photo_bytes[who if who != "obama"
                                                                    else "obama"])]).json()
               for who in PEOPLE}
    assert all("id" in e for e in entries.values()), entries
    assert api.client.post(f"/deployments/{dep}/start", headers=admin).status_code == 200
    key = api.service_key(dep)["X-API-Key"]
    state, port = tmp_path / "node-state", server.port
    outbox_db = state / "outbox.db"

    metrics_port = free_port()
    node = _node(server.url, key, state, tmp_path / "first.log", metrics_port)
    try:
        _wait("the first alert to be stored", lambda: _stored(api.app, dep))
        server.stop()  # the service goes down mid-stream; the node keeps raising alerts
        pending = _wait("an alert waiting on the node's disk", lambda: _pending_keys(outbox_db))
        # The node's metrics show the backlog while the service is away.
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        depth = re.search(r"^lfr_node_outbox_pending (\S+)$", scraped, re.M)
        assert depth is not None and float(depth.group(1)) >= 1, scraped[-500:]
        node.send_signal(signal.SIGKILL)
        node.wait(10)
    finally:
        if node.poll() is None:
            node.kill()
    assert stat.S_IMODE(outbox_db.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    crop_column = sqlite3.connect(outbox_db).execute(
        "SELECT crop FROM outbox WHERE crop IS NOT NULL LIMIT 1").fetchone()
    assert crop_column is None or crop_column[0][:3] != b"\xff\xd8\xff"  # encrypted, not JPEG

    # The service comes back on the same address; the node starts again.
    app = create_app(make_settings(default_home(), db_url), host=plugin_host)
    with LiveServer(app, port=port) as again:
        node = _node(again.url, key, state, tmp_path / "second.log")
        try:
            node.wait(timeout=120)
        finally:
            if node.poll() is None:
                node.kill()
        err = (tmp_path / "second.log").read_bytes()
        assert node.returncode == 0, err.decode()[-2000:]
        stored = _stored(app, dep)
    app.state["ctx"].db.engine.dispose()
    keys = [a.idempotency_key for a in stored]
    assert set(pending) <= set(keys), "an alert pending at the kill was never stored"
    assert len(keys) == len(set(keys))
    per_pass = Counter((a.camera_id, a.entry_id) for a in stored)
    assert max(per_pass.values()) == 1, f"a pass was alerted twice: {per_pass}"
    assert {e for _, e in per_pass} == {e["id"] for e in entries.values()}, "a pass was lost"
    assert _pending_keys(outbox_db) == []
    assert b"still pending=0" in err
    read_again = int(re.search(rb"frames_read=(\d+)", err).group(1))  # type: ignore[union-attr]
    assert read_again < FRAMES, "the restarted node replayed its video file from the start"
