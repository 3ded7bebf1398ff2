"""Where each pass is in each frame: pure geometry shared by the renderer and the ground truth.

A walker is a head sprite cut from a photo around its face box, plus a plain torso below.
Sizes are multiples of the face box: the sprite is ``HEAD_W`` face widths wide and
``HEAD_H`` face heights tall, with the face box ``FACE_LEFT`` face widths from its left
and ``FACE_TOP`` face heights from its top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lfr_framework.evaluation.scenes.spec import Pass, SceneSpec
from lfr_framework.types import BoundingBox

HEAD_W = 1.5
HEAD_H = 1.9
FACE_LEFT = 0.25
FACE_TOP = 0.5
#: The mostly opaque middle of the head sprite's elliptical mask, as a fraction of its size.
HEAD_OPAQUE = 0.63
TORSO_W = 1.9
TORSO_GAP = 0.12  # face heights between the face box's bottom and the torso's top
TORSO_H = 1.8
#: A face counts as in view when at least this fraction of its box is visible.
IN_VIEW_FRACTION = 0.75


@dataclass(frozen=True, slots=True)
class Placement:
    """One walker in one frame: its sprite's size and position, face box and torso box."""

    pass_index: int
    photo: str
    face_height: int
    sprite_x: int
    sprite_y: int
    sprite_w: int
    sprite_h: int
    face: BoundingBox
    head: BoundingBox
    torso: BoundingBox


def sprite_size(face_height: int, aspect: float) -> tuple[int, int]:
    """``(width, height)`` of the head sprite for a face this many pixels tall."""
    return max(2, round(HEAD_W * face_height * aspect)), max(2, round(HEAD_H * face_height))


def half_extent(item: Pass, aspect: float) -> float:
    """Half the walker's widest extent, so a pass starts and ends fully outside the frame."""
    biggest = max(item.face_height_px, item.end_face_height_px or item.face_height_px)
    return max(HEAD_W, TORSO_W) * biggest * aspect / 2.0 + 2.0


def place(spec: SceneSpec, index: int, aspect: float, frame: int) -> Placement | None:
    """Where pass ``index`` is in ``frame``, or ``None`` when it is not under way."""
    item = spec.passes[index]
    u = (frame / spec.fps - item.start_s) / item.duration_s
    if not 0.0 <= u <= 1.0:
        return None
    extent = half_extent(item, aspect)
    travel = spec.width + 2.0 * extent
    cx = -extent + u * travel if item.direction > 0 else spec.width + extent - u * travel
    face_height = max(8, round(item.face_height_at(u)))
    sw, sh = sprite_size(face_height, aspect)
    fw, fh = sw / HEAD_W, sh / HEAD_H
    sprite_x = round(cx - sw / 2.0)
    sprite_y = round(item.y_frac * spec.height - fh / 2.0 - FACE_TOP * fh)
    face = BoundingBox(sprite_x + FACE_LEFT * fw, sprite_y + FACE_TOP * fh, fw, fh)
    rim = (1.0 - HEAD_OPAQUE) / 2.0
    head = BoundingBox(sprite_x + rim * sw, sprite_y + rim * sh, HEAD_OPAQUE * sw, HEAD_OPAQUE * sh)
    torso = BoundingBox(face.centre[0] - TORSO_W * fw / 2.0, face.y + fh * (1.0 + TORSO_GAP),
                        TORSO_W * fw, TORSO_H * fh)
    return Placement(index, item.photo, face_height, sprite_x, sprite_y, sw, sh, face, head, torso)


def frame_placements(spec: SceneSpec, aspects: Mapping[str, float], frame: int) -> list[Placement]:
    """Every walker under way in ``frame``, in drawing order (smaller, farther faces first)."""
    found = [place(spec, i, aspects[p.photo], frame) for i, p in enumerate(spec.passes)]
    placed = [p for p in found if p is not None]
    placed.sort(key=lambda p: (p.face_height, p.pass_index))
    return placed


def visible_fraction(target: Placement, drawn_later: list[Placement], width: int,
                     height: int) -> float:
    """How much of ``target``'s face box is inside the frame and not covered by later walkers.

    Cover is estimated from the later walkers' face, head and torso boxes (overlaps summed,
    so it errs towards calling a face hidden).
    """
    box = target.face
    frame = BoundingBox(0.0, 0.0, float(width), float(height))
    inside = _overlap(box, frame) / box.area
    covered = sum(_overlap(box, _union_part(other.face, other.head)) + _overlap(box, other.torso)
                  for other in drawn_later)
    return inside * max(0.0, 1.0 - covered / box.area)


def in_view_offsets(width: int, face_height: float,
                    aspect: float = 1.0) -> tuple[float, float, float]:
    """For a constant-size pass: ``(distance before in view, distance in view, total travel)``.

    Only the frame edges are considered (no occlusion): the face is in view while at
    least ``IN_VIEW_FRACTION`` of its box's width is inside the frame.
    """
    face_w = face_height * aspect
    item = Pass(identity="x", photo="x", start_s=0.0, duration_s=1.0,
                face_height_px=face_height, y_frac=0.5)
    extent = half_extent(item, aspect)
    margin = (0.5 - (1.0 - IN_VIEW_FRACTION)) * face_w  # face centre's distance from the edge
    return extent + margin, width - 2.0 * margin, width + 2.0 * extent


def _overlap(a: BoundingBox, b: BoundingBox) -> float:
    w = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    h = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    return max(w, 0.0) * max(h, 0.0)


def _union_part(face: BoundingBox, head: BoundingBox) -> BoundingBox:
    """The face box and the opaque head box together (they overlap; their hull is close)."""
    left, top = min(face.x, head.x), min(face.y, head.y)
    right = max(face.x + face.width, head.x + head.width)
    bottom = max(face.y + face.height, head.y + head.height)
    return BoundingBox(left, top, right - left, bottom - top)
