"""Default LFR recogniser plugin: ArcFace-style face embeddings with ONNX Runtime."""

from lfr_arcface_onnx.models import DEFAULT_MODEL_ID, RECOGNISER_MODELS, RecogniserModel
from lfr_arcface_onnx.options import ArcFaceOnnxOptions
from lfr_arcface_onnx.recogniser import ArcFaceOnnxRecogniser, create_recogniser

__all__ = [
    "DEFAULT_MODEL_ID",
    "RECOGNISER_MODELS",
    "ArcFaceOnnxOptions",
    "ArcFaceOnnxRecogniser",
    "RecogniserModel",
    "create_recogniser",
]
