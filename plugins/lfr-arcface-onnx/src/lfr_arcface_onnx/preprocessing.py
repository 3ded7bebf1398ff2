"""How a model wants its aligned crops turned into an input tensor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from lfr_framework.types import Image


@dataclass(frozen=True, slots=True)
class Preprocessing:
    """Input size, channel order and normalisation of one recogniser model.

    A crop pixel ``p`` (0-255, in ``channel_order``) becomes ``(p * scale - mean) / std``.
    """

    channel_order: Literal["RGB", "BGR"]
    scale: float = 1.0
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    #: (width, height) of the aligned crop.
    input_size: tuple[int, int] = (112, 112)

    def describe(self) -> str:
        """A one-line description, as shown by ``lfr models list``."""
        w, h = self.input_size
        return (f"{w}x{h} {self.channel_order}, (pixel*{self.scale:g} - {_fmt(self.mean)})"
                f" / {_fmt(self.std)}")

    def check_crop(self, crop: object, index: int) -> Image:
        """Return ``crop`` if it is a uint8 BGR crop of the input size; else ``ValueError``."""
        w, h = self.input_size
        if (not isinstance(crop, np.ndarray) or crop.dtype != np.uint8
                or crop.shape != (h, w, 3)):
            got = (f"{crop.dtype} array of shape {crop.shape}" if isinstance(crop, np.ndarray)
                   else type(crop).__name__)
            raise ValueError(
                f"crop {index} must be a uint8 BGR image of shape ({h}, {w}, 3) as align() "
                f"returns; got {got}"
            )
        return crop

    def to_tensor(self, crops: Sequence[Image]) -> npt.NDArray[np.float32]:
        """Stack BGR crops into one ``float32`` NCHW tensor for the model."""
        batch = np.stack([self.check_crop(c, i) for i, c in enumerate(crops)])
        x = batch.astype(np.float32)
        if self.channel_order == "RGB":
            x = x[..., ::-1]
        if self.scale != 1.0:
            x *= np.float32(self.scale)
        if any(self.mean):
            x -= np.asarray(self.mean, np.float32)
        if any(s != 1.0 for s in self.std):
            x /= np.asarray(self.std, np.float32)
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def _fmt(values: tuple[float, float, float]) -> str:
    if len(set(values)) == 1:
        return f"{values[0]:g}"
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"
