"""1:N search: the ``usearch`` matcher plugin against exact NumPy search and FAISS.

Templates are random 128-d unit vectors (SFace's size; random vectors are the hardest case
for a graph index). Mated queries are noisy copies of enrolled templates at cosine
:data:`MATED_COSINE` to their source (SFace gives 0.73 and 0.80 for the two other Obama
photos against ``obama.jpg``); non-mated queries are fresh random vectors. Every backend
answers the same queries one at a time (how a camera worker asks), interleaved query by
query with the order rotated, so drift hits all alike. Recall@1 is the share of queries
whose top-1 is exact search's top-1. Run in its own process with one thread per library
(:data:`ONE_THREAD_ENV`).
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
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
DIM = 128
#: Cosine between a mated query and the template it was made from.
MATED_COSINE = 0.7
#: The plugin settings with the best latency at recall@1 ≥ 0.99 on mated queries at 100k
#: in the sweep (``--full``); the plugin's other defaults are kept.
TUNED_USEARCH = {"connectivity": 32, "expansion_search": 128}
#: FAISS HNSW: M, efConstruction, efSearch (the cheapest depth with recall@1 ≥ 0.99 on
#: mated queries at 100k in the sweep).
FAISS_HNSW = {"M": 32, "efConstruction": 128, "efSearch": 64}
#: Adding entries one by one through the plugin stops after this many seconds; the build
#: time is then extrapolated from the rate so far and the backend is left out of the
#: queries.
PLUGIN_BUILD_LIMIT_S = 240.0


def unit_vectors(rng: np.random.Generator, n: int, d: int = DIM) -> F32:
    """``n`` random unit vectors."""
    x = rng.standard_normal((n, d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def mated_queries(rng: np.random.Generator, base: F32, n: int) -> F32:
    """``n`` unit vectors at cosine :data:`MATED_COSINE` to random rows of ``base``."""
    rows = base[rng.integers(0, len(base), n)]
    noise = unit_vectors(rng, n, base.shape[1])
    noise -= np.sum(noise * rows, axis=1, keepdims=True) * rows  # orthogonal to the source
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    x = MATED_COSINE * rows + np.sqrt(1.0 - MATED_COSINE**2) * noise
    out: F32 = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def rss_bytes() -> int:
    """Resident set size of this process (Linux ``/proc/self/statm``)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


class BuildTooSlow(Exception):
    """A backend did not finish building within its time limit."""

    def __init__(self, added: int, seconds: float) -> None:
        super().__init__(f"{added} added in {seconds:.0f} s")
        self.added = added
        self.seconds = seconds


class Backend(Protocol):
    """A 1:N index: build once, then top-1 row per single query."""

    name: str

    def build(self, data: F32) -> None: ...

    def top1(self, query: F32) -> int: ...

    def info(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class NumpyExact:
    """``argmax(M @ q)``: what exact mode of the matcher does, without the matcher."""

    name = "numpy-exact"

    def build(self, data: F32) -> None:
        self._m = np.array(data, dtype=np.float32, order="C")

    def top1(self, query: F32) -> int:
        return int(np.argmax(self._m @ query))

    def info(self) -> dict[str, Any]:
        return {"how": "np.argmax(matrix @ query), float32"}

    def close(self) -> None:
        del self._m


class UsearchPlugin:
    """The ``usearch`` matcher plugin, created by its factory, one entry per template."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.name = name
        self.options = options

    def build(self, data: F32) -> None:
        from lfr_usearch.matcher import create_matcher

        self._m = create_matcher(data.shape[1], **self.options)
        start = time.perf_counter()
        for i in range(len(data)):
            self._m.add(f"E{i}", data[i:i + 1])
            if i % 1000 == 999 and time.perf_counter() - start > PLUGIN_BUILD_LIMIT_S:
                raise BuildTooSlow(i + 1, time.perf_counter() - start)

    def top1(self, query: F32) -> int:
        return int(self._m.search(query[None, :], 1)[0][0].entry_id[1:])

    def info(self) -> dict[str, Any]:
        return {"factory": "lfr_usearch.create_matcher", "options": self.options,
                "effective": self._m.options.model_dump(), "mode": self._m.mode}

    def close(self) -> None:
        self._m.destroy()


class FaissFlat:
    """FAISS ``IndexFlatIP`` (exact inner product)."""

    name = "faiss-flat"

    def build(self, data: F32) -> None:
        import faiss

        self._ix = faiss.IndexFlatIP(data.shape[1])
        self._ix.add(data)

    def top1(self, query: F32) -> int:
        return int(self._ix.search(query[None, :], 1)[1][0, 0])

    def info(self) -> dict[str, Any]:
        import faiss

        return {"index": "IndexFlatIP", "faiss": faiss.__version__,
                "omp_threads": faiss.omp_get_max_threads()}

    def close(self) -> None:
        del self._ix


class FaissHnsw:
    """FAISS ``IndexHNSWFlat`` over inner product."""

    name = "faiss-hnsw"

    def build(self, data: F32) -> None:
        import faiss

        self._ix = faiss.IndexHNSWFlat(data.shape[1], FAISS_HNSW["M"],
                                       faiss.METRIC_INNER_PRODUCT)
        self._ix.hnsw.efConstruction = FAISS_HNSW["efConstruction"]
        self._ix.add(data)
        self._ix.hnsw.efSearch = FAISS_HNSW["efSearch"]

    def top1(self, query: F32) -> int:
        return int(self._ix.search(query[None, :], 1)[1][0, 0])

    def info(self) -> dict[str, Any]:
        import faiss

        return {"index": "IndexHNSWFlat", "faiss": faiss.__version__, **FAISS_HNSW,
                "omp_threads": faiss.omp_get_max_threads()}

    def close(self) -> None:
        del self._ix


def backends(tuned: bool = True) -> list[Backend]:
    """Every backend, the exact reference first (``tuned``: with the tuned plugin)."""
    plugins: list[Backend] = [UsearchPlugin("usearch-plugin-default", {})]
    if tuned:
        plugins.append(UsearchPlugin("usearch-plugin-tuned", dict(TUNED_USEARCH)))
    return [NumpyExact(), *plugins, FaissFlat(), FaissHnsw()]


@dataclass(frozen=True, slots=True)
class SearchCase:
    """One watchlist size and how many queries of each kind."""

    size: int
    mated: int
    non_mated: int


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_case(case: SearchCase, seed: int = 0, tuned: bool = True,
             say: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Build every backend over ``case.size`` templates and time the same queries."""
    rng = np.random.default_rng([seed, case.size])
    data = unit_vectors(rng, case.size)
    queries = np.vstack([mated_queries(rng, data, case.mated),
                         unit_vectors(rng, case.non_mated)])
    kinds = ["mated"] * case.mated + ["non_mated"] * case.non_mated
    truth = np.argmax(queries @ data.T, axis=1)
    built: list[Backend] = []
    rows: dict[str, dict[str, Any]] = {}
    for backend in backends(tuned):
        gc.collect()
        before = rss_bytes()
        start = time.perf_counter()
        try:
            backend.build(data)
        except BuildTooSlow as slow:
            rate = slow.added / slow.seconds
            rows[backend.name] = {"build_s": None, "not_built": str(slow),
                                  "build_s_extrapolated": case.size / rate}
            say(f"  {case.size} templates: {backend.name} not built ({slow}; "
                f"about {case.size / rate:.0f} s for all)")
            backend.close()
            continue
        build_s = time.perf_counter() - start
        gc.collect()
        rows[backend.name] = {"build_s": build_s, "rss_delta_mb": (rss_bytes() - before) / 2**20,
                              "info": backend.info()}
        built.append(backend)
        say(f"  {case.size} templates: built {backend.name} in {build_s:.1f} s")
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
        mated = np.asarray([k == "mated" for k in kinds])
        rows[backend.name].update({
            "p50_ms": 1000.0 * statistics.median(t), "p99_ms": 1000.0 * _pct(t, 0.99),
            "mated_p50_ms": 1000.0 * statistics.median(np.asarray(t)[mated].tolist()),
            "non_mated_p50_ms": 1000.0 * statistics.median(np.asarray(t)[~mated].tolist()),
            "speedup_vs_numpy_p50": exact_p50 / statistics.median(t),
            "recall1_mated": float(np.mean(hits[mated])),
            "recall1_non_mated": float(np.mean(hits[~mated])),
        })
        backend.close()
    data.fill(0.0)
    return {"size": case.size, "dimension": DIM, "mated_cosine": MATED_COSINE,
            "queries": {"mated": case.mated, "non_mated": case.non_mated},
            "backends": rows}


def run_search(sizes: list[int], mated: int, non_mated: int, tuned: bool = True,
               say: Callable[[str], None] = lambda _: None) -> list[dict[str, Any]]:
    """Every size in turn (each in this process, indexes freed in between)."""
    out = []
    for size in sizes:
        say(f"1:N search over {size} templates …")
        out.append(run_case(SearchCase(size, mated, non_mated), tuned=tuned, say=say))
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
                      tuned: bool = True) -> Any:
    """Run ``search`` or ``sweep`` in a fresh process with :data:`ONE_THREAD_ENV` (thread
    pools are sized when a library loads); progress goes to this process's stderr."""
    cmd = [sys.executable, "-m", "benchmarks.search", what, "--sizes",
           ",".join(map(str, sizes)), "--queries", str(queries), "--json", str(out)]
    if not tuned:
        cmd.append("--no-tuned")
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
    parser.add_argument("--no-tuned", action="store_true", help="leave out the tuned plugin")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    half = args.queries // 2
    result: Any = (run_search(sizes, half, half, tuned=not args.no_tuned, say=say)
                   if args.what == "search"
                   else sweep(sizes[0], args.queries, say=say))
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
