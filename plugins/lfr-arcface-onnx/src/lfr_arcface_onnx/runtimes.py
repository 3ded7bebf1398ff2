"""The inference runtimes a recogniser graph can run on: OpenCV DNN and ONNX Runtime.

Both take the graph prepared in memory (``graph.py``) as serialised bytes and run an NCHW
``float32`` batch. Which one is faster is measured, not assumed: on SFace, 2 cores, OpenCV
DNN 5.1 ran a face in 0.6-0.75x the time of ONNX Runtime 1.32 with the PRelu rewrite, with
the same templates (cosine >= 0.9999998; ``benchmarks/recogniser.py``, docs/performance.md).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

log = logging.getLogger(__name__)

RuntimeName = Literal["opencv", "onnxruntime"]
#: What a deployment may ask for: a runtime, or ``auto`` (OpenCV DNN, else ONNX Runtime).
RuntimeChoice = Literal["auto", "opencv", "onnxruntime"]
RUNTIMES: tuple[RuntimeName, ...] = ("opencv", "onnxruntime")
CPU_ONLY = ("CPUExecutionProvider",)


class ModelRuntime(Protocol):
    """One loaded graph: one image input in, the first output back, batch-first."""

    name: RuntimeName

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Run the graph on ``batch`` (N, 3, H, W); return its first output."""

    def describe(self) -> str:
        """What runs the graph, for the log (runtime, version, providers)."""


class OnnxRuntimeEngine:
    """ONNX Runtime, with spinning off (idle threads otherwise busy-wait on 2 cores)."""

    name: RuntimeName = "onnxruntime"

    def __init__(self, graph: bytes, *, intra_op_threads: int | None,
                 inter_op_threads: int | None, providers: Sequence[str]) -> None:
        options = ort.SessionOptions()
        # Without this, idle intra-op threads busy-wait; on a 2-core camera node they then
        # compete with decoding and detection (measured: 17.9 → 12.1 ms per face idle,
        # 26.7 → 11.5 ms with a background thread; see docs/performance.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if intra_op_threads is not None:
            options.intra_op_num_threads = intra_op_threads
        if inter_op_threads is not None:
            options.inter_op_num_threads = inter_op_threads
        self._session = ort.InferenceSession(graph, options, providers=list(providers))
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            names = ", ".join(i.name for i in inputs)
            raise ValueError(f"the graph needs one image input; it has: {names}")
        self._input = inputs[0].name
        self._version = ort.__version__

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """One ONNX Runtime session run."""
        out: npt.NDArray[np.float32] = np.asarray(
            self._session.run(None, {self._input: batch})[0], np.float32)
        return out

    def describe(self) -> str:
        """``onnxruntime <version> (<providers>)``."""
        return f"onnxruntime {self._version} ({','.join(self._session.get_providers())})"


class OpenCvDnnEngine:
    """OpenCV's DNN engine on the CPU (``cv2.dnn.readNetFromONNX`` of the bytes).

    A ``cv2.dnn.Net`` keeps its input and outputs inside, so one lock serialises runs.
    OpenCV's thread count is process-wide: ``threads`` sets it for every OpenCV call.
    """

    name: RuntimeName = "opencv"

    def __init__(self, graph: bytes, *, threads: int | None) -> None:
        if threads is not None:
            cv2.setNumThreads(threads)
        self._net = cv2.dnn.readNetFromONNX(np.frombuffer(graph, np.uint8))
        self._net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        self._net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        self._lock = threading.Lock()
        self._version = cv2.__version__

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """One forward pass."""
        with self._lock:
            self._net.setInput(batch)
            out: npt.NDArray[np.float32] = np.array(self._net.forward(), np.float32)
        return out

    def describe(self) -> str:
        """``opencv-dnn <version>``."""
        return f"opencv-dnn {self._version}"


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """OpenCV's own log silenced while the block runs (loading a graph it cannot run prints
    a warning per unsupported operator; the recogniser reports that itself)."""
    before = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(before)
