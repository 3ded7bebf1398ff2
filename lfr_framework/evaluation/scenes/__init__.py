"""Synthetic crowd scenes: real face photos walking across a synthetic background.

Used by ``lfr demo``, pipeline tests and benchmarks. Rendering needs OpenCV (the
``imaging`` extra); the spec and ground-truth types do not.
"""

from lfr_framework.evaluation.scenes.crowd import crowd_spec
from lfr_framework.evaluation.scenes.layout import IN_VIEW_FRACTION
from lfr_framework.evaluation.scenes.render import (
    ground_truth,
    render_frames,
    render_scene,
    truth_path,
)
from lfr_framework.evaluation.scenes.spec import BACKGROUNDS, Pass, SceneSpec
from lfr_framework.evaluation.scenes.truth import GroundTruth, PassTruth

__all__ = [
    "BACKGROUNDS",
    "IN_VIEW_FRACTION",
    "GroundTruth",
    "Pass",
    "PassTruth",
    "SceneSpec",
    "crowd_spec",
    "ground_truth",
    "render_frames",
    "render_scene",
    "truth_path",
]
