"""Hook implementations of the ``arcface_onnx`` plugin."""

from __future__ import annotations

from lfr_arcface_onnx.models import RECOGNISER_MODELS
from lfr_arcface_onnx.options import ArcFaceOnnxOptions
from lfr_arcface_onnx.recogniser import create_recogniser
from lfr_framework import hookimpl
from lfr_framework.hookspecs import ComponentRegister, ModelRegister


@hookimpl
def register_recognisers(register: ComponentRegister) -> None:
    """Register the ``arcface_onnx`` recogniser."""
    register("arcface_onnx", create_recogniser, options=ArcFaceOnnxOptions)


@hookimpl
def register_models(register: ModelRegister) -> None:
    """Declare SFace (fetched from a wheel) and the import-only InsightFace models."""
    for model in RECOGNISER_MODELS.values():
        register(model.spec)
