"""Registers the default alert sinks: ``jsonl`` and ``callback``."""

from __future__ import annotations

from pathlib import Path

from lfr_framework import hookimpl
from lfr_framework.errors import ConfigurationError
from lfr_framework.hookspecs import ComponentRegister
from lfr_sinks.callback import AlertCallback, CallbackAlertSink, resolve_target
from lfr_sinks.jsonl import JsonlAlertSink
from lfr_sinks.options import CallbackOptions, JsonlOptions


def jsonl_sink(*, path: Path | str) -> JsonlAlertSink:
    """A ``jsonl`` sink appending to ``path``; a path that cannot be appended to fails now."""
    return JsonlAlertSink(Path(path).expanduser())


def callback_sink(
    *, target: str | None = None, callback: AlertCallback | None = None
) -> CallbackAlertSink:
    """A ``callback`` sink: give exactly one of ``target`` ('module:function', resolved now)
    or ``callback`` (a callable, for in-process use from code)."""
    if (target is None) == (callback is None):
        raise ConfigurationError(
            "callback alert sink: give exactly one of 'target' (module:function) or 'callback'"
        )
    if target is not None:
        return CallbackAlertSink(resolve_target(target), name=target)
    if not callable(callback):
        raise ConfigurationError(
            f"callback alert sink: callback is a {type(callback).__name__}, not callable"
        )
    return CallbackAlertSink(callback)


@hookimpl
def register_alert_sinks(register: ComponentRegister) -> None:
    """Register ``jsonl`` and ``callback``."""
    register("jsonl", jsonl_sink, options=JsonlOptions)
    register("callback", callback_sink, options=CallbackOptions)
