"""Similarity-transform alignment of a detected face to the ArcFace 112x112 template."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from lfr_framework.errors import ConfigurationError
from lfr_framework.types import LEFT_EYE, MOUTH_CENTRE, NOSE_TIP, RIGHT_EYE, Detection, Image

#: The keypoints alignment needs, in the order of :data:`ARCFACE_TEMPLATE`.
REQUIRED_KEYPOINTS = (RIGHT_EYE, LEFT_EYE, NOSE_TIP, MOUTH_CENTRE)

#: ArcFace's 112x112 reference points for those keypoints. The subject's right eye is on
#: the image's left; the mouth centre is the midpoint of ArcFace's two mouth corners
#: (41.5493, 92.3655) and (70.7299, 92.2041).
ARCFACE_TEMPLATE: npt.NDArray[np.float64] = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [(41.5493 + 70.7299) / 2.0, (92.3655 + 92.2041) / 2.0],
    ],
    dtype=np.float64,
)
ARCFACE_SIZE = (112, 112)


def keypoints_of(detection: Detection) -> npt.NDArray[np.float64]:
    """The detection's four alignment keypoints as a 4x2 array; a clear error if absent."""
    missing = [name for name in REQUIRED_KEYPOINTS if name not in detection.keypoints]
    if missing:
        have = ", ".join(sorted(detection.keypoints)) or "none"
        raise ConfigurationError(
            "the arcface_onnx recogniser aligns faces on the keypoints "
            f"{', '.join(REQUIRED_KEYPOINTS)}; this detection lacks {', '.join(missing)} "
            f"(it has: {have}). Use a detector that reports them, such as BlazeFace."
        )
    points = np.array([detection.keypoints[name] for name in REQUIRED_KEYPOINTS], np.float64)
    if points.shape != (4, 2) or not np.isfinite(points).all():
        raise ValueError("detection keypoints must be finite (x, y) pixel coordinates")
    return points


def similarity_transform(
    src: npt.NDArray[np.float64], dst: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Least-squares similarity transform (Umeyama 1991) mapping ``src`` onto ``dst``, 2x3."""
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    src_var = float((src_c**2).sum() / len(src))
    if src_var < 1e-6:
        raise ValueError("detection keypoints coincide; the face cannot be aligned")
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rotation = u @ np.diag(d) @ vt
    scale = float((s * d).sum() / src_var)
    matrix = np.empty((2, 3), np.float64)
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def align_face(image: Image, detection: Detection, size: tuple[int, int] = ARCFACE_SIZE) -> Image:
    """Warp the face of ``detection`` in ``image`` (BGR uint8) to the ArcFace template."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 \
            or image.shape[2] != 3:
        got = (f"{image.dtype} array of shape {image.shape}" if isinstance(image, np.ndarray)
               else type(image).__name__)
        raise ValueError(f"image must be a uint8 BGR array of shape (H, W, 3); got {got}")
    template = ARCFACE_TEMPLATE * np.array([size[0] / 112.0, size[1] / 112.0])
    matrix = similarity_transform(keypoints_of(detection), template)
    crop = cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    return np.asarray(crop, dtype=np.uint8)
