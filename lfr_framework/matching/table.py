"""One watchlist's templates, by entry, for matcher plugins: rows, keys, exact scoring.

A matcher plugin keeps the float32 templates here and, if it has one, an index of its own
that proposes candidate keys; every score is computed here, exactly, from the float32
rows, so scores never depend on the index. Not thread-safe: the matcher holds its lock.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt

from lfr_framework.matching.rows import TemplateRows
from lfr_framework.types import Candidate, Templates

Keys = npt.NDArray[np.uint64]


class TemplateTable:
    """Entries → keys → rows of one :class:`TemplateRows` matrix.

    Each template gets a key that never changes and is never reused (indexes refer to
    templates by key); its row may move when another template is removed.
    """

    def __init__(self, dimension: int) -> None:
        self.rows = TemplateRows(dimension)
        self._row_key: list[int] = []
        self._row_entry: list[str] = []
        self._key_row: dict[int, int] = {}
        self._entry_keys: dict[str, list[int]] = {}
        self._sizes: Counter[int] = Counter()
        self._next_key = 0

    def __len__(self) -> int:
        """Number of templates."""
        return len(self.rows)

    @property
    def entries(self) -> int:
        """Number of entries."""
        return len(self._entry_keys)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._entry_keys

    @property
    def keys(self) -> Keys:
        """The key of every row, in row order."""
        return np.asarray(self._row_key, dtype=np.uint64)

    def add(self, entry_id: str, rows: Templates) -> Keys:
        """Append ``rows`` (already checked unit rows) as ``entry_id``'s templates; return
        their new keys. The entry must not be present (remove it first)."""
        keys = list(range(self._next_key, self._next_key + len(rows)))
        self._next_key += len(rows)
        start = self.rows.append(rows)
        for offset, key in enumerate(keys):
            self._key_row[key] = start + offset
        self._row_key.extend(keys)
        self._row_entry.extend([entry_id] * len(keys))
        self._entry_keys[entry_id] = keys
        self._sizes[len(keys)] += 1
        return np.asarray(keys, dtype=np.uint64)

    def remove(self, entry_id: str) -> Keys | None:
        """Remove an entry, zeroing its rows; return its keys (``None`` if absent)."""
        keys = self._entry_keys.pop(entry_id, None)
        if keys is None:
            return None
        self._sizes[len(keys)] -= 1
        if not self._sizes[len(keys)]:
            del self._sizes[len(keys)]
        for key in keys:
            row = self._key_row.pop(key)
            moved = self.rows.remove(row)
            if moved is not None:
                moved_key = self._row_key[moved]
                self._row_key[row] = moved_key
                self._row_entry[row] = self._row_entry[moved]
                self._key_row[moved_key] = row
            self._row_key.pop()
            self._row_entry.pop()
        return np.asarray(keys, dtype=np.uint64)

    def erase(self) -> None:
        """Overwrite every row with zeros and forget every entry and key."""
        self.rows.erase()
        self._row_key.clear()
        self._row_entry.clear()
        self._key_row.clear()
        self._entry_keys.clear()
        self._sizes.clear()

    def templates_of(self, keys: Keys) -> Templates:
        """A float32 copy of the templates of ``keys`` (all present), in that order."""
        rows = [self._key_row[int(key)] for key in keys]
        out: Templates = self.rows.live[rows]
        return out

    def hits_needed(self, k: int) -> int:
        """Template hits enough to be sure of ``k`` distinct entries."""
        return min(len(self.rows), k * max(self._sizes, default=1))

    def search_exact(self, queries: Templates, k: int) -> list[list[Candidate]]:
        """The best ``k`` entries of each query row over every template (a matrix product;
        ``argmax`` when one entry is wanted: the best row's entry is the best entry)."""
        if not self._entry_keys:
            return [[] for _ in range(len(queries))]
        scores = queries @ self.rows.live.T
        if k == 1:
            best = np.argmax(scores, axis=1)
            return [[self._candidate(int(row), float(s[row]))] for row, s in zip(best, scores,
                                                                                    strict=True)]
        wanted = self.hits_needed(k)
        results = []
        for row_scores in scores:
            if wanted >= len(row_scores):
                rows = np.argsort(-row_scores, kind="stable")
            else:
                top = np.argpartition(-row_scores, wanted - 1)[:wanted]
                rows = top[np.argsort(-row_scores[top], kind="stable")]
            results.append(self.best_entries(rows, row_scores[rows], k))
        return results

    def rescore(self, query: Templates, keys: Any, k: int) -> list[Candidate]:
        """The best ``k`` entries among candidate ``keys`` for one query row, scored exactly
        from the float32 rows; keys no longer present are skipped."""
        key_row = self._key_row
        rows = np.fromiter((r for r in (key_row.get(int(key)) for key in keys) if r is not None),
                           dtype=np.int64)
        if not len(rows):
            return []
        row_scores = self.rows.live[rows] @ query
        order = np.argsort(-row_scores, kind="stable")
        return self.best_entries(rows[order], row_scores[order], k)

    def best_entries(self, rows: Any, scores: Any, k: int) -> list[Candidate]:
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

    def _candidate(self, row: int, score: float) -> Candidate:
        return Candidate(self._row_entry[row], min(max(score, -1.0), 1.0))
