"""The ``arcface_onnx`` recogniser: aligned 112x112 crops in, unit-length templates out."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx

from lfr_arcface_onnx.alignment import align_face
from lfr_arcface_onnx.graph import prepare_graph
from lfr_arcface_onnx.models import DEFAULT_MODEL_ID, RECOGNISER_MODELS, RecogniserModel
from lfr_arcface_onnx.runtimes import (
    CPU_ONLY,
    RUNTIMES,
    ModelRuntime,
    OnnxRuntimeEngine,
    OpenCvDnnEngine,
    RuntimeChoice,
    RuntimeName,
    quiet_opencv,
)
from lfr_framework.errors import ModelError
from lfr_framework.models.store import ModelStore
from lfr_framework.types import Detection, Image, Templates

log = logging.getLogger(__name__)


class ArcFaceOnnxRecogniser:
    """Runs one recogniser model on OpenCV DNN or ONNX Runtime; implements the core
    ``Recogniser``."""

    def __init__(
        self,
        model: RecogniserModel,
        path: Path,
        *,
        threshold: float | None = None,
        intra_op_threads: int | None = None,
        inter_op_threads: int | None = None,
        providers: Sequence[str] = CPU_ONLY,
        max_batch: int = 32,
        fold_weights: bool = True,
        runtime: RuntimeChoice = "auto",
        rewrite_prelu: bool = True,
    ) -> None:
        self.model_id = model.model_id
        self.dimension = model.dimension
        self.default_threshold = model.default_threshold if threshold is None else threshold
        self._model = model
        try:
            published = onnx.load(str(path))
        except Exception as exc:  # onnx raises its own untyped errors
            raise ModelError(f"cannot load model {self.model_id!r} from {path}: "
                             f"{type(exc).__name__}: {exc}") from exc
        choices = _runtime_order(runtime, providers)
        failures: list[str] = []
        for choice in choices:
            try:
                graph = onnx.ModelProto()
                graph.CopyFrom(published)
                graph = prepare_graph(graph, fold_weights=fold_weights,
                                      rewrite_prelu=rewrite_prelu and choice == "onnxruntime")
                with quiet_opencv() if choice == "opencv" else contextlib.nullcontext():
                    engine: ModelRuntime = (
                        OpenCvDnnEngine(graph.SerializeToString(), threads=intra_op_threads)
                        if choice == "opencv" else
                        OnnxRuntimeEngine(graph.SerializeToString(),
                                          intra_op_threads=intra_op_threads,
                                          inter_op_threads=inter_op_threads,
                                          providers=providers))
                    self._runtime = engine
                    self._max_batch = self._probe_batch(max_batch)
                break
            except ModelError:
                raise
            except Exception as exc:  # onnx, OpenCV and onnxruntime raise untyped errors
                failures.append(f"{choice}: {type(exc).__name__}: {exc}")
                if len(choices) > 1 and choice != choices[-1]:
                    log.warning("recogniser model %s does not run on %s (%s); trying %s",
                                self.model_id, choice, type(exc).__name__, choices[-1])
        else:
            raise ModelError(f"cannot load model {self.model_id!r} from {path}: "
                             + "; ".join(failures))
        log.info("loaded recogniser model %s (%d-d, up to %d faces a run, %s)",
                 self.model_id, self.dimension, self._max_batch, self._runtime.describe())

    @property
    def runtime(self) -> str:
        """Which runtime runs the graph: ``"opencv"`` or ``"onnxruntime"``."""
        return self._runtime.name

    @property
    def max_batch(self) -> int:
        """The most faces one model run takes (1 when the graph's batch cannot be freed)."""
        return self._max_batch

    def align(self, image: Image, detection: Detection) -> Image:
        """The face of ``detection`` warped to the model's 112x112 template (BGR)."""
        return align_face(image, detection, self._model.preprocessing.input_size)

    def embed(self, crops: Sequence[Image]) -> Templates:
        """One L2-normalised ``float32`` template per aligned crop, in batches."""
        if len(crops) == 0:
            return np.empty((0, self.dimension), np.float32)
        tensor = self._model.preprocessing.to_tensor(crops)
        parts = [self._run(tensor[i:i + self._max_batch])
                 for i in range(0, len(tensor), self._max_batch)]
        raw = np.concatenate(parts) if len(parts) > 1 else parts[0]
        norms = np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
        templates: Templates = (raw / norms).astype(np.float32)
        return templates

    def _run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return self._runtime.run(batch).reshape(len(batch), -1)

    def _probe_batch(self, max_batch: int) -> int:
        """Check the output size, and whether the graph really takes more than one face."""
        w, h = self._model.preprocessing.input_size
        one = self._runtime.run(np.zeros((1, 3, h, w), np.float32))
        if one.size != self.dimension:
            raise ModelError(
                f"model {self.model_id!r} gives {one.size} values per face; "
                f"its declaration says {self.dimension}"
            )
        if max_batch == 1:
            return 1
        try:
            two = self._runtime.run(np.zeros((2, 3, h, w), np.float32))
        except Exception:  # a graph that hard-codes batch 1 fails here: loop instead
            two = None
        if two is None or two.size != 2 * self.dimension:
            log.info("model %s takes one face a run", self.model_id)
            return 1
        return max_batch


def _runtime_order(runtime: RuntimeChoice, providers: Sequence[str]) -> tuple[RuntimeName, ...]:
    """The runtimes to try, in order: ``auto`` is OpenCV DNN (measured fastest on the
    CPU), then ONNX Runtime; with other execution providers asked for, ONNX Runtime."""
    if runtime != "auto":
        return (runtime,)
    if tuple(providers) != CPU_ONLY:
        return ("onnxruntime",)
    return RUNTIMES


def create_recogniser(
    models: ModelStore,
    model: str = DEFAULT_MODEL_ID,
    threshold: float | None = None,
    intra_op_threads: int | None = None,
    inter_op_threads: int | None = None,
    providers: Sequence[str] = CPU_ONLY,
    max_batch: int = 32,
    fold_weights: bool = True,
    runtime: RuntimeChoice = "auto",
    rewrite_prelu: bool = True,
) -> ArcFaceOnnxRecogniser:
    """Factory the core calls with the model store and the validated options."""
    spec = RECOGNISER_MODELS.get(model)
    if spec is None:
        raise ModelError(f"unknown recogniser model {model!r}; known: "
                         + ", ".join(sorted(RECOGNISER_MODELS)))
    return ArcFaceOnnxRecogniser(
        spec, models.path(model), threshold=threshold, intra_op_threads=intra_op_threads,
        inter_op_threads=inter_op_threads, providers=providers, max_batch=max_batch,
        fold_weights=fold_weights, runtime=runtime, rewrite_prelu=rewrite_prelu,
    )
