"""The tile grid covers the frame with the promised overlap; merging removes duplicates."""

from __future__ import annotations

import numpy as np
import pytest
from lfr_mediapipe.tiling import MIN_TILE, Tile, merge_detections, tile_grid

from lfr_framework.types import BoundingBox, Detection


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080), (3840, 2160)])
@pytest.mark.parametrize("rows", [2, 3, 4])
@pytest.mark.parametrize("overlap", [0.0, 0.25, 0.5])
def test_grid_covers_frame(width: int, height: int, rows: int, overlap: float) -> None:
    tiles = tile_grid(width, height, rows, overlap)
    covered = np.zeros((height, width), np.uint8)
    for t in tiles:
        assert t.width >= MIN_TILE and t.height >= MIN_TILE
        assert t.x >= 0 and t.y >= 0 and t.x + t.width <= width and t.y + t.height <= height
        covered[t.y : t.y + t.height, t.x : t.x + t.width] = 1
    assert covered.all()
    assert 0.6 < tiles[0].width / tiles[0].height < 1.7  # near-square


def test_neighbours_share_the_overlap() -> None:
    tiles = tile_grid(1920, 1080, 2, 0.25)
    first, second = tiles[0], tiles[1]
    assert second.y == first.y
    shared = first.x + first.width - second.x
    assert shared == pytest.approx(0.25 * first.width, abs=1)


def test_small_frames_get_fewer_tiles() -> None:
    assert tile_grid(512, 512, 3, 0.25) == [
        Tile(0, 0, 293, 293), Tile(219, 0, 293, 293),
        Tile(0, 219, 293, 293), Tile(219, 219, 293, 293),
    ]
    assert tile_grid(300, 200, 4, 0.25) == [Tile(0, 0, 300, 200)]


def _det(x: float, y: float, size: float, score: float) -> Detection:
    return Detection(BoundingBox(x, y, size, size), score)


def test_merge_keeps_best_of_overlapping_and_separate_faces() -> None:
    same_a = _det(100, 100, 50, 0.9)
    same_b = _det(104, 102, 50, 0.8)  # the same face seen in a neighbouring tile
    cut = _det(80, 80, 60, 0.6)  # a face cut by a tile edge, mostly inside same_a's region
    other = _det(400, 100, 50, 0.7)
    merged = merge_detections([same_b, cut, other, same_a], iou=0.3)
    assert merged == [same_a, other]


def test_merge_keeps_faces_side_by_side() -> None:
    left, right = _det(100, 100, 50, 0.9), _det(140, 100, 50, 0.8)  # 10 px overlap
    assert merge_detections([left, right], iou=0.3) == [left, right]
