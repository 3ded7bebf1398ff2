"""A growable float32 matrix of templates that zeroes every row it gives up."""

from __future__ import annotations

import numpy as np

from lfr_framework.types import Templates

_INITIAL_CAPACITY = 64


class TemplateRows:
    """Rows ``[0, len)`` of one contiguous matrix; removal moves the last row into the hole.

    Every row the matrix stops using, and every buffer it outgrows, is overwritten with
    zeros before it is let go, so no template lingers in memory this class owns.
    """

    def __init__(self, dimension: int) -> None:
        self._matrix: Templates = np.zeros((_INITIAL_CAPACITY, dimension), dtype=np.float32)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def live(self) -> Templates:
        """A view of the rows in use (valid until the next append or removal)."""
        return self._matrix[: self._count]

    def append(self, rows: Templates) -> int:
        """Append ``rows``; return the index of the first one."""
        start = self._count
        needed = start + len(rows)
        if needed > len(self._matrix):
            capacity = max(needed, 2 * len(self._matrix))
            grown = np.zeros((capacity, self._matrix.shape[1]), dtype=np.float32)
            grown[:start] = self._matrix[:start]
            self._matrix.fill(0.0)
            self._matrix = grown
        self._matrix[start:needed] = rows
        self._count = needed
        return start

    def remove(self, row: int) -> int | None:
        """Remove ``row`` by moving the last row into it; return the moved row's old index.

        Returns ``None`` when ``row`` was the last row and nothing moved.
        """
        last = self._count - 1
        moved: int | None = None
        if row != last:
            self._matrix[row] = self._matrix[last]
            moved = last
        self._matrix[last] = 0.0
        self._count = last
        return moved

    def erase(self) -> None:
        """Overwrite every row with zeros and forget them."""
        self._matrix.fill(0.0)
        self._count = 0
