"""In-memory graph fixes and runtimes, checked against ONNX Runtime itself on small real graphs."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from lfr_arcface_onnx.graph import (
    fold_constant_dequantisation,
    prepare_graph,
    rewrite_constant_prelu,
)
from lfr_arcface_onnx.models import DEFAULT_MODEL_ID, RecogniserModel
from lfr_arcface_onnx.preprocessing import Preprocessing
from lfr_arcface_onnx.recogniser import ArcFaceOnnxRecogniser
from onnx import TensorProto, helper, numpy_helper

from lfr_framework.errors import ModelError
from lfr_framework.models.store import ModelStore


def _run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, feeds)[0])


@pytest.mark.parametrize(("axis", "block"), [(0, 4), (1, 4), (1, 3), (1, 0), (0, 0)])
def test_folded_dequantisation_equals_onnxruntimes(axis: int, block: int) -> None:
    rng = np.random.default_rng(7)
    q = rng.integers(-128, 127, size=(10, 12), dtype=np.int8)
    n = q.shape[axis]
    count = -(-n // block) if block else n
    scale_shape = [10, 12]
    scale_shape[axis] = count
    if not block:
        scale_shape = [n]
    scale = rng.uniform(0.001, 0.1, size=scale_shape).astype(np.float32)
    zero = rng.integers(-5, 5, size=scale_shape, dtype=np.int8)
    attrs = {"axis": axis} | ({"block_size": block} if block else {})
    graph = helper.make_graph(
        [helper.make_node("DequantizeLinear", ["q", "s", "z"], ["w"], **attrs),
         helper.make_node("Reshape", ["w", "shape"], ["w4"]),
         helper.make_node("Add", ["x", "w4"], ["y"])],
        "dq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [10, 12, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [10, 12, 1])],
        [numpy_helper.from_array(q, "q"), numpy_helper.from_array(scale, "s"),
         numpy_helper.from_array(zero, "z"),
         numpy_helper.from_array(np.array([0, 12, 1], np.int64), "shape")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    x = rng.normal(size=(10, 12, 1)).astype(np.float32)
    expected = _run(model, {"x": x})
    folded = onnx.ModelProto()
    folded.CopyFrom(model)
    assert fold_constant_dequantisation(folded) == 1
    assert [node.op_type for node in folded.graph.node] == ["Add"]
    np.testing.assert_array_equal(_run(folded, {"x": x}), expected)


def test_sface_graph_is_prepared_in_memory(store: ModelStore) -> None:
    path = store.path(DEFAULT_MODEL_ID)
    original = onnx.load(str(path))
    assert len(original.graph.input) > 1  # weights listed as inputs, some never read
    prepared = prepare_graph(onnx.load(str(path)))
    assert [i.name for i in prepared.graph.input] == ["data"]
    assert prepared.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert not [n for n in prepared.graph.node if n.op_type == "DequantizeLinear"]
    assert {t.data_type for t in prepared.graph.initializer} == {TensorProto.FLOAT}


def _tiny_model(tmp_path: Path, dimension: int, fixed_batch: bool) -> Path:
    """A real ONNX 'recogniser': global-average-pool then a projection to ``dimension``."""
    weight = np.random.default_rng(3).normal(size=(3, 8)).astype(np.float32)
    nodes = [helper.make_node("GlobalAveragePool", ["data"], ["pooled"])]
    if fixed_batch:  # like exports that bake batch 1 into a Reshape
        nodes.append(helper.make_node("Reshape", ["pooled", "one_by_three"], ["flat"]))
    else:
        nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"]))
    nodes.append(helper.make_node("MatMul", ["flat", "w"], ["emb"]))
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("emb", TensorProto.FLOAT, [1, 8])],
        [numpy_helper.from_array(weight, "w"),
         numpy_helper.from_array(np.array([1, 3], np.int64), "one_by_three")],
    )
    path = tmp_path / "tiny.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def _spec(dimension: int) -> RecogniserModel:
    return RecogniserModel("tiny", "tiny.onnx", "0" * 64, "test", (), Preprocessing("BGR"),
                           dimension, 0.5)


def test_a_graph_that_bakes_in_batch_one_is_run_face_by_face(tmp_path: Path) -> None:
    path = _tiny_model(tmp_path, 8, fixed_batch=True)
    recogniser = ArcFaceOnnxRecogniser(_spec(8), path)
    assert recogniser.max_batch == 1
    rng = np.random.default_rng(5)
    crops = [rng.integers(0, 255, (112, 112, 3), dtype=np.uint8) for _ in range(3)]
    out = recogniser.embed(crops)
    assert out.shape == (3, 8)
    np.testing.assert_allclose(out[1], recogniser.embed([crops[1]])[0], atol=1e-6)


def test_a_graph_with_a_free_batch_runs_whole_batches(tmp_path: Path) -> None:
    recogniser = ArcFaceOnnxRecogniser(_spec(8), _tiny_model(tmp_path, 8, fixed_batch=False),
                                       max_batch=16)
    assert recogniser.max_batch == 16


def test_a_model_whose_output_size_differs_from_its_declaration_is_refused(
    tmp_path: Path,
) -> None:
    with pytest.raises(ModelError, match="gives 8 values per face; its declaration says 512"):
        ArcFaceOnnxRecogniser(_spec(512), _tiny_model(tmp_path, 8, fixed_batch=False))


def test_a_file_that_is_not_a_model_is_a_model_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"this is not an onnx model")
    with pytest.raises(ModelError, match="cannot load model 'tiny'"):
        ArcFaceOnnxRecogniser(_spec(8), path)


def _prelu_model(slope: np.ndarray | None, opset: int = 17,
                 slope_from_node: bool = False) -> onnx.ModelProto:
    """``y = PRelu(x, slope)`` over (2, 4, 3, 3); ``slope=None`` feeds it at run time."""
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 3, 3])]
    inits, nodes = [], []
    if slope is None:
        inputs.append(helper.make_tensor_value_info("s", TensorProto.FLOAT, [4, 1, 1]))
    elif slope_from_node:
        inits.append(numpy_helper.from_array(slope, "s0"))
        nodes.append(helper.make_node("Identity", ["s0"], ["s"]))
    else:
        inits.append(numpy_helper.from_array(slope, "s"))
    nodes.append(helper.make_node("PRelu", ["x", "s"], ["y"], name="act"))
    graph = helper.make_graph(nodes, "prelu", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                             [2, 4, 3, 3])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _awkward_values(rng: np.random.Generator) -> np.ndarray:
    """Normal values with zeros, negative zeros, infinities, NaN and tiny numbers mixed in."""
    x = rng.normal(scale=3.0, size=(2, 4, 3, 3)).astype(np.float32)
    flat = x.reshape(-1)
    flat[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, -3.4e38]
    return x


@pytest.mark.parametrize("slope", [
    np.array([0.25, -0.8, 1.12, 0.0], np.float32).reshape(4, 1, 1),  # as SFace's: ±, > 1
    np.array([0.1], np.float32),  # one slope for every channel
])
def test_prelu_rewrite_gives_the_same_numbers_as_prelu(slope: np.ndarray) -> None:
    model = _prelu_model(slope)
    x = _awkward_values(np.random.default_rng(11))
    expected = _run(model, {"x": x})
    rewritten = onnx.ModelProto()
    rewritten.CopyFrom(model)
    assert rewrite_constant_prelu(rewritten) == 1
    assert [n.op_type for n in rewritten.graph.node] == ["Relu", "Min", "Mul", "Add"]
    onnx.checker.check_model(rewritten)
    np.testing.assert_array_equal(_run(rewritten, {"x": x}), expected)  # NaN where NaN


def test_prelu_with_a_slope_fed_at_run_time_is_left_alone() -> None:
    model = _prelu_model(None)
    assert rewrite_constant_prelu(model) == 0
    assert [n.op_type for n in model.graph.node] == ["PRelu"]


def test_prelu_with_a_slope_computed_by_a_node_is_left_alone() -> None:
    model = _prelu_model(np.full((4, 1, 1), 0.2, np.float32), slope_from_node=True)
    assert rewrite_constant_prelu(model) == 0
    assert [n.op_type for n in model.graph.node] == ["Identity", "PRelu"]


def test_prelu_is_left_alone_in_opsets_where_min_does_not_broadcast() -> None:
    model = _prelu_model(np.full((4, 1, 1), 0.2, np.float32), opset=7)
    assert rewrite_constant_prelu(model) == 0


def test_every_prelu_of_sface_is_rewritten_only_when_asked(store: ModelStore) -> None:
    path = store.path(DEFAULT_MODEL_ID)
    published = Counter(n.op_type for n in onnx.load(str(path)).graph.node)
    rewritten = Counter(n.op_type for n in prepare_graph(onnx.load(str(path))).graph.node)
    kept = Counter(n.op_type for n in prepare_graph(onnx.load(str(path)),
                                                    rewrite_prelu=False).graph.node)
    assert published["PRelu"] == 27
    assert rewritten["PRelu"] == 0
    assert rewritten["Relu"] == rewritten["Min"] == 27
    assert kept["PRelu"] == 27


def test_auto_runtime_falls_back_to_onnxruntime_for_a_graph_opencv_cannot_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """FusedMatMul is an ONNX Runtime operator (com.microsoft) that OpenCV DNN lacks."""
    weight = np.random.default_rng(3).normal(size=(3, 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["data"], ["pooled"]),
         helper.make_node("Flatten", ["pooled"], ["flat"]),
         helper.make_node("FusedMatMul", ["flat", "w"], ["emb"], domain="com.microsoft")],
        "ort-only",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["batch", 3, 112, 112])],
        [helper.make_tensor_value_info("emb", TensorProto.FLOAT, ["batch", 8])],
        [numpy_helper.from_array(weight, "w")],
    )
    path = tmp_path / "ort-only.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                      helper.make_opsetid("com.microsoft", 1)]),
              path)
    capfd.readouterr()
    with caplog.at_level(logging.WARNING, logger="lfr_arcface_onnx"):
        recogniser = ArcFaceOnnxRecogniser(_spec(8), path)
    assert recogniser.runtime == "onnxruntime"
    assert recogniser.embed([np.full((112, 112, 3), 9, np.uint8)]).shape == (1, 8)
    assert "does not run on opencv" in caplog.text
    assert "FusedMatMul" not in capfd.readouterr().err  # OpenCV's own warning kept quiet
    with pytest.raises(ModelError, match=r"cannot load model 'tiny'.*opencv: "):
        ArcFaceOnnxRecogniser(_spec(8), path, runtime="opencv")


@pytest.mark.parametrize("runtime", ["opencv", "onnxruntime"])
def test_each_runtime_runs_the_tiny_graph_alike(tmp_path: Path, runtime: str) -> None:
    path = _tiny_model(tmp_path, 8, fixed_batch=False)
    reference = ArcFaceOnnxRecogniser(_spec(8), path, runtime="onnxruntime",
                                      rewrite_prelu=False)
    recogniser = ArcFaceOnnxRecogniser(_spec(8), path, runtime=runtime)  # type: ignore[arg-type]
    assert recogniser.runtime == runtime
    crops = [np.random.default_rng(i).integers(0, 255, (112, 112, 3), dtype=np.uint8)
             for i in range(3)]
    np.testing.assert_allclose(recogniser.embed(crops), reference.embed(crops), atol=1e-6)
