"""No handler runs database work on the event loop (issue 10, failure 3): one stalled query
would freeze every request of the replica, ``/health`` included. Every SQL statement the
service executes while the main flows run is checked for a running event loop on its
thread."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, build_api
from lfr_api.testing.data import crop_of, ingest_alert, live_deployment

from lfr_framework.plugins import PluginHost


@pytest.fixture(scope="module")
def sqlite_api(plugin_host: PluginHost, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Api]:
    yield from build_api(plugin_host, f"sqlite:///{tmp_path_factory.mktemp('loop') / 'l.db'}")


def _on_the_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def offenders(sqlite_api: Api) -> Iterator[list[str]]:
    """Where SQL ran on the event loop (the service's own frames of each such statement)."""
    found: list[str] = []
    engine = sqlite_api.ctx.db.engine

    def check(*_args: Any) -> None:
        if not _on_the_loop():
            return
        frames = [f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno} {f.name}"
                  for f in traceback.extract_stack() if "lfr_api" in f.filename]
        found.append(" <- ".join(reversed(frames)))

    sa.event.listen(engine, "before_cursor_execute", check)
    try:
        yield found
    finally:
        sa.event.remove(engine, "before_cursor_execute", check)


def test_the_main_flows_run_no_sql_on_the_event_loop(sqlite_api: Api, offenders: list[str],
                                                     photo_bytes: dict[str, bytes]) -> None:
    api, c = sqlite_api, sqlite_api.client
    admin, officer = api.headers[Role.admin], api.headers[Role.officer]
    live = live_deployment(api, photo_bytes["obama"])
    alert_id = ingest_alert(api, live, crop=crop_of(photo_bytes["obama"]))
    for path, headers in ((f"/alerts/{alert_id}", officer),
                          (f"/alerts/{alert_id}/probe-crop", officer),
                          (f"/alerts/{alert_id}/deliveries", admin),
                          (f"/deployments/{live.id}", admin),
                          (f"/deployments/{live.id}/alerts", officer),
                          (f"/deployments/{live.id}/watchlist", admin),
                          (f"/deployments/{live.id}/operating-point", admin),
                          ("/deployments", admin), ("/users", admin), ("/auth/me", officer),
                          ("/health", {}), ("/ready", {}), ("/metrics", {})):
        r = c.get(path, headers=headers)
        assert r.status_code in (200, 503), (path, r.text)
    files = [("images", ("p.jpg", photo_bytes["obama"], "image/jpeg"))]
    r = c.post(f"/deployments/{live.id}/watchlist-check", files=files, headers=admin)
    assert r.status_code == 200, r.text
    r = c.post(f"/alerts/{alert_id}/decision", headers=officer,
               json={"decision": "no_engage", "outcome": "no_further_action"})
    assert r.status_code == 200, r.text
    with c.websocket_connect(f"/deployments/{live.id}/feed?after=0", headers=officer) as ws:
        assert ws.receive_json()["alert"]["id"] == alert_id
    assert offenders == [], "\n".join(offenders)
