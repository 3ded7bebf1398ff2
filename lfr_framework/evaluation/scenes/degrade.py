"""Frame-wide degradations for evaluation: defocus blur, low light with noise, JPEG."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lfr_framework.errors import LFRError
from lfr_framework.evaluation.scenes.spec import SceneSpec
from lfr_framework.imaging import require_cv2
from lfr_framework.types import Image

_NOISE_FRAMES = 4
_NOISE_KEY = 0x401CE


class Degrader:
    """Applies the spec's blur, brightness with sensor noise, and JPEG re-compression.

    Noise is drawn once into a small bank of noise frames; each frame takes one of them
    at an offset chosen from the seed and the frame index, so every frame is reproducible
    on its own and rendering stays fast.
    """

    def __init__(self, spec: SceneSpec) -> None:
        self._spec = spec
        self._cv2 = require_cv2()
        sigma = spec.effective_noise_sigma
        self._bank: npt.NDArray[np.int16] | None = None
        if sigma > 0.0:
            rng = np.random.default_rng([spec.seed, _NOISE_KEY])
            size = spec.width * spec.height * 3
            draws = rng.standard_normal((_NOISE_FRAMES, size), dtype=np.float32) * np.float32(sigma)
            self._bank = np.rint(draws).astype(np.int16)

    def __call__(self, image: Image, frame: int) -> Image:
        """The degraded copy of ``image``, frame number ``frame``."""
        cv2, spec = self._cv2, self._spec
        if spec.blur > 0.0:
            image = cv2.GaussianBlur(image, (0, 0), spec.blur)
        if spec.brightness != 1.0:
            image = cv2.convertScaleAbs(image, alpha=spec.brightness)
        if self._bank is not None:
            image = _add_noise(image, self._bank, self._spec.seed, frame)
        if spec.jpeg_quality is not None:
            image = recompress(image, spec.jpeg_quality)
        return image


def _add_noise(image: Image, bank: npt.NDArray[np.int16], seed: int, frame: int) -> Image:
    pick = np.random.default_rng([seed, frame, _NOISE_KEY])
    row = bank[int(pick.integers(bank.shape[0]))]
    noise = np.roll(row, int(pick.integers(row.size))).reshape(image.shape)
    noisy = image.astype(np.int16)
    noisy += noise
    out: Image = np.clip(noisy, 0, 255).astype(np.uint8)
    return out


def recompress(image: Image, quality: int) -> Image:
    """Encode as JPEG at ``quality`` and decode again."""
    cv2 = require_cv2()
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise LFRError("OpenCV could not encode the frame as JPEG")
    out: Image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return out
