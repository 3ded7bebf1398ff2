"""One trial of the harness: a fresh live deployment, K officers following it, M nodes
raising alerts for a while, one fault injected on a schedule, then the count: raised,
acknowledged, stored, delivered per officer, lost, duplicated, out of order, latency."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.cluster.cluster import PASSWORD, REPO, Cluster, Deployment
from benchmarks.cluster.officers import Watch, follow

FAULTS = ("none", "kill-replica", "kill-node", "redis-stop", "postgres-stop",
          "postgres-sigstop")


@dataclass(frozen=True)
class Plan:
    """The size and timing of a run."""

    replicas: int = 3
    nodes: int = 10
    officers: int = 500
    rate: float = 1.0  # alerts per second per node
    duration_s: float = 20.0
    drop_every_s: float = 10.0  # each officer drops its connection about this often
    redis_down_s: tuple[float, float] = (3.0, 15.0)
    postgres_down_s: tuple[float, float] = (5.0, 30.0)
    settle_s: float = 60.0


@dataclass
class TrialResult:
    """The figures of one trial."""

    fault: str
    trial: int
    raised: int = 0
    acknowledged: int = 0
    rejected: int = 0
    stored: int = 0
    delivered: list[int] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    repeats_absorbed: int = 0
    officer_errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    latencies_outside: list[float] = field(default_factory=list)
    #: Node's raise to the service's acknowledgement (the ingest, as a node sees it).
    ack_latencies: list[float] = field(default_factory=list)
    window: tuple[float, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, latencies summarised."""
        out = {k: v for k, v in self.__dict__.items()
               if k not in ("latencies", "latencies_outside", "ack_latencies", "delivered")}
        out["delivered_min"] = min(self.delivered, default=0)
        out["delivered_max"] = max(self.delivered, default=0)
        out["latency_ms"] = percentiles(self.latencies)
        out["latency_outside_faults_ms"] = percentiles(self.latencies_outside)
        out["ack_latency_ms"] = percentiles(self.ack_latencies)
        return out


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 in milliseconds (nearest rank)."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99)}


class Nodes:
    """The node processes of a trial (each with its journal)."""

    def __init__(self, cluster: Cluster, dep: Deployment, plan: Plan, folder: Path) -> None:
        self.go = folder / "go"
        self.args = [[sys.executable, "-m", "benchmarks.cluster.node", "--journal",
                      str(folder / f"node-{i}.jsonl"), "--key", dep.keys[i], "--camera",
                      dep.cameras[i], "--entry", dep.entry_id, "--threshold",
                      str(dep.threshold), "--model", dep.model_id, "--go", str(self.go),
                      "--rate", str(plan.rate), *cluster.urls] for i in range(plan.nodes)]
        self.journals = [folder / f"node-{i}.jsonl" for i in range(plan.nodes)]
        self.processes = [self._start(i) for i in range(plan.nodes)]

    async def go_when_ready(self, duration_s: float, timeout_s: float = 120.0) -> float:
        """Wait until every node is up, then let them raise for ``duration_s``; the end."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not all(
                j.exists() and '"ready"' in j.read_text() for j in self.journals):
            await asyncio.sleep(0.1)
        until = time.time() + duration_s
        tmp = self.go.with_suffix(".tmp")
        tmp.write_text(repr(until))
        tmp.replace(self.go)
        return until

    def _start(self, i: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.args[i], cwd=REPO)

    def kill(self, i: int) -> None:
        """SIGKILL node ``i`` (its journal stays)."""
        self.processes[i].kill()
        self.processes[i].wait()

    def restart(self, i: int) -> None:
        """Start node ``i`` again: it re-sends what it had not had acknowledged."""
        self.processes[i] = self._start(i)

    async def wait(self, timeout_s: float) -> None:
        """Wait until every node has raised all and had it acknowledged."""
        deadline = time.monotonic() + timeout_s
        while any(p.poll() is None for p in self.processes):
            if time.monotonic() > deadline:
                for p in self.processes:
                    p.kill()
                break
            await asyncio.sleep(0.2)

    def rows(self) -> list[dict[str, Any]]:
        """Every journal line of the trial."""
        out = []
        for journal in self.journals:
            if journal.exists():
                for line in journal.read_text().splitlines():
                    with contextlib.suppress(ValueError):  # a line cut short by SIGKILL
                        out.append(json.loads(line))
        return out


async def _inject(fault: str, trial: int, cluster: Cluster, nodes: Nodes,
                  plan: Plan) -> tuple[float, float]:
    """Inject ``fault`` now; returns its window (start, end) in epoch seconds."""
    start = time.time()
    if fault == "kill-replica":
        replica = cluster.replicas[trial % len(cluster.replicas)]
        replica.kill()
        await asyncio.sleep(1.0)
        replica.start()
        await asyncio.to_thread(replica.wait)
    elif fault == "kill-node":
        i = trial % len(nodes.processes)
        nodes.kill(i)
        await asyncio.sleep(1.0)
        nodes.restart(i)
    elif fault == "redis-stop":
        cluster.redis.stop()
        await asyncio.sleep(random.uniform(*plan.redis_down_s))
        await asyncio.to_thread(cluster.redis.start)
    elif fault == "postgres-stop":
        await asyncio.to_thread(cluster.postgres.stop, "fast")
        await asyncio.sleep(random.uniform(*plan.postgres_down_s))
        await asyncio.to_thread(cluster.postgres.start)
    elif fault == "postgres-sigstop":
        cluster.postgres.pause()
        await asyncio.sleep(random.uniform(*plan.postgres_down_s))
        cluster.postgres.resume()
    return start, time.time()


async def run_trial(cluster: Cluster, plan: Plan, fault: str, trial: int,
                    folder: Path) -> TrialResult:
    """One trial (see the module docstring)."""
    dep = await asyncio.to_thread(cluster.deployment, plan.nodes)
    stop = asyncio.Event()
    watches = [Watch(name) for name, _ in cluster.officers[:plan.officers]]
    officers = [asyncio.create_task(follow(cluster.urls, w.username, PASSWORD, dep.id, w,
                                           stop, plan.drop_every_s)) for w in watches]
    async with asyncio.timeout(120):
        while not all(w.client is not None and w.client.connections for w in watches):
            await asyncio.sleep(0.1)
    nodes = Nodes(cluster, dep, plan, folder)
    await nodes.go_when_ready(plan.duration_s)
    result = TrialResult(fault, trial)
    await asyncio.sleep(plan.duration_s * 0.3)
    if fault != "none":
        result.window = await _inject(fault, trial, cluster, nodes, plan)
    await nodes.wait(plan.duration_s + plan.settle_s + 60)
    stored = await asyncio.to_thread(cluster.stored, dep.id)
    deadline = time.monotonic() + plan.settle_s
    while time.monotonic() < deadline and not all(
            len(w.received) >= len(set(stored)) for w in watches):
        await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*officers, return_exceptions=True)
    _count(result, nodes.rows(), stored, watches)
    return result


def _count(result: TrialResult, rows: list[dict[str, Any]], stored: list[str],
           watches: list[Watch]) -> None:
    raised_at = {r["key"]: datetime.fromisoformat(r["body"]["raised_at"]).timestamp()
                 for r in rows if r["e"] == "raised"}
    raised = set(raised_at)
    acked = {r["key"]: r["id"] for r in rows if r["e"] == "ack"}
    result.ack_latencies = [r["t"] - raised_at[r["key"]] for r in rows
                            if r["e"] == "ack" and r["key"] in raised_at]
    result.raised, result.acknowledged = len(raised), len(acked)
    result.rejected = len({r["key"] for r in rows if r["e"] == "rejected"})
    result.stored = len(stored)
    acked_ids, stored_ids = set(acked.values()), set(stored)
    rank = {alert_id: i for i, alert_id in enumerate(stored)}
    # Lost: raised but never stored, acknowledged but not stored, stored but not delivered.
    result.lost = len(raised) - len(acked) + len(acked_ids - stored_ids)
    result.duplicated = (len(stored) - len(stored_ids)) + len(stored_ids - acked_ids)
    window = result.window
    for w in watches:
        result.delivered.append(len(w.received))
        result.lost += len(stored_ids - set(w.received))
        result.duplicated += sum(len(times) - 1 for times in w.received.values())
        result.out_of_order += sum(1 for a, b in zip(w.order, w.order[1:], strict=False)
                                   if rank.get(b, 0) < rank.get(a, 0))
        result.repeats_absorbed += w.client.repeats if w.client is not None else 0
        if w.error:
            result.officer_errors.append(w.error)
        for raised_at, latency in w.latencies:
            result.latencies.append(latency)
            if window is None or not window[0] - 1 <= raised_at <= window[1] + 2:
                result.latencies_outside.append(latency)
