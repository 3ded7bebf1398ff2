"""Shared helpers for the lfr-faiss tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator, so a failure can be replayed."""
    return np.random.default_rng(4321)
