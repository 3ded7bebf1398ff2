"""The ``usearch`` matcher: exact search for small watchlists, a USearch HNSW graph for big ones."""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
import pydantic
from usearch.index import BatchMatches, Index

from lfr_framework.errors import ConfigurationError
from lfr_framework.matching import (
    Keys,
    TemplateTable,
    check_dimension,
    check_entry_id,
    check_k,
    unit_rows,
)
from lfr_framework.types import Candidate, Templates
from lfr_usearch.options import UsearchOptions

log = logging.getLogger(__name__)


class UsearchMatcher:
    """A thread-safe 1:N index over one deployment's watchlist, scored by cosine similarity.

    Templates live in one float32 matrix this object owns. While the watchlist holds fewer
    than ``options.exact_below`` templates every search is exact (one matrix product); from
    then on a USearch HNSW graph proposes candidates, whose scores are recomputed exactly
    from the matrix, so scores never depend on the search mode or the graph's ``dtype``.

    The graph is built in one bulk insert (``build_threads``) when the watchlist first
    reaches ``exact_below``; templates added afterwards wait in a small pending set that
    every search scores exactly, and go into the graph in bulk every ``bulk_add``. One lock
    guards every call.
    """

    def __init__(self, dimension: int, options: UsearchOptions | None = None) -> None:
        self.dimension = check_dimension(dimension)
        self.options = options or UsearchOptions()
        self._lock = threading.Lock()
        self._table = TemplateTable(self.dimension)
        self._index: Index | None = None
        self._pending: dict[int, None] = {}  # keys not yet in the graph, in insertion order

    # -- queries about the index -------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return self._table.entries

    @property
    def template_count(self) -> int:
        """How many templates the watchlist holds across all entries."""
        with self._lock:
            return len(self._table)

    @property
    def mode(self) -> str:
        """``"exact"`` or ``"hnsw"``: how the next search will run."""
        with self._lock:
            return "hnsw" if self._uses_graph() else "exact"

    def _uses_graph(self) -> bool:
        return self._index is not None and len(self._table) >= self.options.exact_below

    # -- changes ---------------------------------------------------------------------

    def add(self, entry_id: str, templates: Templates) -> None:
        """Add the templates of a watchlist entry, replacing any it had. Thread-safe."""
        entry_id = check_entry_id(entry_id)
        rows = unit_rows(templates, self.dimension, "templates", allow_empty=False)
        with self._lock:
            if entry_id in self._table:
                self._remove_locked(entry_id)
            keys = self._table.add(entry_id, rows)
            if self._index is not None:
                self._pending.update(dict.fromkeys(keys.tolist()))
                if len(self._pending) >= self.options.bulk_add:
                    self._flush_pending()
            elif len(self._table) >= self.options.exact_below:
                self._build_graph()
        rows.fill(0.0)

    def remove(self, entry_id: str) -> bool:
        """Remove an entry; return whether it was present. Thread-safe."""
        entry_id = check_entry_id(entry_id)
        with self._lock:
            if entry_id not in self._table:
                return False
            self._remove_locked(entry_id)
            return True

    def _remove_locked(self, entry_id: str) -> None:
        keys = self._table.remove(entry_id)
        if keys is None or self._index is None:
            return
        in_graph = [key for key in keys.tolist() if key not in self._pending]
        for key in keys.tolist():
            self._pending.pop(key, None)
        if in_graph:
            self._index.remove(np.asarray(in_graph, dtype=np.uint64))

    def _build_graph(self) -> None:
        """Build the HNSW graph over every template in one bulk insert (lock held)."""
        opts = self.options
        index = Index(
            ndim=self.dimension, metric="cos", dtype=opts.dtype,
            connectivity=opts.connectivity, expansion_add=opts.expansion_add,
            expansion_search=opts.expansion_search,
        )
        if len(self._table):
            index.add(self._table.keys, self._table.rows.live, threads=opts.build_threads)
        self._index = index
        self._pending.clear()
        log.info("usearch matcher: built HNSW graph (%s) over %d templates", opts.dtype,
                 len(self._table))

    def _flush_pending(self) -> None:
        """Insert the pending templates into the graph in one bulk call (lock held)."""
        assert self._index is not None
        keys: Keys = np.fromiter(self._pending, dtype=np.uint64, count=len(self._pending))
        rows = self._table.templates_of(keys)
        self._index.add(keys, rows, threads=self.options.build_threads)
        rows.fill(0.0)
        self._pending.clear()

    def destroy(self) -> None:
        """Erase every template from memory; the matcher is empty afterwards.

        The template matrix is overwritten with zeros; the HNSW graph, if one was built,
        is reset, which hands its memory back.
        """
        with self._lock:
            count = len(self._table)
            self._table.erase()
            self._pending.clear()
            if self._index is not None:
                self._index.reset()  # type: ignore[no-untyped-call]
                self._index = None
        log.info("usearch matcher: destroyed %d templates", count)

    # -- search ----------------------------------------------------------------------

    def search(self, templates: Templates, k: int = 1) -> list[list[Candidate]]:
        """For each query row, the best ``k`` entries by cosine similarity, best first.

        An entry with several templates appears once, with its best score.
        """
        k = check_k(k)
        queries = unit_rows(templates, self.dimension, "query templates", allow_empty=True)
        with self._lock:
            if not self._table.entries or not len(queries):
                return [[] for _ in range(len(queries))]
            if self._uses_graph():
                return self._search_graph(queries, k)
            return self._table.search_exact(queries, k)

    def _search_graph(self, queries: Templates, k: int) -> list[list[Candidate]]:
        assert self._index is not None  # guarded by _uses_graph
        size = len(self._index)
        count = min(size, max(self._table.hits_needed(k), self.options.candidates))
        per_query: list[Any]
        if count:
            found = self._index.search(queries, count, threads=1)
            # USearch answers a one-row query with Matches, several rows with BatchMatches.
            if isinstance(found, BatchMatches):
                counts: Any = found.counts
                per_query = [found.keys[i, : int(counts[i])] for i in range(len(queries))]
            else:
                per_query = [found.keys]
        else:
            per_query = [np.empty(0, np.uint64)] * len(queries)
        pending = list(self._pending)
        return [self._table.rescore(query, [*keys.tolist(), *pending], k)
                for query, keys in zip(queries, per_query, strict=True)]


def create_matcher(dimension: int, **options: Any) -> UsearchMatcher:
    """Factory the core calls: an empty matcher for templates of ``dimension`` values."""
    try:
        validated = UsearchOptions.model_validate(options)
    except pydantic.ValidationError as exc:
        raise ConfigurationError(f"invalid options for matcher 'usearch': {exc}") from None
    return UsearchMatcher(dimension, validated)
