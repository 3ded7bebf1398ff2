"""In-memory fixes to a recogniser's ONNX graph before ONNX Runtime loads it.

Nothing here writes the model back to disk: the verified file in the store stays as
published, and every change is made to a copy in memory at load time.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import onnx
from onnx import numpy_helper

log = logging.getLogger(__name__)

_BATCH_DIM = "batch"


def prepare_graph(
    model: onnx.ModelProto, fold_weights: bool = True, rewrite_prelu: bool = True
) -> onnx.ModelProto:
    """Fold constant weight dequantisation, rewrite constant-slope ``PRelu``, drop unused
    inputs and free the batch dimension."""
    if fold_weights:
        folded = fold_constant_dequantisation(model)
        if folded:
            log.info("folded %d constant weight dequantisation nodes to float32", folded)
    dropped = drop_unused_inputs(model)
    if dropped:
        log.info("dropped %d graph inputs that are weights or that no node reads", dropped)
    if rewrite_prelu:
        rewritten = rewrite_constant_prelu(model)
        if rewritten:
            log.info("rewrote %d PRelu nodes as Relu(x) + slope * Min(x, 0)", rewritten)
    make_batch_dynamic(model)
    return model


def drop_unused_inputs(model: onnx.ModelProto) -> int:
    """Keep as graph inputs only the tensors a caller must feed; return how many went.

    Some exports list every weight as a graph input: unused ones (only their quantised
    form is read), which ONNX Runtime 1.32 then demands as "required inputs", and
    initialisers, which it must then treat as overridable inputs rather than constants
    (it warns that it cannot fold them). Unread initialisers are dropped too.
    """
    graph = model.graph
    used = {name for node in graph.node for name in node.input}
    used |= {out.name for out in graph.output}
    weights = {t.name for t in graph.initializer}
    kept_inputs = [i for i in graph.input if i.name in used and i.name not in weights]
    dropped = len(graph.input) - len(kept_inputs)
    kept_inits = [t for t in graph.initializer if t.name in used]
    del graph.input[:]
    graph.input.extend(kept_inputs)
    del graph.initializer[:]
    graph.initializer.extend(kept_inits)
    return dropped


def fold_constant_dequantisation(model: onnx.ModelProto) -> int:
    """Replace ``DequantizeLinear`` (and ``Reshape``) nodes of constant weights by float32.

    A block-quantised model otherwise dequantises every weight on every run. Returns the
    number of ``DequantizeLinear`` nodes folded.
    """
    graph = model.graph
    constants: dict[str, npt.NDArray[np.generic]] = {
        t.name: numpy_helper.to_array(t) for t in graph.initializer
    }
    produced: dict[str, npt.NDArray[np.generic]] = {}
    kept: list[onnx.NodeProto] = []
    folded = 0
    for node in graph.node:
        inputs = [name for name in node.input if name]
        if node.op_type in ("DequantizeLinear", "Reshape") and inputs \
                and all(name in constants for name in inputs):
            args = [constants[name] for name in inputs]
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            if node.op_type == "DequantizeLinear":
                value: npt.NDArray[np.generic] = dequantise(args, attrs)
                folded += 1
            else:
                value = reshape(args[0], args[1], bool(_int_attr(attrs, "allowzero", 0)))
            constants[node.output[0]] = value
            produced[node.output[0]] = value
            continue
        kept.append(node)
    if not folded:
        return 0
    del graph.node[:]
    graph.node.extend(kept)
    graph.initializer.extend(
        numpy_helper.from_array(value, name) for name, value in produced.items()
    )
    drop_unused_inputs(model)
    return folded


def dequantise(
    args: list[npt.NDArray[np.generic]], attrs: dict[str, object]
) -> npt.NDArray[np.float32]:
    """``DequantizeLinear`` in numpy: per-tensor, per-axis or blocked (opset 21)."""
    x = args[0].astype(np.int32)
    scale = args[1].astype(np.float32)
    zero = args[2].astype(np.int32) if len(args) > 2 else np.zeros_like(scale, np.int32)
    if scale.ndim == 0 or scale.size == 1:
        flat = (x - zero.reshape(())).astype(np.float32) * scale.reshape(())
        return flat.astype(np.float32)
    axis = _int_attr(attrs, "axis", 1) % x.ndim
    block = _int_attr(attrs, "block_size", 0)
    if block > 0:
        scale = np.repeat(scale, block, axis=axis).take(range(x.shape[axis]), axis=axis)
        zero = np.repeat(zero, block, axis=axis).take(range(x.shape[axis]), axis=axis)
    else:
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((x - zero).astype(np.float32) * scale).astype(np.float32)


def _int_attr(attrs: dict[str, object], name: str, default: int) -> int:
    value = attrs.get(name, default)
    if not isinstance(value, int):
        raise ValueError(f"attribute {name!r} is not an integer")
    return value


def reshape(
    data: npt.NDArray[np.generic], shape: npt.NDArray[np.generic], allowzero: bool
) -> npt.NDArray[np.generic]:
    """``Reshape`` in numpy, with ONNX's meaning of 0 (copy the input's dimension)."""
    target = [int(v) for v in shape.tolist()]
    if not allowzero:
        target = [data.shape[i] if v == 0 else v for i, v in enumerate(target)]
    return data.reshape(target)


#: Opset from which ``Min`` broadcasts (multidirectionally) and ``PRelu`` broadcasts its
#: slope to ``x`` (unidirectionally): the rewrite's result then has ``x``'s shape.
_PRELU_REWRITE_MIN_OPSET = 8


def rewrite_constant_prelu(model: onnx.ModelProto) -> int:
    """Replace every ``PRelu(x, s)`` whose slope is a float32 constant by
    ``Relu(x) + s * Min(x, 0)``; return how many were replaced.

    ONNX Runtime 1.32 runs ``PRelu`` with a per-channel slope through a slow generic
    broadcast (64% of SFace's time); the four element-wise operators it becomes here run on
    its fast paths. The result is the same number for every ``x``: for ``x >= 0`` it is
    ``x + s * 0 = x``, for ``x < 0`` it is ``0 + s * x``, the one product ``PRelu`` computes;
    NaN stays NaN. Only a slope held as a float32 initialiser is rewritten (a slope fed at
    run time, or one still computed by a node, is left alone), and only in opsets where both
    forms broadcast alike.
    """
    graph = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < _PRELU_REWRITE_MIN_OPSET:
        return 0
    runtime_inputs = {i.name for i in graph.input}
    slopes = {t.name for t in graph.initializer
              if t.data_type == onnx.TensorProto.FLOAT and t.name not in runtime_inputs}
    taken = {name for node in graph.node for name in (*node.input, *node.output)}
    taken |= {t.name for t in graph.initializer}
    zero = _fresh_name("prelu_rewrite_zero", taken)
    nodes: list[onnx.NodeProto] = []
    rewritten = 0
    for node in graph.node:
        if node.op_type != "PRelu" or node.domain not in ("", "ai.onnx") \
                or len(node.input) != 2 or node.input[1] not in slopes:
            nodes.append(node)
            continue
        x, slope = node.input
        y = node.output[0]
        stem = node.name or y
        positive, negative_x, negative = (_fresh_name(f"{stem}_{part}", taken)
                                          for part in ("relu", "min0", "scaled"))
        nodes += [
            onnx.helper.make_node("Relu", [x], [positive], name=positive),
            onnx.helper.make_node("Min", [x, zero], [negative_x], name=negative_x),
            onnx.helper.make_node("Mul", [negative_x, slope], [negative], name=negative),
            onnx.helper.make_node("Add", [positive, negative], [y],
                                  name=_fresh_name(f"{stem}_sum", taken)),
        ]
        rewritten += 1
    if rewritten:
        del graph.node[:]
        graph.node.extend(nodes)
        graph.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), zero))
    return rewritten


def _fresh_name(stem: str, taken: set[str]) -> str:
    """``stem``, or ``stem`` with a number, that no tensor or node of the graph uses yet."""
    name, n = stem, 0
    while name in taken:
        n += 1
        name = f"{stem}_{n}"
    taken.add(name)
    return name


def make_batch_dynamic(model: onnx.ModelProto) -> None:
    """Give the first dimension of every graph input and output a symbolic name.

    Exports with a fixed batch of 1 then take a whole frame's faces in one run; whether
    the graph really allows it is checked by the caller with a probe run.
    """
    graph = model.graph
    for value in (*graph.input, *graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = _BATCH_DIM
    # Shapes recorded for intermediate values may still say batch 1; ORT re-infers them.
    del graph.value_info[:]
