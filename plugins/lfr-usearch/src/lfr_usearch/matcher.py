"""The ``usearch`` matcher: exact search for small watchlists, a USearch HNSW graph for big ones."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

import numpy as np
import pydantic
from usearch.index import BatchMatches, Index

from lfr_framework.errors import ConfigurationError
from lfr_framework.types import Candidate, Templates
from lfr_usearch.options import UsearchOptions
from lfr_usearch.storage import TemplateRows
from lfr_usearch.validation import check_dimension, check_entry_id, check_k, unit_rows

log = logging.getLogger(__name__)


class UsearchMatcher:
    """A thread-safe 1:N index over one deployment's watchlist, scored by cosine similarity.

    Templates live in one float32 matrix this object owns. While the watchlist holds fewer
    than ``options.exact_below`` templates every search is exact (one matrix product); from
    then on a USearch HNSW graph proposes candidates, whose scores are recomputed exactly
    from the matrix, so scores never depend on the search mode. One lock guards every call.
    """

    def __init__(self, dimension: int, options: UsearchOptions | None = None) -> None:
        self.dimension = check_dimension(dimension)
        self.options = options or UsearchOptions()
        self._lock = threading.Lock()
        self._rows = TemplateRows(self.dimension)
        self._row_key: list[int] = []
        self._row_entry: list[str] = []
        self._key_row: dict[int, int] = {}
        self._entry_keys: dict[str, list[int]] = {}
        self._sizes: Counter[int] = Counter()
        self._next_key = 0
        self._index: Index | None = None

    # -- queries about the index -------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return len(self._entry_keys)

    @property
    def template_count(self) -> int:
        """How many templates the watchlist holds across all entries."""
        with self._lock:
            return len(self._rows)

    @property
    def mode(self) -> str:
        """``"exact"`` or ``"hnsw"``: how the next search will run."""
        with self._lock:
            return "hnsw" if self._uses_graph() else "exact"

    def _uses_graph(self) -> bool:
        return self._index is not None and len(self._rows) >= self.options.exact_below

    # -- changes ---------------------------------------------------------------------

    def add(self, entry_id: str, templates: Templates) -> None:
        """Add the templates of a watchlist entry, replacing any it had. Thread-safe."""
        entry_id = check_entry_id(entry_id)
        rows = unit_rows(templates, self.dimension, "templates", allow_empty=False)
        with self._lock:
            if entry_id in self._entry_keys:
                self._remove_locked(entry_id)
            keys = list(range(self._next_key, self._next_key + len(rows)))
            self._next_key += len(rows)
            start = self._rows.append(rows)
            for offset, key in enumerate(keys):
                self._key_row[key] = start + offset
            self._row_key.extend(keys)
            self._row_entry.extend([entry_id] * len(keys))
            self._entry_keys[entry_id] = keys
            self._sizes[len(keys)] += 1
            if self._index is not None:
                self._index.add(np.asarray(keys, dtype=np.uint64), rows, threads=1)
            elif len(self._rows) >= self.options.exact_below:
                self._build_graph()
        rows.fill(0.0)

    def remove(self, entry_id: str) -> bool:
        """Remove an entry; return whether it was present. Thread-safe."""
        entry_id = check_entry_id(entry_id)
        with self._lock:
            if entry_id not in self._entry_keys:
                return False
            self._remove_locked(entry_id)
            return True

    def _remove_locked(self, entry_id: str) -> None:
        keys = self._entry_keys.pop(entry_id)
        self._sizes[len(keys)] -= 1
        if not self._sizes[len(keys)]:
            del self._sizes[len(keys)]
        for key in keys:
            row = self._key_row.pop(key)
            moved = self._rows.remove(row)
            if moved is not None:
                moved_key = self._row_key[moved]
                self._row_key[row] = moved_key
                self._row_entry[row] = self._row_entry[moved]
                self._key_row[moved_key] = row
            self._row_key.pop()
            self._row_entry.pop()
        if self._index is not None:
            self._index.remove(np.asarray(keys, dtype=np.uint64))

    def _build_graph(self) -> None:
        """Build the HNSW graph over every template (called with the lock held)."""
        opts = self.options
        index = Index(
            ndim=self.dimension, metric="cos", dtype=opts.dtype,
            connectivity=opts.connectivity, expansion_add=opts.expansion_add,
            expansion_search=opts.expansion_search,
        )
        if len(self._rows):
            index.add(np.asarray(self._row_key, dtype=np.uint64), self._rows.live, threads=0)
        self._index = index
        log.info("usearch matcher: built HNSW graph over %d templates", len(self._rows))

    def destroy(self) -> None:
        """Erase every template from memory; the matcher is empty afterwards.

        The template matrix is overwritten with zeros; the HNSW graph, if one was built,
        is reset, which hands its memory back.
        """
        with self._lock:
            count = len(self._rows)
            self._rows.erase()
            self._row_key.clear()
            self._row_entry.clear()
            self._key_row.clear()
            self._entry_keys.clear()
            self._sizes.clear()
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
            if not self._entry_keys:
                return [[] for _ in range(len(queries))]
            # Enough template hits to be sure of k distinct entries.
            wanted = min(len(self._rows), k * max(self._sizes))
            if self._uses_graph():
                return self._search_graph(queries, k, wanted)
            return self._search_exact(queries, k, wanted)

    def _search_exact(self, queries: Templates, k: int, wanted: int) -> list[list[Candidate]]:
        scores = queries @ self._rows.live.T
        results = []
        for row_scores in scores:
            if wanted >= len(row_scores):
                rows = np.argsort(-row_scores, kind="stable")
            else:
                top = np.argpartition(-row_scores, wanted - 1)[:wanted]
                rows = top[np.argsort(-row_scores[top], kind="stable")]
            results.append(self._best_entries(rows, row_scores[rows], k))
        return results

    def _search_graph(self, queries: Templates, k: int, wanted: int) -> list[list[Candidate]]:
        assert self._index is not None  # guarded by _uses_graph
        found = self._index.search(queries, wanted, threads=1)
        # USearch answers a one-row query with Matches, several rows with BatchMatches.
        per_query: list[Any]
        if isinstance(found, BatchMatches):
            counts: Any = found.counts
            per_query = [found.keys[i, : int(counts[i])] for i in range(len(queries))]
        else:
            per_query = [found.keys]
        results = []
        live = self._rows.live
        for query, keys in zip(queries, per_query, strict=True):
            rows = np.fromiter((self._key_row[int(key)] for key in keys), dtype=np.int64)
            row_scores = live[rows] @ query
            order = np.argsort(-row_scores, kind="stable")
            results.append(self._best_entries(rows[order], row_scores[order], k))
        return results

    def _best_entries(self, rows: Any, scores: Any, k: int) -> list[Candidate]:
        """The first ``k`` distinct entries of ``rows`` (sorted best first)."""
        found: list[Candidate] = []
        seen: set[str] = set()
        for row, score in zip(rows.tolist(), scores.tolist(), strict=True):
            entry_id = self._row_entry[row]
            if entry_id in seen:
                continue
            seen.add(entry_id)
            found.append(Candidate(entry_id, min(max(score, -1.0), 1.0)))
            if len(found) == k:
                break
        return found


def create_matcher(dimension: int, **options: Any) -> UsearchMatcher:
    """Factory the core calls: an empty matcher for templates of ``dimension`` values."""
    try:
        validated = UsearchOptions.model_validate(options)
    except pydantic.ValidationError as exc:
        raise ConfigurationError(f"invalid options for matcher 'usearch': {exc}") from None
    return UsearchMatcher(dimension, validated)
