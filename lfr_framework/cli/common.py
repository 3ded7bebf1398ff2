"""Helpers the commands share: the plugin host, the model store, progress bars."""

from __future__ import annotations

import click

from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost


def load_host() -> PluginHost:
    """Load the installed plugins; print each plugin that failed, once, and go on."""
    host = PluginHost()
    for failure in host.failures:
        click.echo(
            f"warning: plugin {failure.name!r} from {failure.distribution!r} not loaded: "
            f"{failure.message}", err=True,
        )
    return host


def load_store(host: PluginHost) -> ModelStore:
    """The model store over the loaded plugins' declarations, at ``$LFR_HOME/models``."""
    return host.model_store()
