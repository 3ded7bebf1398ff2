"""Shared fixtures for the cross-cutting tests."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from lfr_framework.models.store import ModelStore, default_home
from lfr_framework.plugins import PluginHost


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


DEFAULT_PLUGIN_MODULES = {
    "opencv": "lfr_opencv.plugin",
    "mediapipe": "lfr_mediapipe.plugin",
    "arcface_onnx": "lfr_arcface_onnx.plugin",
    "usearch": "lfr_usearch.plugin",
    "sinks": "lfr_sinks.plugin",
}


def make_default_host() -> PluginHost:
    """A plugin host with exactly the default plugins, registered explicitly (never whatever
    else happens to be installed)."""
    host = PluginHost(load_entry_points=False)
    for name, module in DEFAULT_PLUGIN_MODULES.items():
        host.register_plugin(importlib.import_module(module), name=name)
    return host


@pytest.fixture(scope="session")
def default_host() -> PluginHost:
    """The default plugins, registered explicitly."""
    return make_default_host()


@pytest.fixture(scope="session")
def model_store(default_host: PluginHost, shared_model_home: Path) -> ModelStore:
    """The shared model store with the default detector and recogniser models fetched."""
    store = default_host.model_store(shared_model_home)
    for model_id in ("blazeface-short-range", "blazeface-full-range", "sface-2021dec-int8bq"):
        store.fetch(model_id)
    return store
