"""The ``compliance`` plugin loaded by entry point: module-level hooks over one recorder.

The service calls :func:`configure` with a store over its own database; left alone (a
standalone ``lfr run`` or ``lfr demo``), an event opens ``LFR_DATABASE_URL`` (default
``sqlite:///$LFR_HOME/lfr.db``, created 0600) and creates the ``compliance_*`` tables there
if they are missing — **unless that database is a service's** (it has the service's schema):
then nothing is written and a warning says so once. Only the service itself, for its own
deployments, writes into a service's compliance log.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from pathlib import Path

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
from lfr_framework.private_files import private_file
from lfr_framework.types import Alert

log = logging.getLogger(__name__)
_lock = threading.Lock()
_recorder: ComplianceRecorder | None = None
#: Standalone recorders by database URL (the URL is read at each event).
_standalone: dict[str, ComplianceRecorder | None] = {}
#: A table only the service's schema has: a database holding it is a service's.
SERVICE_MARKER_TABLES = frozenset({"alembic_version", "deployments"})


def configure(store: ComplianceStore, bucket: timedelta = timedelta(minutes=15)
              ) -> ComplianceRecorder:
    """Make the module's hooks write to ``store``; returns the recorder."""
    global _recorder
    with _lock:
        _recorder = ComplianceRecorder(store, bucket)
        return _recorder


def _standalone_recorder(url: str) -> ComplianceRecorder | None:
    """A recorder over ``url``; ``None`` when ``url`` is a service's database."""
    import sqlalchemy as sa

    if url.startswith("sqlite:///"):
        private_file(Path(url.removeprefix("sqlite:///").split("?", 1)[0]))
    engine = sa.create_engine(url)
    if set(sa.inspect(engine).get_table_names()) >= SERVICE_MARKER_TABLES:
        engine.dispose()
        log.warning("not writing compliance records into %s: it is an LFR service's "
                    "database (run standalone tools with their own LFR_HOME or "
                    "LFR_DATABASE_URL)", engine.url.render_as_string(hide_password=True))
        return None
    return ComplianceRecorder(SqlComplianceStore(engine))


def recorder() -> ComplianceRecorder | None:
    """The configured recorder, else one over ``LFR_DATABASE_URL`` (``None``: that is a
    service's database, which standalone runs never write into)."""
    with _lock:
        if _recorder is not None:
            return _recorder
        url = os.environ.get("LFR_DATABASE_URL") or f"sqlite:///{default_home() / 'lfr.db'}"
        if url not in _standalone:
            _standalone[url] = _standalone_recorder(url)
        return _standalone[url]


def reset() -> None:
    """Forget the recorders (tests, or after the database URL changed)."""
    global _recorder
    with _lock:
        _recorder = None
        _standalone.clear()


@hookimpl
def biometric_data_deleted(event: BiometricDataDeleted) -> None:
    """Log the deletion."""
    if (found := recorder()) is not None:
        found.biometric_data_deleted(event)


@hookimpl
def hold_changed(event: HoldChanged) -> None:
    """Log the hold placement or release."""
    if (found := recorder()) is not None:
        found.hold_changed(event)


@hookimpl
def alert_raised(alert: Alert) -> None:
    """Log the alert's facts."""
    if (found := recorder()) is not None:
        found.alert_raised(alert)


@hookimpl
def decision_recorded(event: DecisionRecorded) -> None:
    """Log the decision."""
    if (found := recorder()) is not None:
        found.decision_recorded(event)


@hookimpl
def deployment_state_changed(event: DeploymentStateChanged) -> None:
    """Log the deployment's state change."""
    if (found := recorder()) is not None:
        found.deployment_state_changed(event)
