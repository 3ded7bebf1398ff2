"""The options of the ``mediapipe`` detector, validated at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    tiles: int | Literal["auto"] = Field(
        "auto",
        description="Rows of tiles to search besides the whole frame, for small faces in "
        "large frames; columns follow the frame's aspect ratio. 1 searches the whole frame only; "
        "'auto' chooses the rows from each frame's size and min_face_px.",
    )
    min_face_px: float = Field(
        32.0, ge=8.0, le=1000.0,
        description="The smallest face (box height in frame pixels) the detector must find; "
        "with tiles = 'auto' it sets the tile size.",
    )
    tile_overlap: float = Field(
        0.25,
        ge=0.0,
        le=0.5,
        description="Fraction of a tile shared with its neighbour, so that a face on a seam is "
        "whole in one tile.",
    )
    refine: bool = Field(
        True,
        description="Before a face is recognised, look at it again on a crop at the model's "
        "resolution, for keypoints precise enough to align small faces (about 5 ms a face).",
    )
    refine_context: float = Field(
        3.0, ge=1.5, le=6.0,
        description="The refinement crop's side, in face-box sizes.",
    )
    refine_size: int = Field(
        192, ge=96, le=512, description="The refinement crop is scaled to this many pixels.",
    )
    nms_iou: float = Field(
        0.3,
        gt=0.0,
        le=1.0,
        description="Detections from different tiles overlapping more than this are one face.",
    )

    @field_validator("tiles")
    @classmethod
    def _tile_rows(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 8:
            raise ValueError(f"tiles must be 'auto' or 1..8 rows, got {value}")
        return value
