"""PluginHost and ComponentRegistry with real plugin objects and real installed distributions.

Plugin objects are plain classes with ``@hookimpl`` methods, registered with
``PluginHost(load_entry_points=False)``. Discovery is tested with real distributions: a
``*.dist-info`` directory (METADATA + entry_points.txt) and a module written into
``tmp_path``, which is put on ``sys.path``; ``LFR_PLUGINS`` keeps the plugins installed in
the environment out of the way.
"""

from __future__ import annotations

import logging
import sys
import textwrap
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import pytest

from lfr_framework import hookimpl
from lfr_framework.errors import ConfigurationError, PluginError, UnknownComponentError
from lfr_framework.events import (
    BiometricDataDeleted,
    DecisionRecorded,
    DeploymentStateChanged,
    HoldChanged,
)
from lfr_framework.hookspecs import ComponentRegister, ModelRegister
from lfr_framework.interfaces import (
    AlertSink,
    CameraSource,
    Detector,
    Matcher,
    Recogniser,
    RetentionPolicy,
)
from lfr_framework.model_spec import ImportOnly, ModelSpec, UrlSource, WheelMember
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost, PluginLoadFailure
from lfr_framework.retention import Deadline, RetentionItem
from lfr_framework.types import (
    Alert,
    BoundingBox,
    Candidate,
    Detection,
    Frame,
    Image,
    Templates,
)

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


# --- Components: the smallest objects that satisfy each protocol ------------------


class StaticCamera:
    def __init__(self, camera_id: str, uri: str, count: int = 2) -> None:
        self.camera_id = camera_id
        self.uri = uri
        self.count = count
        self._sent = 0

    def open(self) -> None:
        self._sent = 0

    def read(self) -> Frame | None:
        if self._sent >= self.count:
            return None
        self._sent += 1
        image = np.zeros((4, 4, 3), dtype=np.uint8)
        return Frame(self.camera_id, self._sent - 1, NOW, image)

    def close(self) -> None:
        pass


class CornerDetector:
    name = "corner"

    def __init__(self, models: ModelStore, min_score: float = 0.5) -> None:
        self.models = models
        self.min_score = min_score

    def detect(self, image: Image) -> list[Detection]:
        return [Detection(BoundingBox(0, 0, 2, 2), 0.9)]


class MeanRecogniser:
    model_id = "mean-v1"
    dimension = 3
    default_threshold = 0.5

    def __init__(self, models: ModelStore) -> None:
        self.models = models

    def align(self, image: Image, detection: Detection) -> Image:
        return image

    def embed(self, crops: Sequence[Image]) -> Templates:
        rows = np.ones((len(crops), self.dimension), dtype=np.float32)
        normalised: Templates = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return normalised


class DictMatcher:
    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._entries: dict[str, Templates] = {}

    def add(self, entry_id: str, templates: Templates) -> None:
        self._entries[entry_id] = templates

    def remove(self, entry_id: str) -> bool:
        return self._entries.pop(entry_id, None) is not None

    def search(self, templates: Templates, k: int = 1) -> list[list[Candidate]]:
        return [[] for _ in templates]

    def __len__(self) -> int:
        return len(self._entries)

    def destroy(self) -> None:
        self._entries.clear()


class ListSink:
    def __init__(self, label: str = "sink") -> None:
        self.label = label
        self.alerts: list[Alert] = []

    def emit(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def close(self) -> None:
        pass


class WeekPolicy:
    name = "week"

    def max_age(self, record_kind: str) -> timedelta | None:
        return timedelta(days=7)

    def deadline(self, item: RetentionItem) -> Deadline | None:
        return Deadline(item.created_at + timedelta(days=7), "week")


class CameraOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    count: int = pydantic.Field(2, ge=1)


class DetectorOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    min_score: float = pydantic.Field(0.5, gt=0, le=1)


class SinkOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    label: str


def model_spec(model_id: str) -> ModelSpec:
    return ModelSpec(
        model_id=model_id,
        filename=f"{model_id}.onnx",
        sha256="0" * 64,
        licence="Apache-2.0",
        sources=(
            WheelMember("acme-models==1.0", f"acme_models/{model_id}.onnx"),
            UrlSource(f"https://models.example/{model_id}.onnx"),
            ImportOnly("ask ACME"),
        ),
    )


def make_alert() -> Alert:
    return Alert(
        alert_id="a-1", deployment_id="d-1", camera_id="gate-1", track_id=7, entry_id="e-9",
        score=0.71, threshold=0.6, model_id="mean-v1", raised_at=NOW, frame_timestamp=NOW,
        first_seen_at=NOW,
    )


# --- Plugins ---------------------------------------------------------------------


class EverythingPlugin:
    """Registers one component of every kind and one model."""

    @hookimpl
    def register_camera_sources(self, register: ComponentRegister) -> None:
        register("static", StaticCamera, options=CameraOptions)

    @hookimpl
    def register_detectors(self, register: ComponentRegister) -> None:
        register("corner", CornerDetector, options=DetectorOptions)

    @hookimpl
    def register_recognisers(self, register: ComponentRegister) -> None:
        register("mean", MeanRecogniser)

    @hookimpl
    def register_matchers(self, register: ComponentRegister) -> None:
        register("dict", DictMatcher)

    @hookimpl
    def register_alert_sinks(self, register: ComponentRegister) -> None:
        register("list", ListSink, options=SinkOptions)

    @hookimpl
    def register_retention_policies(self, register: ComponentRegister) -> None:
        register("week", WeekPolicy)

    @hookimpl
    def register_models(self, register: ModelRegister) -> None:
        register(model_spec("mean-v1"))


class Registers:
    """A plugin built from a table: ``{hook name: [(component name, factory), ...]}``."""

    def __init__(self, components: dict[str, list[tuple[str, Any]]],
                 models: Sequence[str] = ()) -> None:
        self._components = components
        self._models = models

    def _run(self, hook: str, register: ComponentRegister) -> None:
        for name, factory in self._components.get(hook, []):
            register(name, factory)

    @hookimpl
    def register_detectors(self, register: ComponentRegister) -> None:
        self._run("register_detectors", register)

    @hookimpl
    def register_matchers(self, register: ComponentRegister) -> None:
        self._run("register_matchers", register)

    @hookimpl
    def register_alert_sinks(self, register: ComponentRegister) -> None:
        self._run("register_alert_sinks", register)

    @hookimpl
    def register_models(self, register: ModelRegister) -> None:
        for model_id in self._models:
            register(model_spec(model_id))


class Listener:
    """Records every event it is told about."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    @hookimpl
    def alert_raised(self, alert: Alert) -> None:
        self.seen.append(("alert_raised", alert))

    @hookimpl
    def decision_recorded(self, event: DecisionRecorded) -> None:
        self.seen.append(("decision_recorded", event))

    @hookimpl
    def biometric_data_deleted(self, event: BiometricDataDeleted) -> None:
        self.seen.append(("biometric_data_deleted", event))

    @hookimpl
    def hold_changed(self, event: HoldChanged) -> None:
        self.seen.append(("hold_changed", event))

    @hookimpl
    def deployment_state_changed(self, event: DeploymentStateChanged) -> None:
        self.seen.append(("deployment_state_changed", event))


class ListeningRegisters(Registers, Listener):
    def __init__(self, components: dict[str, list[tuple[str, Any]]],
                 models: Sequence[str] = ()) -> None:
        Registers.__init__(self, components, models)
        Listener.__init__(self)


@pytest.fixture
def host() -> PluginHost:
    return PluginHost(load_entry_points=False)


# --- Registration of each kind ---------------------------------------------------


def test_every_component_kind_is_registered_and_built(host: PluginHost, tmp_path: Path) -> None:
    info = host.register_plugin(EverythingPlugin(), name="everything",
                                distribution="lfr-everything", version="1.2.3")

    assert info.name == "everything"
    assert info.distribution == "lfr-everything"
    assert info.version == "1.2.3"
    assert info.registers == {
        "camera_sources": ["static"], "detectors": ["corner"], "recognisers": ["mean"],
        "matchers": ["dict"], "alert_sinks": ["list"], "retention_policies": ["week"],
        "models": ["mean-v1"],
    }
    assert host.describe() == [info]
    assert list(host.plugin_names()) == ["everything"]
    for registry in (host.camera_sources, host.detectors, host.recognisers, host.matchers,
                     host.alert_sinks, host.retention_policies):
        assert [r.plugin for r in registry.registrations()] == ["everything"]

    store = host.model_store(home=tmp_path)
    assert store.spec("mean-v1").licence == "Apache-2.0"

    camera = host.camera_sources.create("static", {"count": 3}, "cameras[0].options",
                                        camera_id="gate-1", uri="file.mp4")
    detector = host.detectors.create("corner", {}, "detector.options", models=store)
    recogniser = host.recognisers.create("mean", {}, "recogniser.options", models=store)
    matcher = host.matchers.create("dict", {}, "matcher.options", dimension=3)
    sink = host.alert_sinks.create("list", {"label": "ops"}, "sinks[0].options")
    policy = host.retention_policies.create("week", {}, "retention.options")

    assert isinstance(camera, CameraSource)
    assert isinstance(detector, Detector)
    assert isinstance(recogniser, Recogniser)
    assert isinstance(matcher, Matcher)
    assert isinstance(sink, AlertSink)
    assert isinstance(policy, RetentionPolicy)
    # Fixed arguments and validated options (with their defaults) reach the factory.
    assert isinstance(camera, StaticCamera)
    assert (camera.camera_id, camera.uri, camera.count) == ("gate-1", "file.mp4", 3)
    assert isinstance(detector, CornerDetector)
    assert detector.models is store
    assert detector.min_score == 0.5
    assert isinstance(matcher, DictMatcher)
    assert matcher.dimension == 3
    assert isinstance(sink, ListSink)
    assert sink.label == "ops"


def test_a_module_is_a_plugin_too(host: PluginHost, tmp_path: Path) -> None:
    module = _write_module(tmp_path, "sinks", """
        from lfr_framework import hookimpl

        class Sink:
            def emit(self, alert): pass
            def close(self): pass

        @hookimpl
        def register_alert_sinks(register):
            register("module-sink", Sink)
    """)
    host.register_plugin(module, name="mod")
    assert host.alert_sinks.get("module-sink").plugin == "mod"


# --- Duplicates and failing plugins -------------------------------------------------


def test_a_name_another_plugin_has_rejects_the_whole_later_plugin(host: PluginHost) -> None:
    first = ListeningRegisters(
        {"register_detectors": [("shared", CornerDetector)],
         "register_alert_sinks": [("first-sink", ListSink)]},
        models=["first-model"],
    )
    second = ListeningRegisters(
        {"register_matchers": [("second-matcher", DictMatcher)],
         "register_alert_sinks": [("second-sink", ListSink)],
         "register_detectors": [("shared", CornerDetector)]},
        models=["second-model"],
    )
    host.register_plugin(first, name="first", distribution="lfr-first")

    with pytest.raises(PluginError) as caught:
        host.register_plugin(second, name="second", distribution="lfr-second")

    message = str(caught.value)
    assert "'second'" in message
    assert "'lfr-second'" in message
    assert "'shared'" in message
    assert "'first'" in message  # the plugin that has the name
    # The first plugin's registrations are intact ...
    assert host.detectors.get("shared").plugin == "first"
    assert host.alert_sinks.names() == ["first-sink"]
    assert [s.model_id for s in host.model_specs] == ["first-model"]
    # ... and nothing of the rejected plugin remains: components, models, events, name.
    assert host.matchers.names() == []
    assert list(host.plugin_names()) == ["first"]
    host.alert_raised(make_alert())
    assert [kind for kind, _ in first.seen] == ["alert_raised"]
    assert second.seen == []


def test_a_plugin_that_registers_a_name_twice_is_rejected_whole(host: PluginHost) -> None:
    twice = Registers({
        "register_alert_sinks": [("ok-sink", ListSink)],
        "register_detectors": [("twin", CornerDetector), ("twin", CornerDetector)],
    })

    with pytest.raises(PluginError) as caught:
        host.register_plugin(twice, name="twice", distribution="lfr-twice")

    message = str(caught.value)
    assert "'twice'" in message
    assert "'lfr-twice'" in message
    assert "'twin'" in message
    assert "twice" in message.split(":", 1)[1]
    assert host.alert_sinks.names() == []
    assert host.detectors.names() == []
    assert list(host.plugin_names()) == []


def test_the_same_name_in_two_kinds_is_allowed(host: PluginHost) -> None:
    host.register_plugin(Registers({
        "register_detectors": [("acme", CornerDetector)],
        "register_matchers": [("acme", DictMatcher)],
    }), name="acme")
    assert host.detectors.names() == ["acme"]
    assert host.matchers.names() == ["acme"]


class Exploding:
    @hookimpl
    def register_alert_sinks(self, register: ComponentRegister) -> None:
        register("early-sink", ListSink)

    @hookimpl
    def register_matchers(self, register: ComponentRegister) -> None:
        raise RuntimeError("licence server unreachable")


def test_a_plugin_whose_hook_raises_is_rejected_with_its_name(host: PluginHost) -> None:
    with pytest.raises(PluginError) as caught:
        host.register_plugin(Exploding(), name="boom", distribution="lfr-boom")

    message = str(caught.value)
    assert "'boom'" in message
    assert "'lfr-boom'" in message
    assert "register_matchers" in message
    assert "RuntimeError: licence server unreachable" in message
    assert host.alert_sinks.names() == []
    # The host is still usable, and the name is free again.
    host.register_plugin(EverythingPlugin(), name="boom")
    assert host.alert_sinks.names() == ["list"]


def test_a_plugin_name_can_be_registered_only_once(host: PluginHost) -> None:
    host.register_plugin(EverythingPlugin(), name="acme")
    with pytest.raises(PluginError, match="'acme' is already registered"):
        host.register_plugin(Listener(), name="acme")


def test_a_hook_that_does_not_exist_is_rejected(host: PluginHost) -> None:
    class Widgets:
        @hookimpl
        def register_widgets(self, register: ComponentRegister) -> None:
            register("w", object)

    with pytest.raises(PluginError, match=r"plugin 'widgets' .*register_widgets"):
        host.register_plugin(Widgets(), name="widgets")
    assert list(host.plugin_names()) == []


def test_a_hook_with_wrong_argument_names_is_a_plugin_error(host: PluginHost) -> None:
    class WrongArgument:
        @hookimpl
        def register_detectors(self, reg: ComponentRegister) -> None:
            reg("d", CornerDetector)

    with pytest.raises(PluginError, match=r"plugin 'wrong' .*'reg'"):
        host.register_plugin(WrongArgument(), name="wrong")


def test_a_model_declared_by_two_plugins_is_an_error(host: PluginHost, tmp_path: Path) -> None:
    host.register_plugin(Registers({}, models=["det-v1", "rec-v1"]), name="first")
    with pytest.raises(PluginError) as caught:
        host.register_plugin(
            Registers({"register_detectors": [("second-det", CornerDetector)]},
                      models=["own-v1", "rec-v1"]),
            name="second", distribution="lfr-second",
        )
    message = str(caught.value)
    assert "'second'" in message
    assert "'lfr-second'" in message
    assert "'rec-v1'" in message
    assert "'first'" in message
    assert sorted(s.model_id for s in host.model_specs) == ["det-v1", "rec-v1"]
    assert host.detectors.names() == []
    assert [s.model_id for s in host.model_store(home=tmp_path).specs()] == ["det-v1", "rec-v1"]


def test_a_model_declared_twice_by_one_plugin_is_an_error(host: PluginHost) -> None:
    with pytest.raises(PluginError, match=r"plugin 'twice' .*'dup-v1'"):
        host.register_plugin(Registers({}, models=["dup-v1", "dup-v1"]), name="twice")


@pytest.mark.parametrize(("name", "factory", "options"), [
    ("", ListSink, None),
    ("sink", "not callable", None),
    ("sink", ListSink, dict),
])
def test_bad_register_arguments_are_a_plugin_error(
    host: PluginHost, name: str, factory: Any, options: Any
) -> None:
    class Bad:
        @hookimpl
        def register_alert_sinks(self, register: ComponentRegister) -> None:
            register(name, factory, options=options)

    with pytest.raises(PluginError, match="plugin 'bad'"):
        host.register_plugin(Bad(), name="bad")


# --- Options and names -------------------------------------------------------------


@pytest.fixture
def everything(host: PluginHost) -> PluginHost:
    host.register_plugin(EverythingPlugin(), name="everything")
    return host


@pytest.mark.parametrize(("options", "key", "reason"), [
    ({}, "sinks[1].options.label", "Field required"),
    ({"label": 3}, "sinks[1].options.label", "string"),
    ({"label": "x", "lable": "y"}, "sinks[1].options.lable", "Extra inputs are not permitted"),
])
def test_an_invalid_option_names_the_component_plugin_and_key(
    everything: PluginHost, options: dict[str, Any], key: str, reason: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        everything.alert_sinks.create("list", options, "sinks[1].options")
    message = str(caught.value)
    assert "'list'" in message
    assert "'everything'" in message
    assert key in message
    assert reason in message


def test_every_invalid_option_is_reported_at_once(everything: PluginHost) -> None:
    with pytest.raises(ConfigurationError) as caught:
        everything.detectors.create(
            "corner", {"min_score": 2.0, "colour": "red"}, "detector.options",
            models=everything.model_store(),
        )
    message = str(caught.value)
    assert "detector.options.min_score" in message
    assert "detector.options.colour" in message


def test_options_are_validated_without_building(everything: PluginHost) -> None:
    assert everything.camera_sources.validate_options("static", {}, "cameras[0].options") == {
        "count": 2}
    with pytest.raises(ConfigurationError, match=r"cameras\[0\]\.options\.count"):
        everything.camera_sources.validate_options("static", {"count": 0}, "cameras[0].options")


def test_an_unknown_component_lists_the_known_ones(everything: PluginHost) -> None:
    everything.register_plugin(Registers({"register_detectors": [("acme", CornerDetector)]}),
                               name="acme")
    with pytest.raises(UnknownComponentError) as caught:
        everything.detectors.create("mediapipe2", {}, "detector.options")
    message = str(caught.value)
    assert "'mediapipe2'" in message
    assert "known: acme, corner" in message
    assert isinstance(caught.value, PluginError)


def test_an_unknown_component_with_none_registered_says_so(host: PluginHost) -> None:
    with pytest.raises(UnknownComponentError, match=r"'usearch'.*none \(is the plugin installed"):
        host.matchers.get("usearch")


def test_the_kind_is_named_properly_in_messages(host: PluginHost) -> None:
    with pytest.raises(UnknownComponentError, match="retention policy called 'x'"):
        host.retention_policies.get("x")


# --- Events --------------------------------------------------------------------------


def test_event_hooks_reach_every_listening_plugin(host: PluginHost) -> None:
    listeners = [Listener(), Listener(), Listener()]
    for number, listener in enumerate(listeners):
        host.register_plugin(listener, name=f"listener-{number}")
    host.register_plugin(EverythingPlugin(), name="deaf")  # listens to nothing

    alert = make_alert()
    decision = DecisionRecorded("a-1", "d-1", "engage", "arrest", "officer-7", NOW)
    deleted = BiometricDataDeleted("probe_crop", "a-1", "d-1", "31-days", NOW, "retention")
    hold = HoldChanged("h-1", "complaint", "alert", "a-1", "C/123", "placed", "cs-2", NOW)
    state = DeploymentStateChanged("d-1", "authorised", "running", "admin-1", NOW)
    host.alert_raised(alert)
    host.decision_recorded(decision)
    host.biometric_data_deleted(deleted)
    host.hold_changed(hold)
    host.deployment_state_changed(state)

    expected = [
        ("alert_raised", alert), ("decision_recorded", decision),
        ("biometric_data_deleted", deleted), ("hold_changed", hold),
        ("deployment_state_changed", state),
    ]
    for listener in listeners:
        assert listener.seen == expected
    described = {info.name: info.listens for info in host.describe()}
    assert described["listener-0"] == [name for name, _ in expected]
    assert described["deaf"] == []


def test_a_listener_that_raises_does_not_keep_the_event_from_the_others(
    host: PluginHost, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @hookimpl
        def alert_raised(self, alert: Alert) -> None:
            raise RuntimeError("integration down")

    after = Listener()
    host.register_plugin(after, name="after")
    host.register_plugin(Broken(), name="broken")  # pluggy calls the last registered first
    alert = make_alert()
    with caplog.at_level(logging.ERROR, logger="lfr_framework.plugins"):
        host.alert_raised(alert)
    assert after.seen == [("alert_raised", alert)]
    assert any("'broken'" in r.getMessage() and "integration down" in r.getMessage()
               for r in caplog.records)


def test_events_with_no_listener_are_fine(host: PluginHost) -> None:
    host.alert_raised(make_alert())
    host.deployment_state_changed(DeploymentStateChanged("d-1", "a", "b", "c", NOW))


# --- Discovery through entry points of real distributions ------------------------------


@dataclass
class SitePackages:
    """A directory on sys.path into which tests install small distributions."""

    root: Path
    token: str
    modules: list[str]

    def install(self, plugin: str, source: str | None, *, distribution: str | None = None,
                version: str = "0.1.0") -> str:
        """Install a distribution with one ``lfr`` entry point; return the module name.

        ``source=None`` makes an entry point whose module does not exist.
        """
        distribution = distribution or f"lfr-{plugin}"
        module = f"lfr_hosttest_{self.token}_{plugin.replace('-', '_')}"
        dist_info = self.root / f"{distribution.replace('-', '_')}-{version}.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n",
            encoding="utf-8")
        (dist_info / "entry_points.txt").write_text(
            f"[lfr]\n{plugin} = {module}\n", encoding="utf-8")
        if source is not None:
            (self.root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        self.modules.append(module)
        return module


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SitePackages]:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delenv("LFR_PLUGINS", raising=False)
    monkeypatch.delenv("LFR_DISABLE_PLUGINS", raising=False)
    packages = SitePackages(root, uuid.uuid4().hex[:8], [])
    yield packages
    for module in packages.modules:
        sys.modules.pop(module, None)


def sink_plugin(*names: str) -> str:
    registrations = "\n".join(f"    register({n!r}, Sink)" for n in names)
    return (
        "from lfr_framework import hookimpl\n\n"
        "class Sink:\n"
        "    def emit(self, alert): pass\n"
        "    def close(self): pass\n\n"
        "@hookimpl\n"
        "def register_alert_sinks(register):\n"
        f"{registrations}\n"
    )


def test_entry_points_load_with_distribution_and_version(
    site: SitePackages, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.install("hosttest-alpha", sink_plugin("alpha-sink"), version="2.3.4")
    site.install("hosttest-beta", sink_plugin("beta-sink"), distribution="acme-beta-lfr")
    monkeypatch.setenv("LFR_PLUGINS", "hosttest-alpha, hosttest-beta")

    host = PluginHost(load_entry_points=True)

    assert host.failures == []
    assert [(p.name, p.distribution, p.version, p.registers) for p in host.describe()] == [
        ("hosttest-alpha", "lfr-hosttest-alpha", "2.3.4", {"alert_sinks": ["alpha-sink"]}),
        ("hosttest-beta", "acme-beta-lfr", "0.1.0", {"alert_sinks": ["beta-sink"]}),
    ]


def test_the_allow_list_loads_only_the_plugins_it_names(
    site: SitePackages, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("alpha", "beta", "gamma"):
        site.install(f"hosttest-{name}", sink_plugin(f"{name}-sink"))
    monkeypatch.setenv("LFR_PLUGINS", "hosttest-alpha,hosttest-gamma")

    host = PluginHost()

    assert list(host.plugin_names()) == ["hosttest-alpha", "hosttest-gamma"]
    assert host.alert_sinks.names() == ["alpha-sink", "gamma-sink"]


def test_an_empty_allow_list_loads_nothing(
    site: SitePackages, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.install("hosttest-alpha", sink_plugin("alpha-sink"))
    monkeypatch.setenv("LFR_PLUGINS", "")
    host = PluginHost()
    assert list(host.plugin_names()) == []
    assert host.failures == []


def test_the_block_list_wins_over_the_allow_list(
    site: SitePackages, monkeypatch: pytest.MonkeyPatch
) -> None:
    modules = {name: site.install(f"hosttest-{name}", sink_plugin(f"{name}-sink"))
               for name in ("alpha", "beta", "gamma")}
    monkeypatch.setenv("LFR_PLUGINS", "hosttest-alpha,hosttest-beta,hosttest-gamma")
    monkeypatch.setenv("LFR_DISABLE_PLUGINS", "hosttest-beta")

    host = PluginHost()

    assert list(host.plugin_names()) == ["hosttest-alpha", "hosttest-gamma"]
    assert modules["beta"] not in sys.modules  # a blocked plugin is not even imported


def test_a_plugin_that_fails_to_import_is_recorded_and_the_others_load(
    site: SitePackages, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    site.install("hosttest-alpha", sink_plugin("alpha-sink"))
    broken = site.install("hosttest-broken",
                          "raise ImportError('libacme.so: cannot open shared object file')\n",
                          distribution="acme-broken-lfr", version="9.9")
    missing = site.install("hosttest-missing", None)
    site.install("hosttest-zeta", sink_plugin("zeta-sink"))
    monkeypatch.setenv(
        "LFR_PLUGINS", "hosttest-alpha,hosttest-broken,hosttest-missing,hosttest-zeta")

    with caplog.at_level(logging.ERROR, logger="lfr_framework.plugins"):
        host = PluginHost()

    assert list(host.plugin_names()) == ["hosttest-alpha", "hosttest-zeta"]
    assert host.alert_sinks.names() == ["alpha-sink", "zeta-sink"]
    assert [(f.name, f.distribution) for f in host.failures] == [
        ("hosttest-broken", "acme-broken-lfr"), ("hosttest-missing", "lfr-hosttest-missing")]
    broken_failure, missing_failure = host.failures
    assert isinstance(broken_failure, PluginLoadFailure)
    assert broken in broken_failure.message
    assert "ImportError: libacme.so: cannot open shared object file" in broken_failure.message
    assert missing in missing_failure.message
    assert "ModuleNotFoundError" in missing_failure.message
    # Logged once per failure, naming plugin and distribution.
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert "'hosttest-broken'" in errors[0]
    assert "'acme-broken-lfr'" in errors[0]


def test_a_duplicate_between_entry_points_keeps_the_first_by_name(
    site: SitePackages, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Installed in the "wrong" order on purpose: loading is by plugin name, not install order.
    site.install("hosttest-zeta", sink_plugin("zeta-sink", "shared-sink"),
                 distribution="zeta-lfr")
    site.install("hosttest-alpha", sink_plugin("shared-sink"))
    site.install("hosttest-mid", sink_plugin("mid-sink"))
    monkeypatch.setenv("LFR_PLUGINS", "hosttest-alpha,hosttest-mid,hosttest-zeta")

    host = PluginHost()

    assert list(host.plugin_names()) == ["hosttest-alpha", "hosttest-mid"]
    assert host.alert_sinks.names() == ["mid-sink", "shared-sink"]
    assert host.alert_sinks.get("shared-sink").plugin == "hosttest-alpha"
    [failure] = host.failures
    assert (failure.name, failure.distribution) == ("hosttest-zeta", "zeta-lfr")
    assert "'shared-sink'" in failure.message
    assert "'hosttest-alpha'" in failure.message


def test_an_entry_point_whose_hook_raises_is_recorded(
    site: SitePackages, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.install("hosttest-alpha", sink_plugin("alpha-sink"))
    site.install("hosttest-raises", (
        "from lfr_framework import hookimpl\n\n"
        "@hookimpl\n"
        "def register_detectors(register):\n"
        "    raise OSError('no GPU')\n"
    ))
    monkeypatch.setenv("LFR_PLUGINS", "hosttest-alpha,hosttest-raises")

    host = PluginHost()

    assert list(host.plugin_names()) == ["hosttest-alpha"]
    [failure] = host.failures
    assert failure.name == "hosttest-raises"
    assert "register_detectors raised OSError: no GPU" in failure.message


def test_an_entry_point_with_a_wrong_hook_argument_does_not_stop_the_others(
    site: SitePackages, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.install("hosttest-alpha", (
        "from lfr_framework import hookimpl\n\n"
        "@hookimpl\n"
        "def register_alert_sinks(reg):\n"
        "    pass\n"
    ))
    site.install("hosttest-beta", sink_plugin("beta-sink"))
    monkeypatch.setenv("LFR_PLUGINS", "hosttest-alpha,hosttest-beta")

    host = PluginHost()

    assert list(host.plugin_names()) == ["hosttest-beta"]
    assert [f.name for f in host.failures] == ["hosttest-alpha"]


# --- helpers -------------------------------------------------------------------------


def _write_module(tmp_path: Path, stem: str, source: str) -> Any:
    import importlib.util

    path = tmp_path / f"{stem}_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
