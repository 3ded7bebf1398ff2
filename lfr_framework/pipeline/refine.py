"""Keypoint refinement before alignment, for detectors that offer it."""

from __future__ import annotations

from lfr_framework.interfaces import Detector, KeypointRefiner
from lfr_framework.types import Detection, Image


def refined(detector: Detector, image: Image, detection: Detection) -> Detection:
    """``detection`` refined by ``detector`` when it is a :class:`KeypointRefiner`."""
    if isinstance(detector, KeypointRefiner):
        return detector.refine(image, detection)
    return detection


#: A photo shows one person or a few: at most this many detections are looked at closely.
MAX_LOOKS = 8


def confirmed(detector: Detector, image: Image, detections: list[Detection],
              min_score: float) -> list[Detection]:
    """The detections the detector's closer look still scores at least ``min_score``,
    refined, most confident first (only the ``MAX_LOOKS`` most confident are looked at).

    Used where one face of a photo is chosen (enrolment, evaluation): a tile's false
    detection of the background must not count as a second face or win the choice.
    """
    ranked = sorted(detections, key=lambda d: d.score, reverse=True)[:MAX_LOOKS]
    looked = [refined(detector, image, d) for d in ranked]
    return sorted((d for d in looked if d.score >= min_score), key=lambda d: d.score,
                  reverse=True)
