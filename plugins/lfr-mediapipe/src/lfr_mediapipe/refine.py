"""Keypoint refinement: one face looked at again, alone and at the model's own resolution.

On a whole frame (or a tile) BlazeFace sees a small face through a 128- or 192-pixel
downscale, and its keypoints are off by a median 0.15 inter-eye distances at 50–85 px
(docs/evaluation.md): enough to spoil the alignment that recognition depends on. Cutting a
square around the face, ``context`` times its size, and scaling it to ``size`` pixels puts
the face at about a third of the model's input, where its keypoints are precise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lfr_framework.types import BoundingBox, Detection, Image


@dataclass(frozen=True, slots=True)
class Window:
    """A square of the frame (possibly beyond its edges) and its scale to the crop."""

    x: int
    y: int
    side: int
    scale: float

    def to_frame(self, detection: Detection) -> Detection:
        """A detection found in the crop, in frame pixels."""
        s, box = self.scale, detection.box
        keypoints = {name: (self.x + px / s, self.y + py / s)
                     for name, (px, py) in detection.keypoints.items()}
        return Detection(BoundingBox(self.x + box.x / s, self.y + box.y / s, box.width / s,
                                     box.height / s), detection.score, keypoints)


def window_around(detection: Detection, context: float, size: int) -> Window:
    """The square, ``context`` times the face box's larger side, centred on the face."""
    box = detection.box
    side = max(round(context * max(box.width, box.height)), 8)
    cx, cy = box.x + box.width / 2.0, box.y + box.height / 2.0
    return Window(round(cx - side / 2.0), round(cy - side / 2.0), side, size / side)


def crop_window(rgb: Image, window: Window, size: int) -> Image:
    """The window's pixels scaled to ``size`` x ``size``; beyond the frame, edges repeat."""
    height, width = rgb.shape[:2]
    x0, y0 = max(window.x, 0), max(window.y, 0)
    x1, y1 = min(window.x + window.side, width), min(window.y + window.side, height)
    if x1 <= x0 or y1 <= y0:  # wholly outside the frame: nothing to look at
        return np.zeros((size, size, 3), np.uint8)
    patch: Image = rgb[y0:y1, x0:x1]
    if (x0, y0, x1, y1) != (window.x, window.y, window.x + window.side, window.y + window.side):
        patch = np.asarray(cv2.copyMakeBorder(patch, y0 - window.y, window.y + window.side - y1,
                                              x0 - window.x, window.x + window.side - x1,
                                              cv2.BORDER_REPLICATE), np.uint8)
    interpolation = cv2.INTER_CUBIC if size > window.side else cv2.INTER_AREA
    scaled = cv2.resize(patch, (size, size), interpolation=interpolation)
    return np.ascontiguousarray(scaled, dtype=np.uint8)


def nearest_centre(found: list[Detection], size: int) -> Detection | None:
    """The detection whose centre is nearest the crop's centre (the face looked at)."""
    def distance(d: Detection) -> float:
        return float((d.box.x + d.box.width / 2 - size / 2) ** 2
                     + (d.box.y + d.box.height / 2 - size / 2) ** 2)
    best = min(found, key=distance, default=None)
    if best is None or distance(best) > (size / 4) ** 2:
        return None  # what was found is another face, not this one
    return best
