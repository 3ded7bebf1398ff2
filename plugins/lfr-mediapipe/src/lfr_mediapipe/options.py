"""The options of the ``mediapipe`` detector, validated at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: The model ids of :data:`lfr_mediapipe.models.MODEL_SPECS` (a test keeps them equal).
ModelId = Literal["blazeface-full-range-sparse", "blazeface-full-range", "blazeface-short-range"]


class MediaPipeOptions(BaseModel):
    """Options of the ``mediapipe`` detector (BlazeFace through MediaPipe Tasks)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: ModelId = Field(
        "blazeface-full-range-sparse",
        description="Which BlazeFace model: full range (faces up to ~5 m, CCTV) or short "
        "range (faces within ~2 m, kiosks and enrolment).",
    )
    min_score: float = Field(
        0.5, ge=0.0, le=1.0, description="Faces scoring below this are not reported."
    )
    tiles: int = Field(
        1,
        ge=1,
        le=8,
        description="Rows of tiles to search besides the whole frame, for small faces in "
        "large frames; columns follow the frame's aspect ratio. 1 searches the whole frame only.",
    )
    tile_overlap: float = Field(
        0.25,
        ge=0.0,
        le=0.5,
        description="Fraction of a tile shared with its neighbour, so that a face on a seam is "
        "whole in one tile.",
    )
    nms_iou: float = Field(
        0.3,
        gt=0.0,
        le=1.0,
        description="Detections from different tiles overlapping more than this are one face.",
    )
