"""The services of one harness run: its own PostgreSQL and Redis, N API replicas as uvicorn
processes (``python -m benchmarks.service_launch``), and a deployment set up through the
API as an operator would (admin, authorising officer, officers, a live deployment with one
camera per node, one enrolled person, a service-account key per node)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from lfr_api.testing.api import authorisation
from lfr_api.testing.processes import PostgresServer, RedisServer, free_port, wait_for_port

from lfr_framework.models.store import default_home
from lfr_framework.plugins import PluginHost
from lfr_framework.sample_photos import fetch_photos

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def fetch_missing_models() -> None:
    """Fetch into the default store every downloadable model not there yet (a fresh clone
    has none; a deployment cannot be authorised without its recogniser's model)."""
    host = PluginHost()
    store = host.model_store()
    for spec in store.specs():
        if spec.downloadable and not store.status(spec.model_id).present:
            store.fetch(spec.model_id)


@dataclass
class Replica:
    """One API process."""

    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start it (it serves once ``/health`` answers; see :meth:`wait`)."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.service_launch", "--port", str(self.port)],
                cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def wait(self, timeout_s: float = 90.0) -> None:
        """Wait until ``/health`` answers 200."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"replica on {self.port} exited: see {self.log}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"replica on {self.port} did not answer in {timeout_s} s")

    def kill(self) -> None:
        """SIGKILL it (a crash)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """SIGTERM it and wait (SIGKILL after 15 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Deployment:
    """A live deployment of the run: its id, entry, node keys and operating threshold."""

    id: str
    entry_id: str
    keys: list[str]
    threshold: float
    model_id: str
    cameras: list[str] = field(default_factory=list)


class Cluster:
    """PostgreSQL, Redis and the replicas (see the module docstring)."""

    def __init__(self, replicas: int, work: Path | None = None) -> None:
        self.work = work or Path(tempfile.mkdtemp(prefix="lfr-cluster-"))
        self.postgres = PostgresServer()
        self.redis = RedisServer()
        home = self.work / "home"
        (home / "models").parent.mkdir(parents=True, exist_ok=True)
        if not (home / "models").exists():
            (home / "models").symlink_to(default_home() / "models")
        self.env = {**os.environ, "LFR_HOME": str(home), "LFR_DATABASE_URL": self.postgres.url,
                    "LFR_REDIS_URL": self.redis.url,
                    "LFR_JWT_SECRET": "cluster-" + uuid.uuid4().hex + uuid.uuid4().hex,
                    "LFR_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
                    "LFR_RETENTION_SWEEP_SECONDS": "3600"}
        self.replicas = [Replica(free_port(), self.env, self.work / f"replica-{i}.log")
                         for i in range(replicas)]
        self.engine: sa.Engine | None = None
        self.http = httpx.Client(timeout=60)
        self.admin: dict[str, str] = {}
        self.officers: list[tuple[str, str]] = []  # (username, user id)

    @property
    def urls(self) -> list[str]:
        return [r.url for r in self.replicas]

    def start(self) -> Cluster:
        """Fetch the models the replicas need, start PostgreSQL, Redis and the replicas;
        create the admin."""
        fetch_missing_models()
        self.postgres.init().start()
        self.redis.start()
        lfr = str(Path(sys.executable).parent / "lfr")
        boot = subprocess.run([lfr, "users", "create", "--role", "admin", "--password-stdin",
                               "chief"], cwd=REPO, env=self.env, input=PASSWORD + "\n",
                              capture_output=True, text=True)
        if boot.returncode != 0:
            raise RuntimeError(f"creating the admin failed: {boot.stdout}{boot.stderr}")
        for replica in self.replicas:
            replica.start()
        for replica in self.replicas:
            replica.wait()
        self.engine = sa.create_engine(self.postgres.url, pool_pre_ping=True)
        self.admin = self.login("chief")
        return self

    def login(self, username: str) -> dict[str, str]:
        """A bearer header for ``username``."""
        r = self.http.post(f"{self.urls[0]}/auth/login",
                           json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def user(self, role: str) -> tuple[str, str]:
        """A new user of ``role``: (username, id)."""
        username = f"{role}-{uuid.uuid4().hex[:8]}"
        r = self.http.post(f"{self.urls[0]}/users", headers=self.admin, json={
            "username": username, "password": PASSWORD, "role": role})
        r.raise_for_status()
        return username, str(r.json()["id"])

    def add_officers(self, n: int) -> None:
        """Create ``n`` more officers."""
        self.officers.extend(self.user("officer") for _ in range(n))

    def deployment(self, cameras: int) -> Deployment:
        """A live deployment with ``cameras`` cameras, one person enrolled, a node key per
        camera, every officer assigned."""
        base, h = self.urls[0], self.admin
        r = self.http.post(f"{base}/deployments", headers=h,
                           json={"name": "Cluster run", "location": "High St"})
        r.raise_for_status()
        dep = r.json()["id"]
        names = [f"cam-{i}" for i in range(cameras)]
        for cam in names:
            self.http.post(f"{base}/deployments/{dep}/cameras", headers=h, json={
                "camera_id": cam, "source": "video", "uri": "file:///dev/null",
                "location_name": f"{cam}, north entrance"}).raise_for_status()
        ao = self.login(self.user("authorising_officer")[0])
        self.http.post(f"{base}/deployments/{dep}/authorise", headers=ao,
                       json=authorisation(hours=4)).raise_for_status()
        self.http.post(f"{base}/deployments/{dep}/start", headers=h).raise_for_status()
        photo = fetch_photos(("obama",))["obama"]
        r = self.http.post(f"{base}/deployments/{dep}/watchlist", headers=h, data={
            "reference": "WR-1", "category": "wanted_serious_offence", "reason": "robbery",
            "image_source": "custody record", "lawfully_held": "true"},
            files=[("images", ("obama.jpg", photo.read_bytes(), "image/jpeg"))])
        r.raise_for_status()
        entry = r.json()["id"]
        for _, user_id in self.officers:
            self.http.post(f"{base}/deployments/{dep}/assignments", headers=h,
                           json={"user_id": user_id}).raise_for_status()
        keys = []
        for cam in names:
            r = self.http.post(f"{base}/deployments/{dep}/service-accounts", headers=h,
                               json={"name": f"node-{cam}"})
            r.raise_for_status()
            keys.append(str(r.json()["api_key"]))
        r = self.http.get(f"{base}/ingest/watchlist", headers={"X-API-Key": keys[0]})
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        model = next((e["model_id"] for e in body["entries"]), "sface")
        return Deployment(dep, entry, keys, float(body["operating_threshold"]), model, names)

    def stored(self, deployment_id: str) -> list[str]:
        """The deployment's alerts in the feed's commit order (their raised events)."""
        assert self.engine is not None
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT alert_id FROM alert_events WHERE deployment_id = :d AND "
                "kind = 'alert.raised' ORDER BY txid, id"), {"d": deployment_id}).all()
        return [str(r[0]) for r in rows]

    def stop(self) -> None:
        """Stop everything this run started."""
        self.http.close()
        for replica in self.replicas:
            replica.stop()
        if self.engine is not None:
            self.engine.dispose()
        self.redis.stop()
        self.postgres.destroy()


def wait_port(port: int) -> None:
    """Wait until ``port`` accepts connections."""
    wait_for_port(port)
