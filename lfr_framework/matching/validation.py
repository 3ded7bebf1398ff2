"""Checks on what callers hand the matcher, with messages that say what was wrong."""

from __future__ import annotations

from typing import Any

import numpy as np

from lfr_framework.types import Templates


def check_dimension(dimension: Any) -> int:
    """Return ``dimension`` if it is a positive ``int``; raise ``ValueError`` otherwise."""
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
        raise ValueError(f"matcher dimension must be a positive integer, got {dimension!r}")
    return dimension


def check_entry_id(entry_id: Any) -> str:
    """Return ``entry_id`` if it is a non-blank ``str``; raise ``ValueError`` otherwise."""
    if not isinstance(entry_id, str):
        raise ValueError(f"entry_id must be a str, got {type(entry_id).__name__}")
    if not entry_id.strip():
        raise ValueError("entry_id must not be empty or blank")
    return entry_id


def check_k(k: Any) -> int:
    """Return ``k`` if it is a positive ``int``; raise ``ValueError`` otherwise."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return k


def unit_rows(templates: Any, dimension: int, what: str, *, allow_empty: bool) -> Templates:
    """A float32 copy of ``templates`` (n × ``dimension``) with every row scaled to length 1.

    Raises ``ValueError`` naming ``what`` for a non-array, a wrong shape or dimension, a
    non-real dtype, NaN or infinity, a zero row, or no rows when ``allow_empty`` is false.
    The message never contains template values.
    """
    if not isinstance(templates, np.ndarray):
        raise ValueError(f"{what} must be a numpy array, got {type(templates).__name__}")
    if templates.ndim != 2:
        raise ValueError(
            f"{what} must be 2-D (rows × {dimension}), got {templates.ndim}-D shape "
            f"{templates.shape}"
        )
    if templates.shape[1] != dimension:
        raise ValueError(
            f"{what} have dimension {templates.shape[1]}, this matcher expects {dimension}"
        )
    if templates.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{what} must hold at least one row")
    if not (np.issubdtype(templates.dtype, np.floating)
            or np.issubdtype(templates.dtype, np.integer)) or templates.dtype == np.bool_:
        raise ValueError(f"{what} must hold real numbers, got dtype {templates.dtype}")
    rows = np.array(templates, dtype=np.float32, copy=True)
    if not np.all(np.isfinite(rows)):
        raise ValueError(f"{what} contain NaN or infinite values")
    norms = np.linalg.norm(rows, axis=1)
    zero = np.flatnonzero(norms == 0.0)
    if zero.size:
        raise ValueError(f"{what} row {int(zero[0])} is all zeros and has no direction")
    rows /= norms[:, None]
    return rows
