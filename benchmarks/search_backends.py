"""The backends of the 1:N search benchmark: exact NumPy, the matcher plugins as a
deployment builds them (one ``add()`` per entry), and FAISS HNSW as a reference."""

from __future__ import annotations

import time
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
#: FAISS HNSW: M, efConstruction, efSearch (the cheapest depth with recall@1 ≥ 0.99 on
#: mated uniform queries at 100k in the sweep).
FAISS_HNSW = {"M": 32, "efConstruction": 128, "efSearch": 64}
#: Adding entries one by one through a plugin stops after this many seconds; the build
#: time is then extrapolated from the rate so far and the backend is left out of the
#: queries.
PLUGIN_BUILD_LIMIT_S = 480.0


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


class PluginMatcher:
    """A matcher plugin created by its factory, one ``add()`` per entry (as a deployment
    enrols), entry ``E<row>`` per template."""

    def __init__(self, name: str, factory: str, options: dict[str, Any]) -> None:
        self.name = name
        self.factory = factory
        self.options = options

    def build(self, data: F32) -> None:
        import importlib

        module, _, attr = self.factory.rpartition(".")
        self._m = getattr(importlib.import_module(module), attr)(data.shape[1],
                                                                 **self.options)
        start = time.perf_counter()
        for i in range(len(data)):
            if i % 1000 == 999 and time.perf_counter() - start > PLUGIN_BUILD_LIMIT_S:
                raise BuildTooSlow(i, time.perf_counter() - start)
            self._m.add(f"E{i}", data[i:i + 1])

    def top1(self, query: F32) -> int:
        return int(self._m.search(query[None, :], 1)[0][0].entry_id[1:])

    def info(self) -> dict[str, Any]:
        return {"factory": self.factory, "options": self.options,
                "effective": self._m.options.model_dump(), "mode": self._m.mode}

    def close(self) -> None:
        self._m.destroy()


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


def backends(size: int, full: bool = False) -> list[Backend]:
    """Every backend for a watchlist of ``size``, the exact reference first; ``full`` adds
    raw FAISS HNSW. ``usearch-i8-graph`` is the plugin told to build its int8 graph at
    ``size`` templates: enrolled one by one, the graph is then built in one threaded bulk
    insert at the last entry (a graph grown entry by entry was slower to build and search)."""
    out: list[Backend] = [
        NumpyExact(),
        PluginMatcher("usearch-default", "lfr_usearch.create_matcher", {}),
        PluginMatcher("usearch-i8-graph", "lfr_usearch.create_matcher",
                      {"exact_below": size}),
        PluginMatcher("faiss-default", "lfr_faiss.create_matcher", {}),
    ]
    if full:
        out.append(FaissHnsw())
    return out
