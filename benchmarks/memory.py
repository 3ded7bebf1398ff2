"""Memory: resident set size per camera, per 10k watchlist templates, and a soak.

Each measurement runs in a fresh process (``python -m benchmarks.memory …``) so one does
not inherit another's heap:

- ``cameras``: the default deployment (models loaded, the benchmark watchlist enrolled),
  then N ``video`` cameras on the same rendered 720p scene (looping, ``realtime = true``:
  frames are dropped when the worker is busy, as with a live camera) for a fixed time;
  RSS sampled every 0.5 s. RSS per camera is the slope between N = 1 and N = 2.
- ``templates``: a matcher plugin built as a deployment enrols (one ``add()`` per entry)
  over random 128-d templates; RSS growth per 10,000 templates.
- ``soak``: one camera as above for many minutes; RSS sampled every 10 s. Growth is the
  least-squares slope over the samples after the first ``warmup_s`` (allocator and model
  caches settle), in MB per hour, with the first and last values.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def rss_mb() -> float:
    """This process's resident set size in MiB (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _deployment(video: Path, work: Path, cameras: int) -> Any:
    from benchmarks.lfr_system import DEFAULT_MODELS, SCENE_START, default_host
    from benchmarks.scenes import write_watchlist
    from lfr_framework.config import parse_config
    from lfr_framework.deployment import build_deployment

    host = default_host()
    store = host.model_store()
    for model_id in DEFAULT_MODELS:
        store.fetch(model_id)
    watchlist = write_watchlist(work / "watchlist")
    config = parse_config({
        "deployment": {"id": "memory"},
        "cameras": [{"id": f"cam-{i}", "source": "video", "uri": str(video),
                     "options": {"start_time": SCENE_START.isoformat(), "loop": True}}
                    for i in range(cameras)],
        "watchlist": {"directory": str(watchlist)},
        "pipeline": {"realtime": True},
    }, "memory benchmark")
    return build_deployment(config, host, store)


def sample_while_running(video: Path, work: Path, cameras: int, seconds: float,
                         every_s: float) -> dict[str, Any]:
    """Build, start ``cameras`` cameras, sample RSS every ``every_s`` for ``seconds``."""
    before = rss_mb()
    built = _deployment(video, work, cameras)
    loaded = rss_mb()
    pipeline = built.pipeline
    samples: list[tuple[float, float]] = []
    pipeline.start()
    start = time.monotonic()
    try:
        while (elapsed := time.monotonic() - start) < seconds:
            samples.append((elapsed, rss_mb()))
            time.sleep(every_s)
    finally:
        pipeline.stop()
    counters = pipeline.snapshot_counters()
    built.components.matcher.destroy()
    return {"cameras": cameras, "seconds": seconds, "rss_start_mb": before,
            "rss_loaded_mb": loaded, "samples": samples,
            "rss_running_median_mb": statistics.median(r for _, r in samples),
            "rss_running_max_mb": max(r for _, r in samples),
            "frames_processed": counters.frames_processed, "counters": counters.as_dict()}


def template_growth(factory: str, options: dict[str, Any], sizes: list[int]) -> dict[str, Any]:
    """RSS after enrolling each size of random templates, one entry per template."""
    import gc
    import importlib

    module, _, attr = factory.rpartition(".")
    matcher = getattr(importlib.import_module(module), attr)(128, **options)
    rng = np.random.default_rng(3)
    gc.collect()
    base = rss_mb()
    rows: list[dict[str, Any]] = []
    added = 0
    for size in sorted(sizes):
        data = rng.standard_normal((size - added, 128)).astype(np.float32)
        for i, row in enumerate(data):
            matcher.add(f"E{added + i}", row[None, :])
        added = size
        gc.collect()
        grown = rss_mb() - base
        rows.append({"templates": size, "rss_growth_mb": grown,
                     "mb_per_10k": grown * 10_000 / size, "mode": matcher.mode})
    matcher.destroy()
    return {"factory": factory, "options": options, "rss_base_mb": base, "sizes": rows}


def soak_growth(samples: list[tuple[float, float]], warmup_s: float) -> dict[str, Any]:
    """Least-squares RSS slope after the warm-up, in MB per hour."""
    kept = [(t, r) for t, r in samples if t >= warmup_s]
    t = np.asarray([s for s, _ in kept])
    r = np.asarray([v for _, v in kept])
    slope = float(np.polyfit(t, r, 1)[0]) * 3600.0 if len(kept) > 2 else float("nan")
    return {"warmup_s": warmup_s, "samples_after_warmup": len(kept),
            "rss_after_warmup_mb": float(r[0]) if len(r) else None,
            "rss_end_mb": float(r[-1]) if len(r) else None,
            "rss_max_mb": float(r.max()) if len(r) else None,
            "slope_mb_per_hour": slope}


def run_in_subprocess(args: list[str], out: Path) -> Any:
    """``python -m benchmarks.memory ARGS --json OUT`` in a fresh process; its result."""
    cmd = [sys.executable, "-m", "benchmarks.memory", *args, "--json", str(out)]
    subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.read_text(encoding="utf-8"))


def run_memory(video: Path, work: Path, camera_seconds: float, sizes: list[int],
               say: Any = lambda _: None) -> dict[str, Any]:
    """Cameras 1 and 2, then the two matcher plugins' template growth."""
    out: dict[str, Any] = {"cameras": [], "templates": []}
    for cameras in (1, 2):
        say(f"memory: {cameras} camera(s) for {camera_seconds:g} s …")
        out["cameras"].append(run_in_subprocess(
            ["cameras", "--video", str(video), "--work", str(work), "--cameras", str(cameras),
             "--seconds", str(camera_seconds)], work / f"memory-cameras-{cameras}.json"))
    one, two = out["cameras"]
    out["rss_per_camera_mb"] = two["rss_running_median_mb"] - one["rss_running_median_mb"]
    out["rss_models_and_watchlist_mb"] = one["rss_loaded_mb"] - one["rss_start_mb"]
    for factory in ("lfr_usearch.create_matcher", "lfr_faiss.create_matcher"):
        say(f"memory: {factory} templates {sizes} …")
        out["templates"].append(run_in_subprocess(
            ["templates", "--factory", factory, "--sizes", ",".join(map(str, sizes))],
            work / f"memory-templates-{factory.split('.')[0]}.json"))
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.memory cameras|templates|soak … --json PATH``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("what", choices=("cameras", "templates", "soak"))
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--video", type=Path)
    parser.add_argument("--work", type=Path, default=Path("benchmarks/results/work"))
    parser.add_argument("--cameras", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--every", type=float, default=0.5)
    parser.add_argument("--warmup", type=float, default=300.0)
    parser.add_argument("--factory", default="lfr_usearch.create_matcher")
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args(argv)
    if args.what in ("cameras", "soak") and args.video is None:
        parser.error("--video is required for cameras and soak")
    result: dict[str, Any]
    if args.what == "templates":
        result = template_growth(args.factory, {}, [int(s) for s in args.sizes.split(",")])
    else:
        result = sample_while_running(args.video, args.work, args.cameras, args.seconds,
                                      args.every)
        if args.what == "soak":
            result["growth"] = soak_growth(result["samples"], args.warmup)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
