"""The ``lfr`` pytest plugin: fixtures for plugin authors and for the framework's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from lfr_framework.sample_photos import fetch_photos


@pytest.fixture(scope="session")
def real_photos() -> dict[str, Path]:
    """Paths of the hash-pinned real photos (``obama``, ``obama2``, ``obama3``, ``biden``,
    ``grace_hopper``, ``astronaut`` and the face-free ``chelsea``), fetched once and cached."""
    return fetch_photos()
