"""Measure where HNSW search beats exact (brute-force) search, and HNSW's recall@1.

Run from the repository root::

    .venv/bin/python plugins/lfr-usearch/benchmarks/crossover.py

For each watchlist size and dimension it builds a USearch index of random unit vectors and
times one query at a time (how a camera worker asks) with three methods:

* ``numpy``: ``queries @ matrix.T`` and ``argmax`` (BLAS, all cores);
* ``exact``: ``Index.search(..., exact=True, threads=1)``;
* ``hnsw``: ``Index.search(..., threads=1)`` with the plugin's default HNSW settings.

Recall@1 is the share of queries whose HNSW top-1 key is the exact top-1 key, for random
queries (the hard case: no vector is close) and for noisy copies of indexed vectors
(cosine about 0.7 to their source, like a probe of a watchlisted face).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from usearch.index import Index

F32 = npt.NDArray[np.float32]


def unit(rng: np.random.Generator, n: int, d: int) -> F32:
    """``n`` random unit vectors of dimension ``d``."""
    x = rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def noisy_copies(rng: np.random.Generator, base: F32, n: int) -> F32:
    """``n`` unit vectors, each about cosine 0.7 to a random row of ``base``."""
    rows = base[rng.integers(0, len(base), n)]
    noise = unit(rng, n, base.shape[1])
    x = 0.7 * rows + 0.714 * noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def median_ms(fn: Callable[[F32], Any], queries: F32) -> float:
    """Median wall time of ``fn(q)`` per single query, in milliseconds."""
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q[None, :])
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000.0)


def measure(n: int, d: int, args: argparse.Namespace, rng: np.random.Generator) -> str:
    """One table row for size ``n`` and dimension ``d``."""
    data = unit(rng, n, d)
    index = Index(ndim=d, metric="cos", dtype="f32", connectivity=args.connectivity,
                  expansion_add=args.expansion_add, expansion_search=args.expansion_search)
    start = time.perf_counter()
    index.add(np.arange(n, dtype=np.uint64), data)
    build_s = time.perf_counter() - start

    timing_q = unit(rng, args.timing_queries, d)
    t_numpy = median_ms(lambda q: np.argmax(q @ data.T, axis=1), timing_q)
    t_exact = median_ms(lambda q: index.search(q, 1, exact=True, threads=1), timing_q)
    t_hnsw = median_ms(lambda q: index.search(q, 1, threads=1), timing_q)

    recalls = []
    for queries in (unit(rng, args.recall_queries, d),
                    noisy_copies(rng, data, args.recall_queries)):
        truth = np.argmax(queries @ data.T, axis=1)
        found = index.search(queries, 1, threads=0).keys[:, 0]
        recalls.append(float(np.mean(found.astype(np.int64) == truth)))
    return (f"| {d} | {n} | {t_numpy:.3f} | {t_exact:.3f} | {t_hnsw:.3f} | "
            f"{recalls[0]:.3f} | {recalls[1]:.3f} | {build_s:.1f} |")


def main() -> None:
    """Print a Markdown table of latencies and recall."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[100, 300, 1000, 3000, 10_000, 30_000, 100_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--connectivity", type=int, default=16)
    parser.add_argument("--expansion-add", type=int, default=128)
    parser.add_argument("--expansion-search", type=int, default=64)
    parser.add_argument("--timing-queries", type=int, default=300)
    parser.add_argument("--recall-queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"connectivity={args.connectivity} expansion_add={args.expansion_add} "
          f"expansion_search={args.expansion_search}")
    print("| dim | size | numpy ms | exact ms | hnsw ms | recall@1 random | "
          "recall@1 probe | build s |")
    print("|---|---|---|---|---|---|---|---|")
    for d in args.dims:
        for n in args.sizes:
            print(measure(n, d, args, rng), flush=True)


if __name__ == "__main__":
    main()
