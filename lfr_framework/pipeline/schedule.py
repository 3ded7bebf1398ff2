"""Detection scheduled across frames: the whole frame every frame, the tiles in turn.

A detector that finds small faces on tiles (a :class:`~lfr_framework.interfaces.
RegionDetector`) pays one model run per tile; a 1080p frame searched for 32-pixel faces
has 15 tiles. Faces stay in a tile for many frames (a walker crosses a 480-pixel tile in
about a second), so searching ``tiles_per_frame`` of them per frame, round-robin, finds
every face within ``ceil(tiles / tiles_per_frame)`` frames of its entering a tile, and the
tracker carries it between the frames its tile is searched. The whole frame, which finds
the large faces, is searched every ``whole_frame_every`` frames (2: measured at the same
pass TPIR as every frame on the street scene, a fifth less CPU).

A face just found on a tile is looked for again on the next frames (the tile nearest its
predicted centre, besides the round-robin) until the tracker has it ``min_hits`` times:
a track learns its velocity from consecutive frames, and with that velocity the tracker
predicts where the face is when its tile comes round again. Without it, a walker found
once would be met ``ceil(tiles / tiles_per_frame)`` frames later far from where the
tracker expects, and start a new track (a second recognition, a second alert).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, cast

import pydantic

from lfr_framework.interfaces import Detector, RegionDetector
from lfr_framework.types import Detection, Image, Region


class DetectionSettings(pydantic.BaseModel):
    """How often each part of a frame is searched (``[detection]`` in a deployment file)."""

    model_config = pydantic.ConfigDict(extra="forbid")

    tiles_per_frame: int | Literal["all"] = pydantic.Field(
        1, description="tiles searched per frame besides the whole frame, in turn, for a "
        "detector that searches tiles; 'all' searches every tile of every frame")
    whole_frame_every: int = pydantic.Field(
        2, ge=1, le=100, description="search the whole frame (which finds the large faces) "
        "every this many frames; 1: every frame")
    follow_new_faces: bool = pydantic.Field(
        True, description="search a new face's tile again on the next frames until the "
        "tracker has it min_hits times (its velocity known)")

    @pydantic.field_validator("tiles_per_frame")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"tiles_per_frame must be 'all' or at least 1, got {value}")
        return value


class DetectionSchedule:
    """One camera's round-robin over its detector's tiles (not thread-safe: one per camera)."""

    def __init__(self, settings: DetectionSettings) -> None:
        self.settings = settings
        self._size: tuple[int, int] | None = None
        self._tiles: list[Region] = []
        self._next = 0
        self._frames = 0
        #: Whether each detector seen is a RegionDetector (a protocol check is slow).
        self._regional: dict[int, bool] = {}

    def tiles(self, detector: RegionDetector, width: int, height: int,
              follow: Sequence[tuple[float, float]] = ()) -> list[Region]:
        """The tiles to search in this frame: the next ones in turn, then the tile nearest
        each point of ``follow`` (new faces' predicted centres) not already among them."""
        if self._size != (width, height):  # a new camera resolution: a new grid
            self._size = (width, height)
            self._tiles = list(detector.regions(width, height))
            self._next = 0
        count, per = len(self._tiles), self.settings.tiles_per_frame
        if per == "all" or per >= count:
            return list(self._tiles)
        picked = [self._tiles[(self._next + i) % count] for i in range(per)]
        self._next = (self._next + per) % count
        if self.settings.follow_new_faces:
            for x, y in follow:
                tile = nearest_tile(self._tiles, x, y)
                if tile is not None and not any(_holds(t, x, y) for t in picked):
                    picked.append(tile)
        return picked

    def cycle(self, detector: Detector, width: int, height: int) -> int:
        """Frames it takes to search every tile once (1 when all are searched every frame,
        or the detector searches no tiles)."""
        if not isinstance(detector, RegionDetector):
            return 1
        if self._size == (width, height):
            count = len(self._tiles)
        else:
            count = len(detector.regions(width, height))
        per = self.settings.tiles_per_frame
        return 1 if per == "all" or per >= count else math.ceil(count / per)

    def detect(self, detector: Detector, image: Image,
               follow: Sequence[tuple[float, float]] = ()) -> list[Detection]:
        """Faces of ``image`` found on the whole frame and this frame's tiles (every face
        the detector finds, for a detector that does not search tiles)."""
        regional = self._regional.get(id(detector))
        if regional is None:
            regional = self._regional[id(detector)] = isinstance(detector, RegionDetector)
        if not regional:
            return detector.detect(image)
        height, width = image.shape[:2]
        searcher = cast(RegionDetector, detector)
        tiles = self.tiles(searcher, width, height, follow)
        whole = self._frames % self.settings.whole_frame_every == 0 or not self._tiles
        self._frames += 1
        return searcher.detect_regions(image, tiles, whole)


def _holds(tile: Region, x: float, y: float) -> bool:
    """Whether the point lies in ``tile`` away from its edges (a face there is whole)."""
    mx, my = tile.width * 0.1, tile.height * 0.1
    return (tile.x + mx <= x < tile.x + tile.width - mx
            and tile.y + my <= y < tile.y + tile.height - my)


def nearest_tile(tiles: Sequence[Region], x: float, y: float) -> Region | None:
    """The tile whose centre is nearest the point (the face is most inside it)."""
    def distance(tile: Region) -> float:
        return ((tile.x + tile.width / 2 - x) / tile.width) ** 2 \
            + ((tile.y + tile.height / 2 - y) / tile.height) ** 2
    return min(tiles, key=distance, default=None)
