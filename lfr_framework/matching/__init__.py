"""Building blocks for matcher plugins: checked input, a zeroing template matrix, and a
table of one watchlist's templates that scores candidates exactly.

The default ``usearch`` matcher and the ``faiss`` matcher are built from these; a vendor's
matcher may be too. Plain numpy, no index library.
"""

from lfr_framework.matching.rows import TemplateRows
from lfr_framework.matching.table import Keys, TemplateTable
from lfr_framework.matching.validation import check_dimension, check_entry_id, check_k, unit_rows

__all__ = ["Keys", "TemplateRows", "TemplateTable", "check_dimension", "check_entry_id",
           "check_k", "unit_rows"]
