"""Plugin discovery and the typed facade the rest of the core calls instead of ``pm.hook``."""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, cast

import pluggy
import pydantic

from lfr_framework import hookspecs
from lfr_framework.errors import PluginError
from lfr_framework.events import (
    BiometricDataDeleted,
    DecisionRecorded,
    DeploymentStateChanged,
    HoldChanged,
)
from lfr_framework.interfaces import (
    AlertSink,
    CameraSource,
    Detector,
    Matcher,
    Recogniser,
    RetentionPolicy,
)
from lfr_framework.model_spec import CalibrationSpec, ModelSpec
from lfr_framework.models.store import ModelStore
from lfr_framework.registry import ComponentRegistry, Registration
from lfr_framework.types import Alert

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "lfr"
#: The notification hooks, in the order ``lfr plugins list`` shows them.
EVENT_HOOKS = ("alert_raised", "decision_recorded", "biometric_data_deleted", "hold_changed",
               "deployment_state_changed")


def _split_env(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {item.strip() for item in value.split(",") if item.strip()}


@dataclass(slots=True)
class PluginInfo:
    """What ``lfr plugins list`` shows about one loaded plugin."""

    name: str
    distribution: str
    version: str
    registers: dict[str, list[str]] = field(default_factory=dict)
    #: The event hooks the plugin implements (``alert_raised``, ``decision_recorded``, …).
    listens: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PluginLoadFailure:
    """A plugin that could not be loaded, and why."""

    name: str
    distribution: str
    message: str


class PluginHost:
    """Owns the pluggy manager, the component registries and the model declarations.

    Construct with ``load_entry_points=False`` in tests and register plugin modules
    explicitly with :meth:`register_plugin`, so a test never picks up whatever is installed.
    """

    def __init__(self, load_entry_points: bool = True) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self.camera_sources: ComponentRegistry[CameraSource] = ComponentRegistry("camera_sources")
        self.detectors: ComponentRegistry[Detector] = ComponentRegistry("detectors")
        self.recognisers: ComponentRegistry[Recogniser] = ComponentRegistry("recognisers")
        self.matchers: ComponentRegistry[Matcher] = ComponentRegistry("matchers")
        self.alert_sinks: ComponentRegistry[AlertSink] = ComponentRegistry("alert_sinks")
        self.retention_policies: ComponentRegistry[RetentionPolicy] = ComponentRegistry(
            "retention_policies"
        )
        self.model_specs: list[ModelSpec] = []
        self._model_owner: dict[str, str] = {}
        self.calibration_specs: list[CalibrationSpec] = []
        self._calibration_owner: dict[str, str] = {}
        self.plugins: dict[str, PluginInfo] = {}
        self.failures: list[PluginLoadFailure] = []
        if load_entry_points:
            self.load_entry_points()

    # -- loading --------------------------------------------------------------

    def load_entry_points(self) -> None:
        """Load every plugin of the ``lfr`` entry-point group allowed by the environment.

        ``LFR_PLUGINS`` (comma-separated names) is an allow-list, ``LFR_DISABLE_PLUGINS``
        a block-list. A plugin that fails is recorded in :attr:`failures` with one clear
        message and logged once; the others still load.
        """
        allow = _split_env("LFR_PLUGINS")
        block = _split_env("LFR_DISABLE_PLUGINS") or set()
        entry_points = sorted(
            importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name
        )
        for ep in entry_points:
            if (allow is not None and ep.name not in allow) or ep.name in block:
                continue
            dist_name = ep.dist.name if ep.dist is not None else "unknown distribution"
            version = ep.dist.version if ep.dist is not None else "?"
            try:
                module = ep.load()
            except Exception as exc:
                self._fail(ep.name, dist_name, f"failed to import {ep.value}: "
                           f"{type(exc).__name__}: {exc}")
                continue
            try:
                self.register_plugin(module, name=ep.name, distribution=dist_name, version=version)
            except PluginError as exc:
                self._fail(ep.name, dist_name, str(exc))

    def _fail(self, name: str, distribution: str, message: str) -> None:
        failure = PluginLoadFailure(name, distribution, message)
        self.failures.append(failure)
        log.error("plugin %r from distribution %r not loaded: %s", name, distribution, message)

    def register_plugin(
        self,
        plugin: ModuleType | object,
        *,
        name: str,
        distribution: str = "(registered directly)",
        version: str = "",
    ) -> PluginInfo:
        """Register one plugin object and collect what it registers.

        All of a plugin's registrations are checked before any is kept, so a plugin that
        registers a duplicate name is rejected whole with a ``PluginError`` naming it.
        """
        where = f"plugin {name!r} (distribution {distribution!r})"
        if name in self.plugins:
            raise PluginError(f"a plugin called {name!r} is already registered")
        if self._pm.is_registered(plugin):
            raise PluginError(f"{where}: this plugin object is already registered under "
                              f"another name")
        try:
            self._pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginError(f"{where} is not valid: {_one_line(exc)}") from None
        try:
            self._pm.check_pending()
            info = self._collect(plugin, name, distribution, version)
        except PluginError as exc:
            self._pm.unregister(plugin, name=name)
            raise PluginError(f"{where}: {exc}") from None
        except pluggy.PluginValidationError as exc:
            self._pm.unregister(plugin, name=name)
            raise PluginError(f"{where} is not valid: {_one_line(exc)}") from None
        self.plugins[name] = info
        return info

    def _collect(self, plugin: object, name: str, distribution: str, version: str) -> PluginInfo:
        info = PluginInfo(name=name, distribution=distribution, version=version)
        pending: list[tuple[ComponentRegistry[Any], Registration]] = []
        registries: list[tuple[str, ComponentRegistry[Any]]] = [
            ("register_camera_sources", self.camera_sources),
            ("register_detectors", self.detectors),
            ("register_recognisers", self.recognisers),
            ("register_matchers", self.matchers),
            ("register_alert_sinks", self.alert_sinks),
            ("register_retention_policies", self.retention_policies),
        ]
        for hook_name, registry in registries:
            # Call this plugin's own implementation, so every registration is attributed to it.
            impl = _hookimpl(plugin, hook_name)
            if impl is None:
                continue
            names_seen: set[str] = set()

            def register(
                component_name: str,
                factory: Callable[..., Any],
                options: type[pydantic.BaseModel] | None = None,
                *,
                _registry: ComponentRegistry[Any] = registry,
                _seen: set[str] = names_seen,
            ) -> None:
                _check_registration(_registry, component_name, factory, options)
                if component_name in _seen:
                    raise PluginError(
                        f"registers {_registry.singular} {component_name!r} twice"
                    )
                _seen.add(component_name)
                pending.append((_registry, Registration(
                    _registry.kind, component_name, factory, options, name)))

            self._call_plugin_hook(impl, name, hook_name, register)
        models: list[ModelSpec] = []
        model_impl = _hookimpl(plugin, "register_models")
        if model_impl is not None:
            self._call_plugin_hook(model_impl, name, "register_models", models.append)
        declared: set[str] = set()
        for spec in models:
            if not isinstance(spec, ModelSpec):
                raise PluginError(f"register_models was given {type(spec).__name__}, "
                                  f"not a ModelSpec")
            if spec.model_id in declared:
                raise PluginError(f"declares model {spec.model_id!r} twice")
            declared.add(spec.model_id)
            owner = self._model_owner.get(spec.model_id)
            if owner is not None:
                raise PluginError(
                    f"declares model {spec.model_id!r}, which plugin {owner!r} already declared"
                )
        calibrations = self._collect_calibrations(plugin)
        for registry, registration in pending:
            existing = registry.names()
            if registration.name in existing:
                other = registry.get(registration.name).plugin
                raise PluginError(
                    f"registers {registry.singular} {registration.name!r}, "
                    f"which plugin {other!r} already registered"
                )
        for registry, registration in pending:
            registry.add(registration)
            info.registers.setdefault(registry.kind, []).append(registration.name)
        for spec in models:
            self.model_specs.append(spec)
            self._model_owner[spec.model_id] = name
            info.registers.setdefault("models", []).append(spec.model_id)
        for calibration in calibrations:
            self.calibration_specs.append(calibration)
            self._calibration_owner[calibration.model_id] = name
            info.registers.setdefault("calibrations", []).append(calibration.model_id)
        info.listens = [hook for hook in EVENT_HOOKS if _hookimpl(plugin, hook) is not None]
        return info

    def _collect_calibrations(self, plugin: object) -> list[CalibrationSpec]:
        found: list[CalibrationSpec] = []
        impl = _hookimpl(plugin, "register_calibrations")
        if impl is not None:
            self._call_plugin_hook(impl, "", "register_calibrations", found.append)
        seen: set[str] = set()
        for spec in found:
            if not isinstance(spec, CalibrationSpec):
                raise PluginError(f"register_calibrations was given {type(spec).__name__}, "
                                  "not a CalibrationSpec")
            owner = self._calibration_owner.get(spec.model_id)
            if spec.model_id in seen or owner is not None:
                by = f"plugin {owner!r}" if owner else "itself"
                raise PluginError(f"declares a calibration of model {spec.model_id!r}, which "
                                  f"{by} already declared")
            seen.add(spec.model_id)
        return found

    @staticmethod
    def _call_plugin_hook(
        impl: Callable[..., Any], plugin: str, hook: str, register: Callable[..., Any]
    ) -> None:
        try:
            impl(register)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"{hook} raised {type(exc).__name__}: {exc}") from exc

    # -- facade ---------------------------------------------------------------

    def model_store(self, home: Any = None) -> ModelStore:
        """A model store over every model the loaded plugins declare."""
        return ModelStore(self.model_specs, home=home)

    def calibration_spec(self, model_id: str) -> CalibrationSpec | None:
        """The calibration a plugin declares for ``model_id``, if any."""
        return next((c for c in self.calibration_specs if c.model_id == model_id), None)

    def describe(self) -> list[PluginInfo]:
        """The loaded plugins, sorted by name."""
        return [self.plugins[n] for n in sorted(self.plugins)]

    def alert_raised(self, alert: Alert) -> None:
        """Tell every listening plugin that an alert was raised."""
        self._notify("alert_raised", alert=alert)

    def decision_recorded(self, event: DecisionRecorded) -> None:
        """Tell every listening plugin that a decision was recorded or amended."""
        self._notify("decision_recorded", event=event)

    def biometric_data_deleted(self, event: BiometricDataDeleted) -> None:
        """Tell every listening plugin that an item of biometric data was deleted."""
        self._notify("biometric_data_deleted", event=event)

    def hold_changed(self, event: HoldChanged) -> None:
        """Tell every listening plugin that a hold was placed or released."""
        self._notify("hold_changed", event=event)

    def deployment_state_changed(self, event: DeploymentStateChanged) -> None:
        """Tell every listening plugin that a deployment changed state."""
        self._notify("deployment_state_changed", event=event)

    def _notify(self, hook_name: str, **kwargs: Any) -> None:
        # Each listener is called on its own, so one that raises cannot keep the event
        # from the others (a compliance log must not miss a deletion because of a
        # third-party integration). The failure is logged with the plugin's name.
        hook = getattr(self._pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except Exception as exc:
                log.error("plugin %r raised %s in %s: %s; the other listeners were still "
                          "called", impl.plugin_name, type(exc).__name__, hook_name, exc)

    def plugin_names(self) -> Iterable[str]:
        """Names of the registered plugins."""
        return sorted(self.plugins)


def _hookimpl(plugin: object, hook_name: str) -> Callable[..., Any] | None:
    """The plugin's implementation of ``hook_name`` if it is marked with ``@hookimpl``."""
    impl = getattr(plugin, hook_name, None)
    if impl is None or getattr(impl, f"{hookspecs.PROJECT_NAME}_impl", None) is None:
        return None
    if not callable(impl):
        return None
    return cast(Callable[..., Any], impl)


def _check_registration(
    registry: ComponentRegistry[Any], name: object, factory: object, options: object
) -> None:
    if not isinstance(name, str) or not name.strip():
        raise PluginError(f"registers a {registry.singular} with an empty or non-text name "
                          f"({name!r})")
    if not callable(factory):
        raise PluginError(f"registers {registry.singular} {name!r} with a factory that is "
                          f"not callable ({type(factory).__name__})")
    if options is not None and not (
        isinstance(options, type) and issubclass(options, pydantic.BaseModel)
    ):
        raise PluginError(f"registers {registry.singular} {name!r} with options that are "
                          f"not a pydantic model class ({options!r})")


def _one_line(exc: BaseException) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
