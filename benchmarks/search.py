"""1:N search: the matcher plugins (``usearch``, the default, and ``faiss``) against exact
NumPy search, on two template sources (``benchmarks/search_data.py``): uniform random
vectors (the hardest case for an index) and templates shaped like real SFace ones.

Every backend answers the same queries one at a time (how a camera worker asks),
interleaved query by query with the order rotated, so drift hits all alike. Recall@1 is
the share of queries whose top-1 is exact search's top-1, for mated and non-mated queries
alike. Run in its own process with one thread per library (:data:`ONE_THREAD_ENV`); the
plugins' own bulk builds use the threads they are configured for.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.search_backends import F32, Backend, BuildTooSlow, backends
from benchmarks.search_data import (
    DIM,
    MATED_COSINE,
    SOURCES,
    RealTemplates,
    make_data,
    mated_queries,
    real_templates,
    unit_vectors,
)


def rss_bytes() -> int:
    """Resident set size of this process (Linux ``/proc/self/statm``)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


@dataclass(frozen=True, slots=True)
class SearchCase:
    """One watchlist size and how many queries of each kind."""

    size: int
    mated: int
    non_mated: int


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_case(case: SearchCase, source: str, real: RealTemplates | None, seed: int = 0,
             full: bool = False, say: Callable[[str], None] = lambda _: None,
             only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Build every backend over ``case.size`` templates of ``source`` and time the same
    queries."""
    made = make_data(source, case.size, case.mated, case.non_mated, seed, real)
    data, queries = made.gallery, made.queries
    mated = np.arange(len(queries)) < case.mated
    truth = np.argmax(queries @ data.T, axis=1)
    built: list[Backend] = []
    rows: dict[str, dict[str, Any]] = {}
    chosen = [b for b in backends(case.size, full)
              if only is None or b.name in only or b.name == "numpy-exact"]
    for backend in chosen:
        gc.collect()
        before = rss_bytes()
        start = time.perf_counter()
        try:
            backend.build(data)
        except BuildTooSlow as slow:
            rate = slow.added / slow.seconds
            rows[backend.name] = {"build_s": None, "not_built": str(slow),
                                  "build_s_extrapolated": case.size / rate}
            say(f"  {source} {case.size}: {backend.name} not built ({slow}; "
                f"about {case.size / rate:.0f} s for all)")
            backend.close()
            continue
        build_s = time.perf_counter() - start
        gc.collect()
        rows[backend.name] = {"build_s": build_s, "rss_delta_mb": (rss_bytes() - before) / 2**20,
                              "info": backend.info()}
        built.append(backend)
        say(f"  {source} {case.size}: built {backend.name} in {build_s:.1f} s")
    for backend in built:  # warm-up: caches, lazy allocations
        for query in queries[:10]:
            backend.top1(query)
    times: dict[str, list[float]] = {b.name: [] for b in built}
    found: dict[str, list[int]] = {b.name: [] for b in built}
    for i, query in enumerate(queries):
        shift = i % len(built)
        for backend in built[shift:] + built[:shift]:
            start = time.perf_counter()
            top = backend.top1(query)
            times[backend.name].append(time.perf_counter() - start)
            found[backend.name].append(top)
    exact_p50 = statistics.median(times[built[0].name])
    for backend in built:
        t = times[backend.name]
        hits = np.asarray(found[backend.name]) == truth
        rows[backend.name].update({
            "p50_ms": 1000.0 * statistics.median(t), "p99_ms": 1000.0 * _pct(t, 0.99),
            "mated_p50_ms": 1000.0 * statistics.median(np.asarray(t)[mated].tolist()),
            "non_mated_p50_ms": 1000.0 * statistics.median(np.asarray(t)[~mated].tolist()),
            "speedup_vs_numpy_p50": exact_p50 / statistics.median(t),
            "recall1_mated": float(np.mean(hits[mated])),
            "recall1_non_mated": float(np.mean(hits[~mated])),
            "misses_mated": int(np.sum(~hits[mated])),
            "misses_non_mated": int(np.sum(~hits[~mated])),
        })
        backend.close()
    data.fill(0.0)
    queries.fill(0.0)
    return {"size": case.size, "source": source, "dimension": DIM, "data": made.describe,
            "queries": {"mated": case.mated, "non_mated": case.non_mated},
            "backends": rows}


def run_search(sizes: list[int], mated: int, non_mated: int, sources: tuple[str, ...] = SOURCES,
               full: bool = False, say: Callable[[str], None] = lambda _: None,
               only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Every source and size in turn (each in this process, indexes freed in between)."""
    real = real_templates() if "sface" in sources else None
    out = []
    for source in sources:
        for size in sizes:
            say(f"1:N search over {size} {source} templates …")
            out.append(run_case(SearchCase(size, mated, non_mated), source, real, full=full,
                                say=say, only=only))
    return out


def sweep(size: int, queries: int, connectivities: tuple[int, ...] = (16, 32),
          efs: tuple[int, ...] = (16, 32, 64, 128, 256), seed: int = 1,
          say: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Recall@1 (mated queries) against latency for the graph settings the plugin exposes
    (USearch ``metric="cos"``, f32, ``expansion_add`` 128, as the plugin builds it) and for
    FAISS HNSW, with exact NumPy timed on the same queries in the same loop."""
    import faiss
    from usearch.index import Index

    rng = np.random.default_rng([seed, size])
    data = unit_vectors(rng, size)
    q = mated_queries(rng, data, queries)
    truth = np.argmax(q @ data.T, axis=1)
    rows: list[dict[str, Any]] = []

    def timed(fn: Callable[[F32], int]) -> tuple[float, float]:
        t, hits = [], 0
        for query, want in zip(q, truth, strict=True):
            start = time.perf_counter()
            got = fn(query)
            t.append(time.perf_counter() - start)
            hits += int(got == want)
        return 1000.0 * statistics.median(t), hits / len(q)

    def numpy_top1(x: F32) -> int:
        return int(np.argmax(data @ x))

    for m in connectivities:
        index = Index(ndim=DIM, metric="cos", dtype="f32", connectivity=m, expansion_add=128)
        start = time.perf_counter()
        index.add(np.arange(size, dtype=np.uint64), data, threads=0)
        build = time.perf_counter() - start
        say(f"  sweep: USearch graph M={m} over {size} built in {build:.0f} s")
        def usearch_top1(x: F32, ix: Any = index) -> int:
            return int(ix.search(x, 1, threads=1).keys[0])

        for ef in efs:
            index.expansion_search = ef  # type: ignore[misc]  # settable at run time
            exact_ms, _ = timed(numpy_top1)
            ms, recall = timed(usearch_top1)
            rows.append({"library": "usearch", "M": m, "ef": ef, "build_s": build,
                         "p50_ms": ms, "recall1_mated": recall, "numpy_p50_ms": exact_ms,
                         "speedup_vs_numpy": exact_ms / ms})
        index.reset()  # type: ignore[no-untyped-call]
    for m in connectivities:
        fx = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
        fx.hnsw.efConstruction = 128
        start = time.perf_counter()
        fx.add(data)
        build = time.perf_counter() - start
        say(f"  sweep: FAISS HNSW M={m} over {size} built in {build:.0f} s")
        def faiss_top1(x: F32, ix: Any = fx) -> int:
            return int(ix.search(x[None, :], 1)[1][0, 0])

        for ef in efs:
            fx.hnsw.efSearch = ef
            exact_ms, _ = timed(numpy_top1)
            ms, recall = timed(faiss_top1)
            rows.append({"library": "faiss", "M": m, "ef": ef, "build_s": build,
                         "p50_ms": ms, "recall1_mated": recall, "numpy_p50_ms": exact_ms,
                         "speedup_vs_numpy": exact_ms / ms})
    return {"size": size, "queries": queries, "mated_cosine": MATED_COSINE, "rows": rows}


#: Every library answers with one thread, as one camera worker asks on a 2-core node;
#: otherwise OpenBLAS's and FAISS's OpenMP thread pools spin against each other when
#: their queries are interleaved.
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_in_subprocess(what: str, sizes: list[int], queries: int, out: Path,
                      full: bool = False, sources: tuple[str, ...] = SOURCES) -> Any:
    """Run ``search`` or ``sweep`` in a fresh process with :data:`ONE_THREAD_ENV` (thread
    pools are sized when a library loads); progress goes to this process's stderr."""
    cmd = [sys.executable, "-m", "benchmarks.search", what, "--sizes",
           ",".join(map(str, sizes)), "--queries", str(queries), "--json", str(out)]
    if full:
        cmd.append("--full")
    cmd += ["--sources", ",".join(sources)]
    subprocess.run(cmd, check=True, env={**os.environ, **ONE_THREAD_ENV},
                   cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.search search|sweep --sizes N,… --queries Q --json PATH``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.search")
    parser.add_argument("what", choices=("search", "sweep"))
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--full", action="store_true", help="add raw FAISS HNSW")
    parser.add_argument("--backends", help="only these backends (numpy-exact always runs)")
    parser.add_argument("--sources", default=",".join(SOURCES),
                        help=f"template sources, from: {', '.join(SOURCES)}")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    half = args.queries // 2
    sources = tuple(args.sources.split(","))
    only = tuple(args.backends.split(",")) if args.backends else None
    result: Any = (run_search(sizes, half, half, sources, full=args.full, say=say, only=only)
                   if args.what == "search"
                   else sweep(sizes[0], args.queries, say=say))
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
