"""Fixtures for the alert sink tests: a plugin host with only this plugin, and alerts."""

from __future__ import annotations

import pytest
from lfr_sinks import plugin

from lfr_framework.plugins import PluginHost


@pytest.fixture
def host() -> PluginHost:
    """A plugin host with only this plugin registered."""
    host = PluginHost(load_entry_points=False)
    host.register_plugin(plugin, name="sinks")
    return host
