"""Fixtures for every test directory: the default plugins' models are in the shared store
before any test runs, so a fresh machine passes in any test order."""

from __future__ import annotations

import importlib

import pytest

from lfr_framework.model_spec import ImportOnly
from lfr_framework.models.store import default_home
from lfr_framework.plugins import PluginHost

#: The default plugins whose models the tests use.
_MODEL_PLUGINS = ("lfr_mediapipe.plugin", "lfr_arcface_onnx.plugin")


@pytest.fixture(scope="session", autouse=True)
def _default_models_fetched() -> None:
    """Fetch (once, then cached) every model the default plugins declare that can be fetched."""
    host = PluginHost(load_entry_points=False)
    for module in _MODEL_PLUGINS:
        host.register_plugin(importlib.import_module(module), name=module.split(".")[0])
    store = host.model_store(default_home())
    for spec in store.specs():
        if not all(isinstance(s, ImportOnly) for s in spec.sources):
            store.fetch(spec.model_id)
