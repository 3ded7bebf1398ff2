"""Tiles for searching large frames, and merging the detections found in them."""

from __future__ import annotations

from collections.abc import Sequence

from lfr_framework.types import Detection, Region

#: A rectangle of the frame, in pixels: ``frame[y:y + height, x:x + width]``.
Tile = Region


#: Tiles are never smaller than this many pixels on a side: BlazeFace's input is 128 or
#: 192 pixels, so a smaller tile would only be upsampled (and invites false detections).
MIN_TILE = 256


#: BlazeFace finds a face reliably when the tile it looks at is at most this many times the
#: face's height (measured on street stills; docs/evaluation.md): a 192-pixel input then
#: shows the face at 12 pixels or more.
TILE_PER_FACE = 16.0
#: ``tiles = "auto"`` never goes beyond this many rows.
MAX_AUTO_ROWS = 4


def auto_rows(width: int, height: int, min_face_px: float, overlap: float) -> int:
    """The fewest rows of tiles whose tiles are small enough to show a face of
    ``min_face_px`` to BlazeFace (1: the whole frame is enough)."""
    limit = TILE_PER_FACE * min_face_px
    if max(width, height) <= limit:
        return 1
    for rows in range(2, MAX_AUTO_ROWS + 1):
        grid = tile_grid(width, height, rows, overlap)
        if max(max(t.width, t.height) for t in grid) <= limit:
            return rows
    return MAX_AUTO_ROWS


def _span_size(length: int, count: int, overlap: float) -> float:
    return length / (1.0 + (count - 1) * (1.0 - overlap))


def _fit(length: int, count: int, overlap: float) -> int:
    """``count`` reduced until each span is at least :data:`MIN_TILE` long."""
    while count > 1 and _span_size(length, count, overlap) < MIN_TILE:
        count -= 1
    return count


def _spans(length: int, count: int, overlap: float) -> list[tuple[int, int]]:
    """``count`` (start, size) spans covering ``length``, neighbours sharing ``overlap``."""
    if count <= 1:
        return [(0, length)]
    size = _span_size(length, count, overlap)
    step = size * (1.0 - overlap)
    spans = []
    for i in range(count):
        start = round(i * step)
        end = length if i == count - 1 else min(round(i * step + size), length)
        spans.append((start, end - start))
    return spans


def tile_grid(width: int, height: int, rows: int, overlap: float) -> list[Tile]:
    """Overlapping tiles over a ``width`` x ``height`` frame: ``rows`` rows, near-square tiles.

    With ``rows`` of 1 the grid is the whole frame alone. Rows and columns are reduced so
    that no tile is smaller than :data:`MIN_TILE` pixels.
    """
    cols = _fit(width, max(1, round(rows * width / height)), overlap)
    rows = _fit(height, rows, overlap)
    return [
        Tile(x, y, w, h)
        for y, h in _spans(height, rows, overlap)
        for x, w in _spans(width, cols, overlap)
    ]


def _overlap(a: Detection, b: Detection) -> tuple[float, float]:
    """IoU of the two boxes, and their intersection over the smaller box."""
    left = max(a.box.x, b.box.x)
    top = max(a.box.y, b.box.y)
    right = min(a.box.x + a.box.width, b.box.x + b.box.width)
    bottom = min(a.box.y + a.box.height, b.box.y + b.box.height)
    inter = max(right - left, 0.0) * max(bottom - top, 0.0)
    if inter <= 0.0:
        return 0.0, 0.0
    union = a.box.area + b.box.area - inter
    smaller = min(a.box.area, b.box.area)
    return inter / union, inter / smaller


def merge_detections(
    detections: Sequence[Detection], iou: float, containment: float = 0.4
) -> list[Detection]:
    """Greedy NMS over detections from several tiles, best score first.

    A detection is dropped when it overlaps a kept one by more than ``iou``, or when
    more than ``containment`` of the smaller box lies inside the other (a face cut by a
    tile's edge, seen whole elsewhere).
    """
    kept: list[Detection] = []
    for candidate in sorted(detections, key=lambda d: d.score, reverse=True):
        if all(
            o_iou <= iou and o_small <= containment
            for o_iou, o_small in (_overlap(candidate, k) for k in kept)
        ):
            kept.append(candidate)
    return kept
