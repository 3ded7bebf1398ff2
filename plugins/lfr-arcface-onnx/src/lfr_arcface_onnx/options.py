"""The options a deployment file may give the ``arcface_onnx`` recogniser."""

from __future__ import annotations

import onnxruntime
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lfr_arcface_onnx.models import DEFAULT_MODEL_ID, RECOGNISER_MODELS
from lfr_arcface_onnx.runtimes import CPU_ONLY, RuntimeChoice


class ArcFaceOnnxOptions(BaseModel):
    """Validated at start-up; an unknown key or a bad value stops the deployment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Which recogniser model to run (see ``lfr models list``).
    model: str = DEFAULT_MODEL_ID
    #: Overrides the model's own default cosine threshold.
    threshold: float | None = Field(default=None, gt=0.0, lt=1.0)
    #: Threads inside one operator; ``None`` lets the runtime choose. On OpenCV DNN this
    #: sets OpenCV's thread count, which is process-wide.
    intra_op_threads: int | None = Field(default=None, ge=1, le=256)
    #: ONNX Runtime threads across operators; ``None`` lets ONNX Runtime choose.
    inter_op_threads: int | None = Field(default=None, ge=1, le=256)
    #: ONNX Runtime execution providers, in order of preference (any but the CPU's alone
    #: makes ``runtime = "auto"`` choose ONNX Runtime).
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    #: The most faces embedded in one model run.
    max_batch: int = Field(default=32, ge=1, le=1024)
    #: Fold block-quantised weights to float32 at load (faster; same results).
    fold_weights: bool = True
    #: What runs the graph: ``auto`` (OpenCV DNN on the CPU, measured fastest with the same
    #: templates; ONNX Runtime when other providers are asked for or OpenCV cannot run the
    #: model), ``opencv`` or ``onnxruntime``.
    runtime: RuntimeChoice = "auto"
    #: On ONNX Runtime, rewrite constant-slope PRelu as Relu(x) + slope * Min(x, 0) at load
    #: (the same numbers, 1.3-1.9x faster there).
    rewrite_prelu: bool = True

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

    @model_validator(mode="after")
    def _options_of_the_runtime(self) -> ArcFaceOnnxOptions:
        if self.runtime == "opencv":
            if self.providers != CPU_ONLY:
                raise ValueError("providers apply to runtime 'onnxruntime' only; with runtime "
                                 "'opencv' leave them out")
            if self.inter_op_threads is not None:
                raise ValueError("inter_op_threads applies to runtime 'onnxruntime' only; "
                                 "with runtime 'opencv' leave it out")
        return self
