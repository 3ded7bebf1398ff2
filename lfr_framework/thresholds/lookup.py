"""Which calibration a recogniser's threshold comes from, checked against its model file.

In order: a file the deployment names; one made by ``lfr calibrate --install`` under
``$LFR_HOME/calibrations/<model id>.json`` (a force's own photos); the one the recogniser's
plugin ships (``register_calibrations``). Each is refused when it was made for another model
id or another model file (sha256).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lfr_framework.errors import ModelError
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost
from lfr_framework.thresholds.calibration import Calibration


@dataclass(frozen=True, slots=True)
class FoundCalibration:
    """A loaded calibration and where it came from (a path, for messages and the report)."""

    calibration: Calibration
    source: str


def installed_path(store: ModelStore, model_id: str) -> Path:
    """Where ``lfr calibrate --install`` puts a force's own calibration of ``model_id``."""
    return store.root.parent / "calibrations" / f"{model_id}.json"


def find_calibration(host: PluginHost, store: ModelStore, model_id: str,
                     explicit: Path | None = None) -> FoundCalibration | None:
    """The calibration of ``model_id`` (``None`` when there is none); ``CalibrationError``
    when the one found is malformed or for another model."""
    try:
        sha256 = store.spec(model_id).sha256
    except ModelError:
        sha256 = ""  # a model no plugin declares cannot be checked, so none can match
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(explicit)
    else:
        local = installed_path(store, model_id)
        if local.is_file():
            candidates.append(local)
        shipped = host.calibration_spec(model_id)
        if shipped is not None:
            candidates.append(shipped.path)
    if not candidates:
        return None
    path = candidates[0]
    calibration = Calibration.load(path)
    calibration.check_model(model_id, sha256, str(path))
    return FoundCalibration(calibration, str(path))
