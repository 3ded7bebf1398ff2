"""Alert delivery through the service: ``POST /ingest/alerts`` → officers' WebSocket feeds.

For each variant (SQLite or PostgreSQL; in-memory or Redis channels) the service runs in
its own process on 127.0.0.1 (:mod:`benchmarks.service_launch`). The benchmark sets up a
live deployment through the HTTP API as an operator would (admin bootstrapped with
``lfr users create``; users, deployment, camera, authorisation, watchlist entry, officer
assignments and a service account over HTTP), then:

* **latency**: posts alerts one at a time, as a camera node does, and times each from just
  before the POST to its arrival on every connected officer's WebSocket, with 1 and with
  200 officers connected (all clock readings in this process, monotonic);
* **ingest throughput**: posts alerts from several concurrent clients for a bounded count
  and time, one officer connected, and counts alerts stored and acknowledged per second.

Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PASSWORD = "benchmark password, loopback only"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True, slots=True)
class ServicePlan:
    """How much to send."""

    officers: tuple[int, ...] = (1, 200)
    latency_alerts: int = 100
    #: Pause between latency alerts (a camera node raises them one by one).
    latency_gap_s: float = 0.02
    ingest_alerts: int = 600
    ingest_concurrency: int = 8
    ingest_time_limit_s: float = 20.0


@dataclass(frozen=True, slots=True)
class Variant:
    """One way to run the service."""

    name: str
    database_url: str
    redis_url: str | None = None


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_url() -> str:
    """The PostgreSQL server to use: ``LFR_BENCH_DATABASE_URL``, ``LFR_TEST_DATABASE_URL``
    or the local default."""
    return (os.environ.get("LFR_BENCH_DATABASE_URL") or os.environ.get("LFR_TEST_DATABASE_URL")
            or DEFAULT_PG_URL)


@contextlib.contextmanager
def pg_schema(url: str) -> Iterator[str]:
    """A fresh schema on ``url``, dropped afterwards; yields the URL that uses it."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    schema = f"lfr_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def service_env(variant: Variant) -> dict[str, str]:
    """The ``LFR_*`` environment of the service and its CLI for ``variant``: its database
    and channels, a fresh token secret and a fresh data key for biometric data at rest."""
    from lfr_framework.models.store import default_home

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LFR_") or k in ("LFR_HOME",)}
    env.update({"LFR_HOME": str(default_home()), "LFR_DATABASE_URL": variant.database_url,
                "LFR_JWT_SECRET": secrets.token_urlsafe(48),
                "LFR_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode()})
    if variant.redis_url:
        env["LFR_REDIS_URL"] = variant.redis_url
    return env


def bootstrap_admin(env: dict[str, str], username: str) -> None:
    """Create the first admin with the service's own CLI, as an operator does."""
    lfr = Path(sys.executable).with_name("lfr")
    done = subprocess.run([str(lfr), "users", "create", "--role", "admin", "--password-stdin",
                           username], input=PASSWORD + "\n", text=True, capture_output=True,
                          env=env, check=False, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"lfr users create failed: {done.stderr[-500:]}")


@contextlib.contextmanager
def running_service(env: dict[str, str], log: Path) -> Iterator[str]:
    """Start the service in a subprocess; yield its base URL; stop it."""
    port = free_port()
    cmd = [sys.executable, "-m", "benchmarks.service_launch", "--port", str(port)]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=Path(__file__).resolve().parent.parent)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the service exited with {proc.returncode}; see {log}")
            try:
                if httpx.get(f"{base}/schema/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start within 90 s; see {log}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _check(r: Any, status: int = 200) -> Any:
    if r.status_code not in (status, 200, 201):
        raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} "
                           f"{r.text[:300]}")
    return r.json() if r.content else None


async def _login(client: Any, username: str) -> dict[str, str]:
    body = _check(await client.post("/auth/login", json={"username": username,
                                                        "password": PASSWORD}))
    return {"Authorization": f"Bearer {body['access_token']}"}


async def _user(client: Any, admin: dict[str, str], role: str) -> tuple[str, dict[str, str]]:
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    user = _check(await client.post("/users", headers=admin, json={
        "username": name, "password": PASSWORD, "role": role}), 201)
    return str(user["id"]), await _login(client, name)


@dataclass(slots=True)
class Setup:
    """A live deployment ready for alerts."""

    deployment: str
    entry_id: str
    key: dict[str, str]
    officer_tokens: list[str]
    #: The deployment's recogniser model and operating threshold (ingest checks them).
    operating: dict[str, Any]


async def set_up(client: Any, admin_name: str, officers: int, photo: bytes) -> Setup:
    """Users, a live deployment with one camera and one entry, officers, a service key."""
    admin = await _login(client, admin_name)
    _, ao = await _user(client, admin, "authorising_officer")
    dep = _check(await client.post("/deployments", headers=admin, json={
        "name": "Benchmark", "location": "loopback"}), 201)["id"]
    _check(await client.post(f"/deployments/{dep}/cameras", headers=admin, json={
        "camera_id": "cam-1", "source": "video", "uri": "file:///dev/null",
        "location_name": "benchmark camera"}), 201)
    start = datetime.now(UTC) - timedelta(minutes=5)
    _check(await client.post(f"/deployments/{dep}/authorise", headers=ao, json={
        "purpose": "Benchmark of alert delivery", "legal_basis": "Test only",
        "necessity": "Measure latency", "proportionality": "Loopback, synthetic alerts",
        "watchlist_criteria": "Synthetic", "community_impact_ref": "BENCH-1",
        "location": "loopback", "authorised_start": start.isoformat(),
        "authorised_end": (start + timedelta(hours=2)).isoformat()}))
    _check(await client.post(f"/deployments/{dep}/publish", headers=admin))
    _check(await client.post(f"/deployments/{dep}/start", headers=admin))
    entry = _check(await client.post(
        f"/deployments/{dep}/watchlist", headers=admin,
        data={"reference": "WR-BENCH", "category": "wanted_serious_offence",
              "reason": "Benchmark entry", "image_source": "pinned sample photo",
              "lawfully_held": "true"},
        files=[("images", ("obama.jpg", photo, "image/jpeg"))]), 201)
    key = _check(await client.post(f"/deployments/{dep}/service-accounts", headers=admin,
                                   json={"name": "bench-node"}), 201)["api_key"]
    tokens = []
    for _ in range(officers):
        user_id, headers = await _user(client, admin, "officer")
        _check(await client.post(f"/deployments/{dep}/assignments", headers=admin,
                                 json={"user_id": user_id}), 201)
        tokens.append(headers["Authorization"].removeprefix("Bearer "))
    point = _check(await client.get(f"/deployments/{dep}", headers=admin))["operating_point"]
    operating = {"model_id": point["model_id"], "threshold": point["threshold"]}
    return Setup(str(dep), str(entry["id"]), {"X-API-Key": key}, tokens, operating)


def _alert(setup: Setup, i: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"camera_id": "cam-1", "entry_id": setup.entry_id, "score": 0.7, **setup.operating,
            "track_id": i, "raised_at": now.isoformat(),
            "frame_timestamp": (now - timedelta(milliseconds=40)).isoformat()}


class Feed:
    """One officer's WebSocket feed: records when each alert id arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self, url: str) -> None:
        import json

        import websockets

        async with websockets.connect(url, max_size=2**22, open_timeout=30) as ws:
            self.ready.set()
            async for raw in ws:
                at = time.perf_counter()
                self.arrivals[json.loads(raw)["alert"]["id"]] = at


def _pcts(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": 1000 * statistics.median(ordered), "p95_ms": 1000 * p95,
            "max_ms": 1000 * ordered[-1], "n": len(ordered)}


async def measure_latency(client: Any, base: str, setup: Setup, officers: int,
                          plan: ServicePlan) -> dict[str, Any]:
    """Connect ``officers`` feeds, post alerts one at a time, time each delivery."""
    ws_base = base.replace("http://", "ws://", 1)
    feeds = [Feed() for _ in range(officers)]
    for feed, token in zip(feeds, setup.officer_tokens[:officers], strict=True):
        feed.task = asyncio.create_task(
            feed.run(f"{ws_base}/deployments/{setup.deployment}/feed?token={token}"))
    await asyncio.wait_for(asyncio.gather(*(f.ready.wait() for f in feeds)), 60)
    sent: dict[str, float] = {}
    deadline = time.monotonic() + 120
    for i in range(plan.latency_alerts):
        if time.monotonic() > deadline:
            break
        body = _alert(setup, i)
        start = time.perf_counter()
        r = await client.post("/ingest/alerts", json=body,
                              headers={**setup.key, "Idempotency-Key": uuid.uuid4().hex})
        sent[_check(r, 201)["id"]] = start
        # Wait (bounded) until every feed has it, then pause as a camera node would.
        wait_until = time.monotonic() + 10
        last_id = r.json()["id"]
        while time.monotonic() < wait_until and any(last_id not in f.arrivals for f in feeds):
            await asyncio.sleep(0.001)
        await asyncio.sleep(plan.latency_gap_s)
    for feed in feeds:
        assert feed.task is not None
        feed.task.cancel()
    await asyncio.gather(*(f.task for f in feeds if f.task), return_exceptions=True)
    every, last, missing = [], [], 0
    for alert_id, start in sent.items():
        got = [f.arrivals[alert_id] - start for f in feeds if alert_id in f.arrivals]
        missing += officers - len(got)
        every.extend(got)
        if len(got) == officers:
            last.append(max(got))
    return {"officers": officers, "alerts": len(sent), "deliveries": len(every),
            "missing": missing, "every_delivery": _pcts(every),
            "last_officer_per_alert": _pcts(last)}


async def measure_ingest(client: Any, base: str, setup: Setup,
                         plan: ServicePlan) -> dict[str, Any]:
    """Concurrent posters, one officer connected: alerts acknowledged per second."""
    feed = Feed()
    ws_base = base.replace("http://", "ws://", 1)
    feed.task = asyncio.create_task(feed.run(
        f"{ws_base}/deployments/{setup.deployment}/feed?token={setup.officer_tokens[0]}"))
    await asyncio.wait_for(feed.ready.wait(), 30)
    counter = iter(range(plan.ingest_alerts))
    times: list[float] = []
    ids: set[str] = set()
    errors = 0
    deadline = time.monotonic() + plan.ingest_time_limit_s

    async def poster() -> None:
        nonlocal errors
        for i in counter:
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            r = await client.post("/ingest/alerts", json=_alert(setup, i),
                                  headers={**setup.key, "Idempotency-Key": uuid.uuid4().hex})
            if r.status_code == 201:
                times.append(time.perf_counter() - start)
                ids.add(r.json()["id"])
            else:
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(poster() for _ in range(plan.ingest_concurrency)))
    elapsed = time.perf_counter() - start
    # Give the feed up to 5 s to catch up with what was acknowledged.
    settle = time.monotonic() + 5
    while time.monotonic() < settle and not ids <= feed.arrivals.keys():
        await asyncio.sleep(0.05)
    feed.task.cancel()
    await asyncio.gather(feed.task, return_exceptions=True)
    return {"alerts": len(times), "errors": errors, "seconds": elapsed,
            "alerts_per_s": len(times) / elapsed if elapsed else 0.0,
            "concurrency": plan.ingest_concurrency, "request": _pcts(times),
            "delivered_to_officer": len(ids & feed.arrivals.keys())}


async def _measure(base: str, admin: str, plan: ServicePlan, photo: bytes) -> dict[str, Any]:
    import httpx

    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        setup = await set_up(client, admin, max(plan.officers), photo)
        latency = [await measure_latency(client, base, setup, n, plan) for n in plan.officers]
        ingest = await measure_ingest(client, base, setup, plan)
    return {"latency": latency, "ingest": ingest}


def run_variant(variant: Variant, plan: ServicePlan, work: Path, photo: bytes) -> dict[str, Any]:
    """Start the service for ``variant``, measure, stop it."""
    admin = f"admin-{uuid.uuid4().hex[:8]}"
    env = service_env(variant)
    bootstrap_admin(env, admin)
    with running_service(env, work / f"service-{variant.name}.log") as base:
        return asyncio.run(_measure(base, admin, plan, photo))


def variants(work: Path, say: Callable[[str], None]) -> Iterator[Variant]:
    """SQLite (fresh file) and PostgreSQL (fresh schema) with in-memory channels, and
    SQLite with Redis channels when ``LFR_REDIS_URL`` is set."""
    db = work / f"bench-{uuid.uuid4().hex[:6]}.db"
    yield Variant("sqlite", f"sqlite:///{db}")
    db.unlink(missing_ok=True)
    url = pg_url()
    try:
        with pg_schema(url) as schema_url:
            yield Variant("postgresql", schema_url)
    except Exception as exc:  # any driver or connection error means: not available here
        say(f"PostgreSQL at {url.split('@')[-1]} not usable ({type(exc).__name__}: {exc}); "
            "skipped")
    redis = os.environ.get("LFR_REDIS_URL")
    if redis:
        db = work / f"bench-{uuid.uuid4().hex[:6]}.db"
        yield Variant("sqlite+redis", f"sqlite:///{db}", redis)
        db.unlink(missing_ok=True)


def run_service(plan: ServicePlan, work: Path,
                say: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Every variant in turn; a variant that fails is reported, not fatal."""
    from lfr_framework.sample_photos import fetch_photos

    photo = fetch_photos()["obama"].read_bytes()
    out: dict[str, Any] = {"plan": asdict(plan), "variants": {}}
    for variant in variants(work, say):
        say(f"service on {variant.name}: latency with {plan.officers} officers, ingest …")
        began = time.perf_counter()
        try:
            result = run_variant(variant, plan, work, photo)
        except Exception as exc:  # report and go on with the next variant
            say(f"  {variant.name} failed: {type(exc).__name__}: {exc}")
            out["variants"][variant.name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        result["elapsed_s"] = time.perf_counter() - began
        out["variants"][variant.name] = result
        for lat in result["latency"]:
            e = lat["every_delivery"] or {}
            say(f"  {variant.name}, {lat['officers']} officer(s): p50 "
                f"{e.get('p50_ms', float('nan')):.1f} ms, p95 {e.get('p95_ms', float('nan')):.1f}"
                f" ms over {lat['deliveries']} deliveries, {lat['missing']} missing")
        ing = result["ingest"]
        say(f"  {variant.name} ingest: {ing['alerts_per_s']:.0f} alerts/s "
            f"({ing['alerts']} in {ing['seconds']:.1f} s, {ing['errors']} errors)")
    return out
