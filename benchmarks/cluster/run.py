"""``python -m benchmarks.cluster.run``: start a cluster, run trials of each fault, print a
table per scenario (and write the figures as JSON with ``--json``)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.cluster.cluster import Cluster
from benchmarks.cluster.scenarios import FAULTS, Plan, TrialResult, percentiles, run_trial


async def run(plan: Plan, faults: list[str], trials: int, work: Path) -> list[TrialResult]:
    """Start the cluster, run ``trials`` trials of each fault, stop the cluster."""
    cluster = await asyncio.to_thread(Cluster(plan.replicas, work).start)
    results = []
    try:
        await asyncio.to_thread(cluster.add_officers, plan.officers)
        # A fresh process's first requests are slow (new database connections, first
        # queries): one short trial, not counted, brings every replica to steady state.
        warm = work / "warm-up"
        warm.mkdir(parents=True, exist_ok=True)
        await run_trial(cluster, dataclasses.replace(plan, duration_s=min(plan.duration_s, 8.0)),
                        "none", -1, warm)
        for fault in faults:
            for trial in range(trials):
                folder = work / f"{fault}-{trial}"
                folder.mkdir(parents=True, exist_ok=True)
                result = await run_trial(cluster, plan, fault, trial, folder)
                print(row(result.as_dict()), flush=True)
                results.append(result)
    finally:
        await asyncio.to_thread(cluster.stop)
    return results


HEADER = ("scenario", "trials", "raised", "acked", "stored", "delivered/officer (min-max)",
          "lost", "dup", "out of order", "p50 ms", "p95 ms", "p99 ms", "p95 outside faults")


def row(d: dict[str, Any]) -> str:
    """One trial's line."""
    lat, out = d["latency_ms"], d["latency_outside_faults_ms"]
    return (f"{d['fault']}#{d['trial']}: raised {d['raised']} acked {d['acknowledged']} "
            f"stored {d['stored']} delivered {d['delivered_min']}-{d['delivered_max']} "
            f"lost {d['lost']} dup {d['duplicated']} ooo {d['out_of_order']} "
            f"p50/p95/p99 {lat['p50']}/{lat['p95']}/{lat['p99']} ms "
            f"(outside faults p95 {out['p95']}; ack p50/p95 {d['ack_latency_ms']['p50']}/"
            f"{d['ack_latency_ms']['p95']}) errors {sorted(set(d['officer_errors']))}")


def table(results: list[TrialResult]) -> str:
    """The per-scenario table (Markdown)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for fault in dict.fromkeys(r.fault for r in results):
        rs = [r for r in results if r.fault == fault]
        every = [x for r in rs for x in r.latencies]
        outside = [x for r in rs for x in r.latencies_outside]
        lat, out = percentiles(every), percentiles(outside)
        delivered = [d for r in rs for d in r.delivered]
        lines.append("| " + " | ".join(str(v) for v in (
            fault, len(rs), sum(r.raised for r in rs), sum(r.acknowledged for r in rs),
            sum(r.stored for r in rs), f"{min(delivered, default=0)}-{max(delivered, default=0)}"
            f" of {max((r.stored for r in rs), default=0)} max",
            sum(r.lost for r in rs), sum(r.duplicated for r in rs),
            sum(r.out_of_order for r in rs), lat["p50"], lat["p95"], lat["p99"],
            out["p95"])) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print the table; exit 1 if anything was lost or repeated."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster.run")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--officers", type=int, default=500)
    parser.add_argument("--rate", type=float, default=1.0, help="alerts/s per node")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of raising")
    parser.add_argument("--trials", type=int, default=20, help="trials per fault")
    parser.add_argument("--faults", default="all", help=f"comma list of {', '.join(FAULTS)}")
    parser.add_argument("--drop-every", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds to wait for the officers after the last alert; what "
                        "has not reached an officer by then counts as lost")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    faults = list(FAULTS) if args.faults == "all" else args.faults.split(",")
    plan = Plan(replicas=args.replicas, nodes=args.nodes, officers=args.officers,
                rate=args.rate, duration_s=args.duration, drop_every_s=args.drop_every,
                settle_s=args.settle)
    work = Path(tempfile.mkdtemp(prefix="lfr-chaos-"))
    results = asyncio.run(run(plan, faults, args.trials, work))
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([r.as_dict() for r in results], indent=1))
    return 0 if all(r.lost == 0 and r.duplicated == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
