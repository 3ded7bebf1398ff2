"""The probe's quality as the officer's card shows it: the crop's size, the face's height and
its sharpness, measured once when the alert is stored. These are measurements, not
biometric data: they are kept with the alert after retention deletes the crop."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lfr_framework.errors import ImageDecodeError
from lfr_framework.imaging import decode_image

#: The pipeline's probe crop adds 40 % of the face box on every side
#: (``lfr_framework.pipeline.processor.probe_crop``): the face is the middle 1/1.8.
CROP_SPAN = 1.0 + 2 * 0.4


@dataclass(frozen=True, slots=True)
class ProbeMeasurements:
    """What :func:`measure` finds in a probe crop."""

    width: int
    height: int
    sharpness: float

    @property
    def face_px(self) -> float:
        """The face's height in the frame, about (the crop minus its margins)."""
        return self.height / CROP_SPAN


def _laplacian_variance(grey: np.ndarray) -> float:
    if grey.shape[0] < 3 or grey.shape[1] < 3:
        return 0.0
    lap = (grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:]
           - 4.0 * grey[1:-1, 1:-1])
    return float(lap.var())


def measure(jpeg: bytes) -> ProbeMeasurements | None:
    """Size and sharpness of a probe crop (the same Laplacian measure as the quality gate,
    over the face without the margins, sampled to about 64 px high); ``None`` when the
    bytes are not an image."""
    try:
        image = decode_image(jpeg, "probe crop")
    except ImageDecodeError:
        return None
    height, width = image.shape[:2]
    my, mx = int(height * 0.4 / CROP_SPAN), int(width * 0.4 / CROP_SPAN)
    face = image[my:height - my or None, mx:width - mx or None]
    step = max(face.shape[0] // 64, 1)
    patch = face[::step, ::step].astype(np.float32)
    grey = patch[..., 0] * 0.114 + patch[..., 1] * 0.587 + patch[..., 2] * 0.299
    return ProbeMeasurements(width=int(width), height=int(height),
                             sharpness=round(_laplacian_variance(grey), 1))
