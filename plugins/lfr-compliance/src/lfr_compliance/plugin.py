"""The ``compliance`` plugin loaded by entry point: module-level hooks over one recorder.

The service calls :func:`configure` with a store over its own database; left alone, the
first event opens ``LFR_DATABASE_URL`` (default ``sqlite:///$LFR_HOME/lfr.db``) and creates
the ``compliance_*`` tables there if they are missing.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta

from lfr_compliance.recorder import ComplianceRecorder
from lfr_compliance.store import ComplianceStore, SqlComplianceStore
from lfr_framework import hookimpl
from lfr_framework.events import (
    BiometricDataDeleted,
    DecisionRecorded,
    DeploymentStateChanged,
    HoldChanged,
)
from lfr_framework.models.store import default_home
from lfr_framework.types import Alert

_lock = threading.Lock()
_recorder: ComplianceRecorder | None = None


def configure(store: ComplianceStore, bucket: timedelta = timedelta(minutes=15)
              ) -> ComplianceRecorder:
    """Make the module's hooks write to ``store``; returns the recorder."""
    global _recorder
    with _lock:
        _recorder = ComplianceRecorder(store, bucket)
        return _recorder


def recorder() -> ComplianceRecorder:
    """The configured recorder, or one over ``LFR_DATABASE_URL`` created on first use."""
    global _recorder
    with _lock:
        if _recorder is None:
            import sqlalchemy as sa

            url = os.environ.get("LFR_DATABASE_URL") or (
                f"sqlite:///{default_home() / 'lfr.db'}")
            if url.startswith("sqlite:///"):
                default_home().mkdir(parents=True, exist_ok=True)
            _recorder = ComplianceRecorder(SqlComplianceStore(sa.create_engine(url)))
        return _recorder


def reset() -> None:
    """Forget the recorder (tests, or after the database URL changed)."""
    global _recorder
    with _lock:
        _recorder = None


@hookimpl
def biometric_data_deleted(event: BiometricDataDeleted) -> None:
    """Log the deletion."""
    recorder().biometric_data_deleted(event)


@hookimpl
def hold_changed(event: HoldChanged) -> None:
    """Log the hold placement or release."""
    recorder().hold_changed(event)


@hookimpl
def alert_raised(alert: Alert) -> None:
    """Log the alert's facts."""
    recorder().alert_raised(alert)


@hookimpl
def decision_recorded(event: DecisionRecorded) -> None:
    """Log the decision."""
    recorder().decision_recorded(event)


@hookimpl
def deployment_state_changed(event: DeploymentStateChanged) -> None:
    """Log the deployment's state change."""
    recorder().deployment_state_changed(event)
