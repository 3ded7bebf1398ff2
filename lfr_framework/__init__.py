"""LFR framework core: hook specs, plugin host, pipeline, model store and CLI."""

from lfr_framework.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
