"""The default SFace recogniser on real photos: mated pairs score high, others low."""

from __future__ import annotations

import cv2
import numpy as np
import onnx
import pytest
from lfr_arcface_onnx.graph import prepare_graph
from lfr_arcface_onnx.models import DEFAULT_MODEL_ID, RECOGNISER_MODELS, SFACE_THRESHOLD
from lfr_arcface_onnx.recogniser import ArcFaceOnnxRecogniser

from lfr_framework.interfaces import Recogniser
from lfr_framework.models.store import ModelStore
from lfr_framework.types import LEFT_EYE, RIGHT_EYE

SFACE = RECOGNISER_MODELS[DEFAULT_MODEL_ID]
IDENTITY = {"obama": "obama", "obama2": "obama", "obama3": "obama", "biden": "biden",
            "grace_hopper": "grace_hopper", "astronaut": "eileen_collins"}


def test_implements_the_core_protocol(recogniser: ArcFaceOnnxRecogniser) -> None:
    assert isinstance(recogniser, Recogniser)
    assert recogniser.model_id == DEFAULT_MODEL_ID
    assert recogniser.dimension == 128
    assert recogniser.default_threshold == SFACE_THRESHOLD
    assert recogniser.max_batch > 1  # the fixed batch of 1 was freed


def test_yunet_landmarks_are_the_subjects_right_eye_first(faces: dict) -> None:
    for _image, detection in faces.values():
        assert detection.keypoints[RIGHT_EYE][0] < detection.keypoints[LEFT_EYE][0]


@pytest.mark.parametrize("other", ["obama2", "obama3"])
def test_mated_pairs_score_above_the_threshold(
    recogniser: ArcFaceOnnxRecogniser, templates: dict[str, np.ndarray], other: str
) -> None:
    score = float(templates["obama"] @ templates[other])
    assert score > recogniser.default_threshold + 0.2, score


@pytest.mark.parametrize("other", ["biden", "grace_hopper", "astronaut"])
def test_non_mated_pairs_score_below_the_threshold(
    recogniser: ArcFaceOnnxRecogniser, templates: dict[str, np.ndarray], other: str
) -> None:
    score = float(templates["obama"] @ templates[other])
    assert score < recogniser.default_threshold - 0.1, score


def test_every_pair_of_photos_is_decided_right(
    recogniser: ArcFaceOnnxRecogniser, templates: dict[str, np.ndarray]
) -> None:
    names = sorted(templates)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            score = float(templates[a] @ templates[b])
            mated = IDENTITY[a] == IDENTITY[b]
            assert (score >= recogniser.default_threshold) == mated, (a, b, score)


def test_templates_are_unit_length_float32(
    recogniser: ArcFaceOnnxRecogniser, faces: dict
) -> None:
    crops = [recogniser.align(img, det) for img, det in faces.values()]
    out = recogniser.embed(crops)
    assert out.dtype == np.float32
    assert out.shape == (len(crops), 128)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_batched_embedding_equals_one_by_one(
    recogniser: ArcFaceOnnxRecogniser, faces: dict, templates: dict[str, np.ndarray]
) -> None:
    names = list(faces)
    crops = [recogniser.align(*faces[n]) for n in names]
    batched = recogniser.embed(crops)
    one_by_one = np.stack([templates[n] for n in names])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_batches_larger_than_max_batch_are_split(store: ModelStore, faces: dict) -> None:
    small = ArcFaceOnnxRecogniser(
        SFACE, store.path(DEFAULT_MODEL_ID), max_batch=2, intra_op_threads=1
    )
    crops = [small.align(*f) for f in faces.values()]
    assert len(crops) > 2
    np.testing.assert_allclose(small.embed(crops), np.concatenate(
        [small.embed([c]) for c in crops]), atol=1e-5)


def test_no_crops_give_an_empty_array(recogniser: ArcFaceOnnxRecogniser) -> None:
    out = recogniser.embed([])
    assert out.shape == (0, 128)
    assert out.dtype == np.float32


def test_matches_opencvs_own_sface_runner_on_the_same_crop(
    recogniser: ArcFaceOnnxRecogniser, store: ModelStore, faces: dict
) -> None:
    """OpenCV's FaceRecognizerSF feeds SFace RGB 0-255; ours must give the same template."""
    graph = prepare_graph(onnx.load(str(store.path(DEFAULT_MODEL_ID))))
    opencv = cv2.FaceRecognizerSF.create("ONNX", np.frombuffer(graph.SerializeToString(),
                                                               np.uint8), np.empty(0, np.uint8))
    for image, detection in faces.values():
        crop = recogniser.align(image, detection)
        theirs = np.asarray(opencv.feature(crop), np.float64).ravel()
        theirs /= np.linalg.norm(theirs)
        ours = recogniser.embed([crop])[0]
        assert float(ours @ theirs) > 0.9999


def test_folding_the_weights_changes_nothing(store: ModelStore, faces: dict) -> None:
    folded = ArcFaceOnnxRecogniser(SFACE, store.path(DEFAULT_MODEL_ID), fold_weights=True)
    unfolded = ArcFaceOnnxRecogniser(SFACE, store.path(DEFAULT_MODEL_ID),
                                     fold_weights=False)
    crops = [folded.align(*f) for f in faces.values()]
    np.testing.assert_allclose(folded.embed(crops), unfolded.embed(crops), atol=1e-5)


def test_the_model_file_in_the_store_is_left_untouched(
    recogniser: ArcFaceOnnxRecogniser, store: ModelStore
) -> None:
    status = store.status(DEFAULT_MODEL_ID, verify=True)
    assert status.verified is True



def _crops(recogniser: ArcFaceOnnxRecogniser, faces: dict) -> list[np.ndarray]:
    return [recogniser.align(*faces[name]) for name in sorted(faces)]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine in float64 (float32 rounding alone reaches 2e-7)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_the_default_runtime_is_opencv_dnn(recogniser: ArcFaceOnnxRecogniser) -> None:
    assert recogniser.runtime == "opencv"


def test_the_prelu_rewrite_leaves_templates_unchanged(store: ModelStore, faces: dict) -> None:
    """On ONNX Runtime, Relu(x) + s·Min(x, 0) gives the templates PRelu gives."""
    path = store.path(DEFAULT_MODEL_ID)
    rewritten = ArcFaceOnnxRecogniser(SFACE, path, runtime="onnxruntime")
    published = ArcFaceOnnxRecogniser(SFACE, path, runtime="onnxruntime", rewrite_prelu=False)
    crops = _crops(rewritten, faces)
    cosines = _cosines(rewritten.embed(crops), published.embed(crops))
    assert cosines.min() >= 0.9999999, cosines


def test_opencv_dnn_and_onnxruntime_give_the_same_scores(
    store: ModelStore, faces: dict
) -> None:
    path = store.path(DEFAULT_MODEL_ID)
    opencv = ArcFaceOnnxRecogniser(SFACE, path, runtime="opencv")
    ort_ = ArcFaceOnnxRecogniser(SFACE, path, runtime="onnxruntime")
    assert (opencv.runtime, ort_.runtime) == ("opencv", "onnxruntime")
    crops = _crops(opencv, faces)
    a, b = opencv.embed(crops), ort_.embed(crops)
    assert _cosines(a, b).min() >= 0.99999
    assert np.abs(a @ a.T - b @ b.T).max() <= 1e-5  # every pair of photos scores alike
