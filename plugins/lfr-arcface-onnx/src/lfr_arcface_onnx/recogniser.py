"""The ``arcface_onnx`` recogniser: aligned 112x112 crops in, unit-length templates out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort

from lfr_arcface_onnx.alignment import align_face
from lfr_arcface_onnx.graph import prepare_graph
from lfr_arcface_onnx.models import DEFAULT_MODEL_ID, RECOGNISER_MODELS, RecogniserModel
from lfr_framework.errors import ModelError
from lfr_framework.models.store import ModelStore
from lfr_framework.types import Detection, Image, Templates

log = logging.getLogger(__name__)


class ArcFaceOnnxRecogniser:
    """Runs one recogniser model with ONNX Runtime; implements the core ``Recogniser``."""

    def __init__(
        self,
        model: RecogniserModel,
        path: Path,
        *,
        threshold: float | None = None,
        intra_op_threads: int | None = None,
        inter_op_threads: int | None = None,
        providers: Sequence[str] = ("CPUExecutionProvider",),
        max_batch: int = 32,
        fold_weights: bool = True,
    ) -> None:
        self.model_id = model.model_id
        self.dimension = model.dimension
        self.default_threshold = model.default_threshold if threshold is None else threshold
        self._model = model
        options = ort.SessionOptions()
        # Without this, idle intra-op threads busy-wait; on a 2-core camera node they then
        # compete with decoding and detection (measured: 17.9 → 12.1 ms per face idle,
        # 26.7 → 11.5 ms with a background thread; see docs/performance.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if intra_op_threads is not None:
            options.intra_op_num_threads = intra_op_threads
        if inter_op_threads is not None:
            options.inter_op_num_threads = inter_op_threads
        try:
            graph = prepare_graph(onnx.load(str(path)), fold_weights=fold_weights)
            self._session = ort.InferenceSession(
                graph.SerializeToString(), options, providers=list(providers)
            )
        except Exception as exc:  # onnx and onnxruntime raise their own untyped errors
            raise ModelError(
                f"cannot load model {self.model_id!r} from {path}: {type(exc).__name__}: {exc}"
            ) from exc
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            names = ", ".join(i.name for i in inputs)
            raise ModelError(f"model {self.model_id!r} needs one image input; it has: {names}")
        self._input = inputs[0].name
        self._max_batch = self._probe_batch(max_batch)
        log.info("loaded recogniser model %s (%d-d, up to %d faces a run, providers %s)",
                 self.model_id, self.dimension, self._max_batch,
                 ",".join(self._session.get_providers()))

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
        out: npt.NDArray[np.float32] = np.asarray(
            self._session.run(None, {self._input: batch})[0], np.float32
        )
        return out.reshape(len(batch), -1)

    def _probe_batch(self, max_batch: int) -> int:
        """Check the output size, and whether the graph really takes more than one face."""
        w, h = self._model.preprocessing.input_size
        for batch in sorted({min(2, max_batch), 1}, reverse=True):
            probe = np.zeros((batch, 3, h, w), np.float32)
            try:
                out = np.asarray(self._session.run(None, {self._input: probe})[0])
            except Exception:  # a graph that hard-codes batch 1 fails here: loop instead
                if batch == 1:
                    raise
                log.info("model %s takes one face a run", self.model_id)
                continue
            if out.size != batch * self.dimension:
                raise ModelError(
                    f"model {self.model_id!r} gives {out.size // batch} values per face; "
                    f"its declaration says {self.dimension}"
                )
            return max_batch if batch > 1 else 1
        return 1  # pragma: no cover - the loop always returns or raises


def create_recogniser(
    models: ModelStore,
    model: str = DEFAULT_MODEL_ID,
    threshold: float | None = None,
    intra_op_threads: int | None = None,
    inter_op_threads: int | None = None,
    providers: Sequence[str] = ("CPUExecutionProvider",),
    max_batch: int = 32,
    fold_weights: bool = True,
) -> ArcFaceOnnxRecogniser:
    """Factory the core calls with the model store and the validated options."""
    spec = RECOGNISER_MODELS.get(model)
    if spec is None:
        raise ModelError(f"unknown recogniser model {model!r}; known: "
                         + ", ".join(sorted(RECOGNISER_MODELS)))
    return ArcFaceOnnxRecogniser(
        spec, models.path(model), threshold=threshold, intra_op_threads=intra_op_threads,
        inter_op_threads=inter_op_threads, providers=providers, max_batch=max_batch,
        fold_weights=fold_weights,
    )
