"""End to end, on a real server (uvicorn on 127.0.0.1) with SQLite: the first admin from
``lfr users create``, then everything through the API; ``lfr serve``'s in-process pipelines
run the REAL pipeline (default plugins) on a rendered video; the reference officer client
receives the alert over the WebSocket and records the decision; the other watcher sees it;
the phones get the FCM push (fake FCM on loopback)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa
from lfr_api.app import create_app
from lfr_api.cli.service import users
from lfr_api.contract.schemas import validator
from lfr_api.contract.version import CONTRACT_VERSION
from lfr_api.feed.push import FcmSettings
from lfr_api.officer.client import ApiError, OfficerClient
from lfr_api.testing.api import authorisation, make_settings
from lfr_api.testing.live import LiveServer, free_port
from lfr_fcm.testing import FakeFcm, write_service_account
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from lfr_framework.evaluation.scenes import Pass, SceneSpec, render_scene
from lfr_framework.models.store import default_home
from lfr_framework.plugins import PluginHost

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Service:
    url: str
    app: Any
    fcm: FakeFcm
    http: httpx.Client
    admin: dict[str, str]

    def login(self, username: str) -> dict[str, str]:
        r = self.http.post("/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def user(self, role: str) -> str:
        username = f"{role}-{uuid.uuid4().hex[:6]}"
        r = self.http.post("/users", headers=self.admin, json={
            "username": username, "password": PASSWORD, "role": role})
        assert r.status_code == 201, r.text
        return username


@pytest.fixture(scope="module")
def scene_video(tmp_path_factory: pytest.TempPathFactory, real_photos: dict[str, Path]) -> Path:
    """Obama passes twice (obama2, obama3) and a passer-by who is not on the watchlist."""
    spec = SceneSpec(duration_s=4.0, width=960, height=540, passes=[
        Pass(identity="obama", photo="obama2", start_s=0.0, duration_s=2.0,
             face_height_px=130, y_frac=0.4),
        Pass(identity="passer-by", photo="grace_hopper", start_s=0.3, duration_s=2.6,
             face_height_px=120, y_frac=0.7, direction=-1),
        Pass(identity="obama", photo="obama3", start_s=2.0, duration_s=2.0,
             face_height_px=130, y_frac=0.45),
    ])
    video = tmp_path_factory.mktemp("scene") / "gate.mp4"
    render_scene(spec, real_photos, video)
    return video


@pytest.fixture(scope="module")
def service(plugin_host: PluginHost, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{home / 'lfr.db'}"
    boot = CliRunner().invoke(users, ["create", "--role", "admin", "--password-stdin", "chief"],
                              input=PASSWORD + "\n",
                              env={"LFR_HOME": str(home), "LFR_DATABASE_URL": database_url})
    assert boot.exit_code == 0, boot.output
    fake = FakeFcm(_KEY.public_key())
    key_file = write_service_account(home / "firebase.json", _KEY, fake.token_uri)
    settings = make_settings(default_home(), database_url, run_pipelines=True,
                             pipeline_poll_seconds=0.2,
                             fcm=FcmSettings(credentials_file=key_file, endpoint=fake.url,
                                             initial_backoff_s=0.1, max_backoff_s=0.5))
    app = create_app(settings, host=plugin_host)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        r = http.post("/auth/login", json={"username": "chief", "password": PASSWORD})
        assert r.status_code == 200, r.text
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        yield Service(server.url, app, fake, http, admin)
    fake.stop()
    app.state["ctx"].db.engine.dispose()


@pytest.fixture(scope="module")
def deployment(service: Service, scene_video: Path, real_photos: dict[str, Path]
               ) -> dict[str, Any]:
    """Created, authorised, published and enrolled through the API (not yet live)."""
    s, http = service, service.http
    ao = s.login(s.user("authorising_officer"))
    officers = [s.user("officer"), s.user("officer")]
    r = http.post("/deployments", headers=s.admin, json={
        "name": "King's Cross, Saturday", "location": "King's Cross station"})
    assert r.status_code == 201, r.text
    dep = r.json()["id"]
    r = http.post(f"/deployments/{dep}/cameras", headers=s.admin, json={
        "camera_id": "gate-1", "source": "video", "uri": str(scene_video),
        "location_name": "Ticket barrier, north"})
    assert r.status_code == 201, r.text
    r = http.post(f"/deployments/{dep}/authorise", headers=ao, json=authorisation())
    assert r.status_code == 200, r.text
    assert http.post(f"/deployments/{dep}/publish", headers=ao).status_code == 200
    notice = next(n for n in http.get("/public/deployments").json() if n["id"] == dep)
    # Never watchlist content; the retention periods (numbers only) are a public fact.
    assert set(notice["retention"]) == {"alert_biometrics_days", "watchlist_hours_after_end",
                                        "non_match_data"}
    assert "watchlist" not in str({k: v for k, v in notice.items() if k != "retention"}).lower()
    entries = {}
    for name, reference in (("obama", "WR-2024/0001"), ("biden", "WR-2024/0002")):
        with real_photos[name].open("rb") as f:
            r = http.post(f"/deployments/{dep}/watchlist", headers=s.admin, data={
                "reference": reference, "category": "wanted_serious_offence",
                "reason": "Wanted for robbery", "image_source": "custody record 2024",
                "lawfully_held": "true"}, files=[("images", (f"{name}.jpg", f, "image/jpeg"))])
        assert r.status_code == 201, r.text
        entries[name] = r.json()["id"]
    users_by_name = {u["username"]: u["id"] for u in http.get("/users", headers=s.admin).json()}
    for username in officers:
        r = http.post(f"/deployments/{dep}/assignments", headers=s.admin,
                      json={"user_id": users_by_name[username]})
        assert r.status_code == 201, r.text
    r = http.post(f"/deployments/{dep}/service-accounts", headers=s.admin,
                  json={"name": "gate-node"})
    assert r.status_code == 201, r.text
    return {"id": dep, "entries": entries, "officers": officers, "key": r.json()["api_key"]}


def _check(message: dict[str, Any]) -> dict[str, Any]:
    validator("feed_message").validate(message)
    return message


async def _next(queue: asyncio.Queue[dict[str, Any]], kind: str, alert_id: str | None = None,
                timeout_s: float = 180.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            message = _check(await queue.get())
            if message["type"] == kind and alert_id in (None, message["alert"]["id"]):
                return message


def test_the_real_pipeline_alerts_the_officers_who_decide(
        service: Service, deployment: dict[str, Any]) -> None:
    s, dep = service, deployment["id"]
    decider_name, watcher_name = deployment["officers"]

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[str]]:
        decider = OfficerClient(s.url, decider_name, PASSWORD)
        watcher = OfficerClient(s.url, watcher_name, PASSWORD)
        tokens = []
        queues: list[asyncio.Queue[dict[str, Any]]] = [asyncio.Queue(), asyncio.Queue()]
        tasks = []
        for client, queue in zip((decider, watcher), queues, strict=True):
            await client.login()
            token = f"fcm-{uuid.uuid4().hex}"
            await client.register_device(token, "android", "test phone")
            tokens.append(token)

            async def pump(c: OfficerClient = client,
                           q: asyncio.Queue[dict[str, Any]] = queue) -> None:
                async for message in c.feed(dep):
                    await q.put(message)

            tasks.append(asyncio.create_task(pump()))
        async with asyncio.timeout(30):
            while decider.connections < 1 or watcher.connections < 1:
                await asyncio.sleep(0.05)
        assert decider.contract_version == CONTRACT_VERSION
        # Going live: `lfr serve`'s supervisor starts the pipeline on the camera's video.
        r = await asyncio.to_thread(s.http.post, f"/deployments/{dep}/start", headers=s.admin)
        assert r.status_code == 200, r.text
        raised = await _next(queues[0], "alert.raised")
        alert_id = raised["alert"]["id"]
        seen_by_watcher = await _next(queues[1], "alert.raised", alert_id)
        assert seen_by_watcher["cursor"] == raised["cursor"]
        crop = await decider.probe_crop(alert_id)
        assert crop[:3] == b"\xff\xd8\xff"
        decided = await decider.decide(alert_id, "engage", "arrested", "stopped at the gate")
        assert decided["state"] == "decided"
        mine = await _next(queues[0], "alert.updated", alert_id)
        theirs = await _next(queues[1], "alert.updated", alert_id)
        with pytest.raises(ApiError) as conflict:
            await watcher.decide(alert_id, "no_engage", "not_located")
        assert conflict.value.status == 409
        validator("problem").validate(conflict.value.problem)
        for client in (decider, watcher):
            await client.stop_feed()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in (decider, watcher):
            await client.close()
        return raised, mine, theirs, tokens

    raised, mine, theirs, tokens = asyncio.run(scenario())
    alert_id = raised["alert"]["id"]
    assert raised["alert"]["watchlist_entry"]["id"] == deployment["entries"]["obama"]
    assert raised["alert"]["camera"] == {"id": "gate-1", "location": "Ticket barrier, north"}
    for update in (mine, theirs):
        decision = update["alert"]["decision"]
        assert (decision["decision"], decision["outcome"]) == ("engage", "arrested")
        assert decision["decided_by"] == f"user:{decider_name}"
    assert mine["cursor"] == theirs["cursor"] > raised["cursor"]
    stored = s.http.get(f"/alerts/{alert_id}", headers=s.admin).json()
    assert stored["state"] == "decided" and stored["decision"]["note"] == "stopped at the gate"
    # Both phones got the push, with no biometric data in it.
    for token in tokens:
        deadline = time.monotonic() + 15
        while not s.fcm.sends_to(token) and time.monotonic() < deadline:
            time.sleep(0.05)
        data = s.fcm.sends_to(token)[0].body["message"]["data"]
        assert data["alert_id"] == alert_id
        validator("fcm_payload").validate(data)
    # The video ends; only the watchlisted face raised alerts (never the passer-by).
    pipelines = s.app.state["pipelines"]
    deadline = time.monotonic() + 180
    while pipelines.done.get(dep) != "its sources ended" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pipelines.done.get(dep) == "its sources ended"
    alerts = s.http.get(f"/deployments/{dep}/alerts", headers=s.admin).json()
    assert 1 <= len(alerts) <= 2
    assert {a["watchlist_entry"]["id"] for a in alerts} == {deployment["entries"]["obama"]}
    assert all(a["links"]["probe_crop"] for a in alerts)
    # The pipeline's counts reached the report: three people passed, none of them kept.
    deadline = time.monotonic() + 15
    while True:
        results = s.http.get(f"/deployments/{dep}/report", headers=s.admin).json()["results"]
        if results["faces_seen"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert results["faces_seen"] >= 3 and results["alerts"] == len(alerts)
    assert results["non_match_discards"] >= 1


def test_the_client_resumes_after_a_drop_without_loss_or_duplicates(
        service: Service, deployment: dict[str, Any]) -> None:
    s, dep = service, deployment["id"]
    if s.http.get(f"/deployments/{dep}", headers=s.admin).json()["state"] != "live":
        r = s.http.post(f"/deployments/{dep}/start", headers=s.admin)
        assert r.status_code == 200, r.text
    node = {"X-API-Key": deployment["key"]}

    point = s.http.get(f"/deployments/{dep}", headers=s.admin).json()["operating_point"]

    def ingest(name: str) -> str:
        t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        r = s.http.post("/ingest/alerts", headers={**node, "Idempotency-Key": name}, json={
            "camera_id": "gate-1", "entry_id": deployment["entries"]["biden"], "score": 0.5,
            "threshold": point["threshold"], "model_id": point["model_id"], "raised_at": t,
            "frame_timestamp": t})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def scenario() -> tuple[list[str], list[str], OfficerClient]:
        client = OfficerClient(s.url, deployment["officers"][1], PASSWORD)
        feed = client.feed(dep)
        got: list[str] = []

        async def next_raised() -> str:
            async with asyncio.timeout(20):
                while True:
                    message = _check(await anext(feed))
                    if message["type"] == "alert.raised":
                        return str(message["alert"]["id"])

        # Connect (the pending backlog comes first), then take live alerts.
        first_task = asyncio.create_task(next_raised())
        while client.connections < 1:
            await asyncio.sleep(0.02)
        posted = [await asyncio.to_thread(ingest, f"resume-{uuid.uuid4()}")]
        got.append(await first_task)
        await client.drop_connection()  # the network drops...
        posted.append(await asyncio.to_thread(ingest, f"resume-{uuid.uuid4()}"))  # missed live
        got.append(await next_raised())  # ...the client reconnects after its cursor
        posted.append(await asyncio.to_thread(ingest, f"resume-{uuid.uuid4()}"))
        got.append(await next_raised())
        await client.stop_feed()
        await feed.aclose()
        await client.close()
        return posted, got, client

    posted, got, client = asyncio.run(scenario())
    assert got == posted
    assert client.connections == 2


def test_feed_refusals_are_http_statuses_with_problem_bodies(
        service: Service, deployment: dict[str, Any]) -> None:
    s, dep = service, deployment["id"]
    outsider = s.user("officer")
    ws_url = s.url.replace("http://", "ws://")

    async def refused(path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        with pytest.raises(InvalidStatus) as exc:
            async with connect(f"{ws_url}{path}", additional_headers=headers, proxy=None):
                pass
        return exc.value.response.status_code, exc.value.response.body or b""

    async def scenario() -> list[tuple[int, bytes]]:
        out = [await refused(f"/deployments/{dep}/feed", {}),
               await refused(f"/deployments/{dep}/feed", {"Authorization": "Bearer nope"}),
               await refused(f"/deployments/{dep}/feed", s.login(outsider)),
               await refused(f"/deployments/{uuid.uuid4()}/feed", s.admin)]
        client = OfficerClient(s.url, outsider, PASSWORD)
        with pytest.raises(ApiError) as exc:
            await anext(client.feed(dep))
        await client.close()
        assert exc.value.status == 403
        return out

    results = asyncio.run(scenario())
    assert [status for status, _ in results] == [401, 401, 403, 404]
    import json

    for _, body in results:
        validator("problem").validate(json.loads(body))


def test_lfr_serve_starts_the_api_with_its_openapi_document(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LFR_HOME": str(tmp_path), "LFR_DEV": "1"}
    env.pop("LFR_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "lfr_framework.cli", "serve", "--host",
                             "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/schema/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "lfr serve did not start"
                time.sleep(0.2)
        assert r.status_code == 200 and "/ingest/alerts" in r.json()["paths"]
        health = httpx.get(f"http://127.0.0.1:{port}/health").json()
        assert health["contract_version"] == CONTRACT_VERSION
        assert (tmp_path / "lfr.db").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _looping_deployment(s: Service, video: Path, photo: Path) -> str:
    """A live deployment whose camera loops the video (its pipeline never ends by itself)."""
    ao = s.login(s.user("authorising_officer"))
    dep = s.http.post("/deployments", headers=s.admin, json={"name": "Loop"}).json()["id"]
    r = s.http.post(f"/deployments/{dep}/cameras", headers=s.admin, json={
        "camera_id": "loop", "source": "video", "uri": str(video), "options": {"loop": True}})
    assert r.status_code == 201, r.text
    assert s.http.post(f"/deployments/{dep}/authorise", headers=ao,
                       json=authorisation()).status_code == 200
    with photo.open("rb") as f:
        r = s.http.post(f"/deployments/{dep}/watchlist", headers=s.admin, data={
            "reference": "WR-L", "category": "other", "reason": "r", "image_source": "s",
            "lawfully_held": "true"}, files=[("images", ("o.jpg", f, "image/jpeg"))])
    assert r.status_code == 201, r.text
    assert s.http.post(f"/deployments/{dep}/start", headers=s.admin).status_code == 200
    pipelines = s.app.state["pipelines"]
    deadline = time.monotonic() + 60
    while dep not in pipelines.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dep in pipelines.running, pipelines.done.get(dep)
    return str(dep)


def test_serve_stops_a_pipeline_when_its_deployment_closes_or_its_window_ends(
        service: Service, scene_video: Path, real_photos: dict[str, Path]) -> None:
    s = service
    pipelines = s.app.state["pipelines"]
    closed = _looping_deployment(s, scene_video, real_photos["obama"])
    r = s.http.post(f"/deployments/{closed}/close", headers=s.admin)
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 30
    while closed in pipelines.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pipelines.done[closed] == "the deployment is no longer live"

    expiring = _looping_deployment(s, scene_video, real_photos["obama"])
    end = s.http.get(f"/deployments/{expiring}", headers=s.admin).json()["authorised_end"]
    from datetime import datetime, timedelta

    pipelines.sync(now=datetime.fromisoformat(end) + timedelta(seconds=1))
    assert expiring not in pipelines.running
    assert pipelines.done[expiring] == "the authorised window ended"
    state = s.http.get(f"/deployments/{expiring}", headers=s.admin).json()["state"]
    assert state == "closed"
    steps = s.http.get(f"/deployments/{expiring}/transitions", headers=s.admin).json()
    assert steps[-1]["note"] == "the authorised window ended"
