"""Shared fixtures for the cross-cutting tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lfr_framework.models.store import default_home


@pytest.fixture(scope="session")
def shared_model_home() -> Path:
    """The model store every test shares (fetched once, then cached): ``$LFR_HOME`` or
    ``~/.cache/lfr``."""
    return default_home()


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty ``$LFR_HOME`` for tests that must not see the shared store."""
    home = tmp_path / "lfr-home"
    home.mkdir()
    monkeypatch.setenv("LFR_HOME", str(home))
    yield home
