"""The ``mediapipe`` plugin: BlazeFace models and the ``mediapipe`` face detector."""

from __future__ import annotations

from typing import Any

import pydantic

from lfr_framework import hookimpl
from lfr_framework.errors import ConfigurationError
from lfr_framework.hookspecs import ComponentRegister, ModelRegister
from lfr_framework.models.store import ModelStore
from lfr_mediapipe.detector import MediaPipeFaceDetector
from lfr_mediapipe.models import MODEL_SPECS
from lfr_mediapipe.options import MediaPipeOptions


def create_detector(models: ModelStore, **options: Any) -> MediaPipeFaceDetector:
    """Build the ``mediapipe`` detector from its options (see :class:`MediaPipeOptions`)."""
    try:
        validated = MediaPipeOptions.model_validate(options)
    except pydantic.ValidationError as exc:
        raise ConfigurationError(f"invalid options for detector 'mediapipe': {exc}") from None
    return MediaPipeFaceDetector(models, validated)


@hookimpl
def register_models(register: ModelRegister) -> None:
    """Declare the BlazeFace models."""
    for spec in MODEL_SPECS:
        register(spec)


@hookimpl
def register_detectors(register: ComponentRegister) -> None:
    """Register the ``mediapipe`` detector."""
    register("mediapipe", create_detector, options=MediaPipeOptions)
