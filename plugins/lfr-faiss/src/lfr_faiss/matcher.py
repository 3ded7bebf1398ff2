"""The ``faiss`` matcher: exact search for small watchlists, a FAISS 4-bit product-quantised
fast scan with exact float32 re-scoring for big ones."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import faiss
import numpy as np
import pydantic

from lfr_faiss.options import FaissOptions
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

log = logging.getLogger(__name__)
#: The quantiser is retrained when the index has grown this many times past its training.
_RETRAIN_GROWTH = 4
#: Fewer templates than this cannot train 16 centroids per sub-vector well (FAISS asks for
#: 39 points per centroid): such watchlists are always searched exactly.
MIN_TRAINING = 1_024
#: Smaller builds run on one thread: FAISS's OpenMP threads spin at every barrier, and on a
#: busy 2-core node training 1,024 templates took 5.2 s on two threads, 0.2 s on one.
_THREADED_BUILD_FROM = 65_536


class FaissMatcher:
    """A thread-safe 1:N index over one deployment's watchlist, scored by cosine similarity.

    Templates live in one float32 matrix this object owns. Below ``exact_below`` templates
    every search is exact (one matrix product). From then on ``faiss.IndexPQFastScan``
    holds a 4-bit product-quantised code of every template (``subquantizers`` / 2 bytes
    each) and scans all of them per query with SIMD lookup tables; its best ``candidates``
    are re-scored exactly from the float32 matrix, so every score is the exact cosine and a
    miss needs the true best template to fall outside the scan's top ``candidates``.
    It is an exhaustive scan, not a graph: nothing is left unvisited. One lock guards every
    call.
    """

    def __init__(self, dimension: int, options: FaissOptions | None = None) -> None:
        self.dimension = check_dimension(dimension)
        self.options = options or FaissOptions()
        self.subquantizers = self.options.subquantizers or default_subquantizers(dimension)
        if self.dimension % self.subquantizers:
            raise ConfigurationError(
                f"matcher 'faiss': subquantizers ({self.subquantizers}) must divide "
                f"the template dimension ({self.dimension})")
        self._lock = threading.Lock()
        self._table = TemplateTable(self.dimension)
        self._index: Any = None  # faiss.IndexPQFastScan once built
        # Template key of each code, in code order: [0, _coded) of a buffer that doubles.
        self._index_keys: Keys = np.empty(0, np.uint64)
        self._coded = 0
        self._removed_in_index = 0
        self._trained_on = 0

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
        """``"exact"`` or ``"pq-fastscan"``: how the next search will run."""
        with self._lock:
            return "pq-fastscan" if self._uses_index() else "exact"

    def _uses_index(self) -> bool:
        return self._index is not None and len(self._table) >= max(self.options.exact_below,
                                                                    MIN_TRAINING)

    # -- changes ---------------------------------------------------------------------

    def add(self, entry_id: str, templates: Templates) -> None:
        """Add the templates of a watchlist entry, replacing any it had. Thread-safe."""
        entry_id = check_entry_id(entry_id)
        rows = unit_rows(templates, self.dimension, "templates", allow_empty=False)
        with self._lock:
            if entry_id in self._table:
                self._remove_locked(entry_id)
            keys = self._table.add(entry_id, rows)
            if self._index is None:
                if len(self._table) >= max(self.options.exact_below, MIN_TRAINING):
                    self._build(retrain=True)
            elif (len(self._table) >= _RETRAIN_GROWTH * self._trained_on
                  and self._trained_on < self.options.train_size):
                self._build(retrain=True)
            else:
                self._set_threads(1)
                self._index.add(rows)
                self._append_index_keys(keys)
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
        # Their codes stay until the next compaction; re-scoring skips keys that are gone.
        self._removed_in_index += len(keys)
        if self._removed_in_index >= self.options.compact_fraction * self._index.ntotal:
            self._build(retrain=False)

    def _build(self, retrain: bool) -> None:
        """(Re)encode every template, training the quantiser first if asked (lock held)."""
        opts = self.options
        live = self._table.rows.live
        self._set_threads(opts.build_threads or (
            1 if len(live) < _THREADED_BUILD_FROM else os.cpu_count() or 1))
        if retrain or self._index is None:
            self._erase_index()
            index = faiss.IndexPQFastScan(self.dimension, self.subquantizers, 4,
                                          faiss.METRIC_INNER_PRODUCT)
            sample = live
            if len(live) > opts.train_size:
                pick = np.random.default_rng(0).choice(len(live), opts.train_size,
                                                       replace=False)
                sample = live[np.sort(pick)]
            index.train(np.ascontiguousarray(sample))
            self._trained_on = len(sample)
            self._index = index
        else:
            self._zero_codes()
            self._index.reset()
        if len(live):
            self._index.add(np.ascontiguousarray(live))
        self._index_keys = self._table.keys
        self._coded = len(self._index_keys)
        self._removed_in_index = 0
        log.info("faiss matcher: encoded %d templates (quantiser trained on %d)", len(live),
                 self._trained_on)

    def _append_index_keys(self, keys: Keys) -> None:
        needed = self._coded + len(keys)
        if needed > len(self._index_keys):
            grown = np.empty(max(needed, 2 * len(self._index_keys), 1024), np.uint64)
            grown[: self._coded] = self._index_keys[: self._coded]
            self._index_keys = grown
        self._index_keys[self._coded:needed] = keys
        self._coded = needed

    def _set_threads(self, threads: int) -> None:
        faiss.omp_set_num_threads(threads)

    def _zero_codes(self) -> None:
        """Overwrite the index's codes with zeros (they are derived from templates)."""
        codes = self._index.codes
        if codes.size():
            faiss.rev_swig_ptr(codes.get(), codes.size())[:] = 0

    def _erase_index(self) -> None:
        """Zero the codes and the trained codebooks, then let the index go."""
        if self._index is None:
            return
        self._zero_codes()
        centroids = self._index.pq.centroids
        if centroids.size():
            faiss.rev_swig_ptr(centroids.data(), centroids.size())[:] = 0.0
        self._index.reset()
        self._index = None
        self._index_keys = np.empty(0, np.uint64)
        self._coded = 0
        self._trained_on = 0

    def destroy(self) -> None:
        """Erase every template from memory; the matcher is empty afterwards.

        The template matrix, the quantised codes and the codebooks trained on the
        templates are overwritten with zeros before they are let go.
        """
        with self._lock:
            count = len(self._table)
            self._table.erase()
            self._erase_index()
            self._removed_in_index = 0
        log.info("faiss matcher: destroyed %d templates", count)

    # -- search ----------------------------------------------------------------------

    def search(self, templates: Templates, k: int = 1) -> list[list[Candidate]]:
        """For each query row, the best ``k`` entries by cosine similarity, best first.

        An entry with several templates appears once, with its best score.
        """
        k = check_k(k)
        queries = unit_rows(templates, self.dimension, "query templates", allow_empty=True)
        with self._lock:
            if not self._table.entries:
                return [[] for _ in range(len(queries))]
            if not self._uses_index() or not len(queries):
                return self._table.search_exact(queries, k)
            count = min(int(self._index.ntotal),
                        max(self._table.hits_needed(k), self.options.candidates)
                        + self._removed_in_index)
            self._set_threads(self.options.search_threads)
            _, found = self._index.search(queries, count)
            keys = self._index_keys
            return [self._table.rescore(query, keys[hits[hits >= 0]], k)
                    for query, hits in zip(queries, found, strict=True)]


def default_subquantizers(dimension: int) -> int:
    """The largest divisor of ``dimension`` up to 64 with at least 2 values per sub-vector."""
    return max((m for m in range(1, 65) if dimension % m == 0 and dimension // m >= 2),
               default=1)


def create_matcher(dimension: int, **options: Any) -> FaissMatcher:
    """Factory the core calls: an empty matcher for templates of ``dimension`` values."""
    try:
        validated = FaissOptions.model_validate(options)
    except pydantic.ValidationError as exc:
        raise ConfigurationError(f"invalid options for matcher 'faiss': {exc}") from None
    return FaissMatcher(dimension, validated)
