"""The options a deployment file may give the ``arcface_onnx`` recogniser."""

from __future__ import annotations

import onnxruntime
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lfr_arcface_onnx.models import DEFAULT_MODEL_ID, RECOGNISER_MODELS


class ArcFaceOnnxOptions(BaseModel):
    """Validated at start-up; an unknown key or a bad value stops the deployment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Which recogniser model to run (see ``lfr models list``).
    model: str = DEFAULT_MODEL_ID
    #: Overrides the model's own default cosine threshold.
    threshold: float | None = Field(default=None, gt=0.0, lt=1.0)
    #: ONNX Runtime threads inside one operator; ``None`` lets ONNX Runtime choose.
    intra_op_threads: int | None = Field(default=None, ge=1, le=256)
    #: ONNX Runtime threads across operators; ``None`` lets ONNX Runtime choose.
    inter_op_threads: int | None = Field(default=None, ge=1, le=256)
    #: Execution providers, in order of preference.
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    #: The most faces embedded in one model run.
    max_batch: int = Field(default=32, ge=1, le=1024)
    #: Fold block-quantised weights to float32 at load (faster; same results).
    fold_weights: bool = True

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in RECOGNISER_MODELS:
            known = ", ".join(sorted(RECOGNISER_MODELS))
            raise ValueError(f"unknown recogniser model {value!r}; known: {known}")
        return value

    @field_validator("providers")
    @classmethod
    def _available_providers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one execution provider")
        available = onnxruntime.get_available_providers()
        missing = [p for p in value if p not in available]
        if missing:
            raise ValueError(
                f"execution provider(s) {', '.join(missing)} not available in this "
                f"onnxruntime; available: {', '.join(available)}"
            )
        return value
