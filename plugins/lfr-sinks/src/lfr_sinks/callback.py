"""The ``callback`` sink: hands each alert to a Python callable in the same process."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from lfr_framework.errors import ConfigurationError, PipelineError
from lfr_framework.types import Alert

#: What the callback sink calls: one argument, the :class:`Alert`; the result is ignored.
AlertCallback = Callable[[Alert], Any]


def resolve_target(target: str) -> AlertCallback:
    """Import ``module:attr.path`` and return the callable it names.

    Raise ``ConfigurationError`` naming ``target`` when the module cannot be imported,
    the attribute does not exist, or it is not callable.
    """
    module_name, sep, attr_path = target.partition(":")
    if not sep or not module_name or not attr_path:
        raise ConfigurationError(
            f"callback alert sink: target {target!r} is not of the form 'module:function'"
        )
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"callback alert sink: target {target!r}: cannot import module {module_name!r} "
            f"({type(exc).__name__}: {exc})"
        ) from None
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigurationError(
                f"callback alert sink: target {target!r}: {module_name!r} has no "
                f"attribute {attr_path!r}"
            ) from None
    if not callable(obj):
        raise ConfigurationError(
            f"callback alert sink: target {target!r} is a {type(obj).__name__}, not callable"
        )
    callback: AlertCallback = obj
    return callback


class CallbackAlertSink:
    """Calls ``callback(alert)`` for each alert, in the thread that emits it.

    The callback receives the whole :class:`Alert`, probe crop and template included:
    it runs in-process and is responsible for keeping no biometric data beyond what the
    retention rules allow. An exception from the callback propagates, so the pipeline
    marks that delivery as failed.
    """

    def __init__(self, callback: AlertCallback, name: str | None = None) -> None:
        self.callback = callback
        self.name = name or getattr(callback, "__qualname__", repr(callback))
        self._closed = False

    def emit(self, alert: Alert) -> None:
        """Call the callback with ``alert``."""
        if self._closed:
            raise PipelineError(f"callback alert sink {self.name} is closed")
        self.callback(alert)

    def close(self) -> None:
        """Stop calling the callback. Safe to call twice."""
        self._closed = True
