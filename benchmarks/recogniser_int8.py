"""A per-channel int8 variant of a recogniser graph, built at load with ONNX Runtime's
static quantiser, for the recogniser benchmark to set against the float32 graph.

The float32 graph is the plugin's own in-memory preparation (weights folded, PRelu
rewritten); weights are quantised per output channel (int8), activations per tensor
(uint8) from ranges observed on calibration crops. Measured on SFace: quantising every
``Conv`` moved pair scores by up to 0.15, so by default only the pointwise (1×1, ungrouped)
convolutions are quantised, with percentile ranges: the least damaging setting found.
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx


def _grouped(node: onnx.NodeProto) -> bool:
    return any(a.name == "group" and a.i > 1 for a in node.attribute)


def build_int8(model_path: Path, calibration: npt.NDArray[np.float32], out_path: Path,
               pointwise_only: bool = True) -> dict[str, Any]:
    """Write the int8 graph of ``model_path`` to ``out_path``, calibrated on ``calibration``
    (N, 3, H, W, as the model takes it); return what was quantised."""
    from lfr_arcface_onnx.graph import prepare_graph
    from onnxruntime import quantization as q

    class Crops(q.CalibrationDataReader):  # type: ignore[misc]
        def __init__(self, batch: npt.NDArray[np.float32]) -> None:
            self._rows: Iterator[npt.NDArray[np.float32]] = iter(batch)

        def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
            row = next(self._rows, None)
            return None if row is None else {"data": row[None]}

    logging.getLogger("root").setLevel(logging.ERROR)  # the quantiser logs per node
    # ... and prints its calibration progress.
    with tempfile.TemporaryDirectory(prefix="lfr-int8-") as tmp, \
            contextlib.redirect_stdout(io.StringIO()):
        f32 = Path(tmp) / "f32.onnx"
        onnx.save(prepare_graph(onnx.load(str(model_path))), f32)
        pre = Path(tmp) / "pre.onnx"
        q.quant_pre_process(str(f32), str(pre), skip_symbolic_shape=True)
        convs = [n for n in onnx.load(str(pre)).graph.node if n.op_type == "Conv"]
        excluded = [n.name for n in convs if pointwise_only and _grouped(n)]
        q.quantize_static(
            str(pre), str(out_path), Crops(calibration), quant_format=q.QuantFormat.QDQ,
            per_channel=True, activation_type=q.QuantType.QUInt8,
            weight_type=q.QuantType.QInt8, op_types_to_quantize=["Conv"],
            nodes_to_exclude=excluded,
            calibrate_method=(q.CalibrationMethod.Percentile if pointwise_only
                              else q.CalibrationMethod.MinMax))
    return {"convolutions": len(convs), "quantised": len(convs) - len(excluded),
            "left_float32": len(excluded), "calibration_crops": len(calibration),
            "weights": "int8 per output channel", "activations": "uint8 per tensor",
            "ranges": "percentile" if pointwise_only else "min-max"}
