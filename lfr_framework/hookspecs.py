"""Every hook of the ``lfr`` project, in one module.

Registry hooks hand the plugin a ``register`` callable; the core decides what a
duplicate name means (an error that names both plugins). Event hooks are
notifications: every implementation is called, return values are ignored.
See docs/plugins.md for a worked example of each hook.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from lfr_framework.events import (
    BiometricDataDeleted,
    DecisionRecorded,
    DeploymentStateChanged,
    HoldChanged,
)
from lfr_framework.model_spec import CalibrationSpec, ModelSpec
from lfr_framework.types import Alert

PROJECT_NAME = "lfr"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: ``register(name, factory, options=None)``: ``factory(**options)`` builds the component;
#: ``options`` is an optional pydantic model that validates the options at start-up.
ComponentRegister = Callable[..., None]
#: ``register(spec)`` declares one model artifact.
ModelRegister = Callable[[ModelSpec], None]
#: ``register(spec)`` declares one score calibration of a recogniser model.
CalibrationRegister = Callable[[CalibrationSpec], None]


# --- Registries -----------------------------------------------------------------


@hookspec
def register_camera_sources(register: ComponentRegister) -> None:
    """Register camera source factories: ``register(name, factory, options=Model)``.

    ``factory(camera_id: str, uri: str, **options)`` returns a ``CameraSource``.
    """


@hookspec
def register_detectors(register: ComponentRegister) -> None:
    """Register face detector factories: ``register(name, factory, options=Model)``.

    ``factory(models: ModelStore, **options)`` returns a ``Detector``.
    """


@hookspec
def register_recognisers(register: ComponentRegister) -> None:
    """Register recogniser factories: ``register(name, factory, options=Model)``.

    ``factory(models: ModelStore, **options)`` returns a ``Recogniser``.
    """


@hookspec
def register_matchers(register: ComponentRegister) -> None:
    """Register matcher factories: ``register(name, factory, options=Model)``.

    ``factory(dimension: int, **options)`` returns an empty ``Matcher``.
    """


@hookspec
def register_alert_sinks(register: ComponentRegister) -> None:
    """Register alert sink factories: ``register(name, factory, options=Model)``.

    ``factory(**options)`` returns an ``AlertSink``.
    """


@hookspec
def register_retention_policies(register: ComponentRegister) -> None:
    """Register retention policy factories: ``register(name, factory, options=Model)``.

    ``factory(**options)`` returns a ``RetentionPolicy``.
    """


@hookspec
def register_models(register: ModelRegister) -> None:
    """Declare the model artifacts this plugin needs: ``register(ModelSpec(...))``."""


@hookspec
def register_calibrations(register: CalibrationRegister) -> None:
    """Declare score calibrations of recogniser models: ``register(CalibrationSpec(...))``.

    A deployment's threshold follows from its recogniser's calibration and the watchlist's
    size (docs/evaluation.md); a plugin ships one per model it declares.
    """


# --- Events ---------------------------------------------------------------------


@hookspec
def alert_raised(alert: Alert) -> None:
    """Called once for every alert after it is raised, before the sinks deliver it."""


@hookspec
def decision_recorded(event: DecisionRecorded) -> None:
    """Called when an officer records, or a supervisor amends, a decision on an alert."""


@hookspec
def biometric_data_deleted(event: BiometricDataDeleted) -> None:
    """Called once for every item of biometric data the retention engine deletes."""


@hookspec
def hold_changed(event: HoldChanged) -> None:
    """Called when a hold is placed on or released from an item."""


@hookspec
def deployment_state_changed(event: DeploymentStateChanged) -> None:
    """Called when a deployment moves to another lifecycle state."""


