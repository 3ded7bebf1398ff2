"""Default LFR alert sinks: ``jsonl`` (an append-only file) and ``callback`` (in-process)."""

from lfr_sinks.callback import AlertCallback, CallbackAlertSink, resolve_target
from lfr_sinks.jsonl import JsonlAlertSink
from lfr_sinks.options import CallbackOptions, JsonlOptions

__all__ = [
    "AlertCallback",
    "CallbackAlertSink",
    "CallbackOptions",
    "JsonlAlertSink",
    "JsonlOptions",
    "resolve_target",
]
