"""The ``callback`` sink hands alerts to a callable named by import path or passed in code."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lfr_sinks import CallbackAlertSink
from lfr_sinks.plugin import callback_sink

from lfr_framework.errors import ConfigurationError, PipelineError
from lfr_framework.interfaces import AlertSink
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Alert

WHERE = "alert_sinks[1].options"
MODULE = "lfr_sinks_test_receiver"


@pytest.fixture
def receiver() -> Iterator[types.ModuleType]:
    """A real importable module with a receiving function, a class method and a constant."""
    module = types.ModuleType(MODULE)
    module.received = []  # type: ignore[attr-defined]

    def receive(alert: Alert) -> None:
        module.received.append(alert)  # type: ignore[attr-defined]

    class Desk:
        @staticmethod
        def receive(alert: Alert) -> None:
            module.received.append(("desk", alert))  # type: ignore[attr-defined]

    module.receive = receive  # type: ignore[attr-defined]
    module.Desk = Desk  # type: ignore[attr-defined]
    module.NOT_CALLABLE = 42  # type: ignore[attr-defined]
    sys.modules[MODULE] = module
    yield module
    del sys.modules[MODULE]


def make(host: PluginHost, **options: object) -> AlertSink:
    return host.alert_sinks.create("callback", options, WHERE)


def test_target_is_resolved_and_called_with_each_alert(
    host: PluginHost, receiver: types.ModuleType, make_alert: Callable[..., Alert]
) -> None:
    sink = make(host, target=f"{MODULE}:receive")
    assert isinstance(sink, AlertSink)
    alerts = [make_alert(track_id=i) for i in range(3)]
    for alert in alerts:
        sink.emit(alert)
    sink.close()
    sink.close()
    assert receiver.received == alerts
    with pytest.raises(PipelineError, match="is closed"):
        sink.emit(alerts[0])


def test_dotted_attribute_targets_work(
    host: PluginHost, receiver: types.ModuleType, make_alert: Callable[..., Alert]
) -> None:
    sink = make(host, target=f"{MODULE}:Desk.receive")
    alert = make_alert()
    sink.emit(alert)
    assert receiver.received == [("desk", alert)]


def test_a_stdlib_target_resolves(host: PluginHost) -> None:
    sink = make(host, target="json:dumps")
    assert isinstance(sink, CallbackAlertSink) and sink.name == "json:dumps"


def test_a_callable_can_be_passed_in_code(make_alert: Callable[..., Alert]) -> None:
    got: list[Alert] = []
    sink = callback_sink(callback=got.append)
    alert = make_alert()
    sink.emit(alert)
    assert got == [alert]
    assert got[0].probe_crop is not None  # in-process: the whole alert, as documented


def test_errors_from_the_callback_propagate(
    host: PluginHost, make_alert: Callable[..., Alert]
) -> None:
    def broken(alert: Alert) -> None:
        raise RuntimeError("officer feed down")

    sink = callback_sink(callback=broken)
    with pytest.raises(RuntimeError, match="officer feed down"):
        sink.emit(make_alert())


@pytest.mark.parametrize(("target", "why"), [
    ("lfr_no_such_module_xyz:handle", "cannot import module 'lfr_no_such_module_xyz'"),
    ("json:no_such_function", "'json' has no attribute 'no_such_function'"),
    (f"{MODULE}:Desk.missing", f"'{MODULE}' has no attribute 'Desk.missing'"),
    (f"{MODULE}:NOT_CALLABLE", "is a int, not callable"),
])
def test_a_target_that_does_not_resolve_is_a_configuration_error(
    host: PluginHost, receiver: types.ModuleType, target: str, why: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(f"target {target!r}") + ".*"
                       + re.escape(why)):
        make(host, target=target)


def test_a_module_that_fails_to_import_is_named(host: PluginHost, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path
    (folder / "lfr_sinks_broken_receiver.py").write_text("import lfr_missing_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(folder))
    with pytest.raises(ConfigurationError,
                       match=r"cannot import module 'lfr_sinks_broken_receiver'.*"
                             r"lfr_missing_dependency_xyz"):
        make(host, target="lfr_sinks_broken_receiver:handle")


@pytest.mark.parametrize(("options", "key"), [
    ({}, "target"),
    ({"target": "no-colon-here"}, "target"),
    ({"target": "module:"}, "target"),
    ({"target": "mod:func", "retries": 3}, "retries"),
])
def test_invalid_options_fail_naming_the_key(
    host: PluginHost, options: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigurationError, match=rf"'callback'.*{re.escape(WHERE)}\.{key}"):
        host.alert_sinks.validate_options("callback", options, WHERE)


def test_exactly_one_of_target_and_callback() -> None:
    with pytest.raises(ConfigurationError, match="exactly one of"):
        callback_sink()
    with pytest.raises(ConfigurationError, match="exactly one of"):
        callback_sink(target="json:dumps", callback=print)
    with pytest.raises(ConfigurationError, match="not callable"):
        callback_sink(callback=42)  # type: ignore[arg-type]


def test_registers_both_sinks(host: PluginHost) -> None:
    assert host.alert_sinks.names() == ["callback", "jsonl"]
