"""Render a scene spec to frames, or to an mp4 file with its ground-truth JSON beside it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from lfr_framework.errors import ConfigurationError, LFRError
from lfr_framework.evaluation.scenes.background import make_background
from lfr_framework.evaluation.scenes.degrade import Degrader
from lfr_framework.evaluation.scenes.faces import HeadCut, SpriteCache, load_heads, paste
from lfr_framework.evaluation.scenes.layout import Placement, frame_placements
from lfr_framework.evaluation.scenes.spec import SceneSpec
from lfr_framework.evaluation.scenes.truth import GroundTruth, compute_truth
from lfr_framework.imaging import require_cv2
from lfr_framework.types import BoundingBox, Image

FaceBoxes = Mapping[str, BoundingBox]


def truth_path(video: Path) -> Path:
    """Where :func:`render_scene` puts the truth of ``video``: ``x.mp4`` → ``x.truth.json``."""
    return video.with_suffix(".truth.json")


def ground_truth(spec: SceneSpec, photos: Mapping[str, Path],
                 face_boxes: FaceBoxes | None = None) -> GroundTruth:
    """The ground truth of ``spec`` without rendering it."""
    heads = load_heads(spec, photos, face_boxes)
    return compute_truth(spec, _aspects(heads))


def render_frames(spec: SceneSpec, photos: Mapping[str, Path],
                  face_boxes: FaceBoxes | None = None) -> Iterator[tuple[int, Image]]:
    """Yield ``(frame index, BGR uint8 image)`` for every frame of the scene.

    ``photos`` maps the photo names the passes use to files; each face box is found with
    OpenCV's Haar cascade unless ``face_boxes`` gives it (photo pixels). Problems with the
    photos are raised here, before the first frame.
    """
    heads = load_heads(spec, photos, face_boxes)
    return _frames(spec, heads)


def render_scene(spec: SceneSpec, photos: Mapping[str, Path], out_path: Path,
                 face_boxes: FaceBoxes | None = None) -> GroundTruth:
    """Write the scene as an mp4 (``mp4v``) to ``out_path`` and its ground truth beside it."""
    cv2 = require_cv2()
    heads = load_heads(spec, photos, face_boxes)
    truth = compute_truth(spec, _aspects(heads), video=out_path.name)
    if not out_path.parent.is_dir():
        raise ConfigurationError(f"cannot write {out_path}: {out_path.parent} is not a directory")
    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"), float(spec.fps),
                             (spec.width, spec.height))
    if not writer.isOpened():
        raise LFRError(f"OpenCV cannot write an mp4v video to {out_path}")
    try:
        for _, image in _frames(spec, heads):
            writer.write(image)
    finally:
        writer.release()
    truth.save(truth_path(out_path))
    return truth


def _aspects(heads: Mapping[str, HeadCut]) -> dict[str, float]:
    return {name: head.aspect for name, head in heads.items()}


def _frames(spec: SceneSpec, heads: Mapping[str, HeadCut]) -> Iterator[tuple[int, Image]]:
    background = make_background(spec.background, spec.width, spec.height, spec.seed)
    sprites = SpriteCache(heads, spec.motion_blur_px)
    aspects = _aspects(heads)
    colours = _torso_colours(spec)
    degrade = Degrader(spec)
    for frame in range(spec.frame_count):
        image = background.copy()
        for placement in frame_placements(spec, aspects, frame):
            _draw_torso(image, placement, colours[placement.pass_index])
            sprite = sprites.get(placement.photo, placement.face_height)
            paste(image, sprite, placement.sprite_x, placement.sprite_y)
        yield frame, degrade(image, frame)


# Clothing colours (BGR): navy, black, charcoal, grey, brown, olive, burgundy, denim, beige, teal.
_CLOTHES = ((80, 40, 30), (30, 30, 30), (60, 60, 64), (130, 130, 135), (40, 65, 100),
            (50, 100, 90), (50, 35, 120), (140, 95, 60), (150, 185, 205), (110, 110, 40))


def _torso_colours(spec: SceneSpec) -> list[tuple[float, float, float]]:
    colours = []
    for index in range(len(spec.passes)):
        rng = np.random.default_rng([spec.seed, index, 0x7050])
        base = _CLOTHES[int(rng.integers(len(_CLOTHES)))]
        b, g, r = (min(255.0, c * float(rng.uniform(0.8, 1.2))) for c in base)
        colours.append((b, g, r))
    return colours


def _draw_torso(image: Image, placement: Placement, colour: tuple[float, float, float]) -> None:
    cv2 = require_cv2()
    box = placement.torso
    cx, top, half = box.centre[0], box.y, box.width / 2.0
    shoulder = 0.22 * box.width
    cv2.ellipse(image, (round(cx), round(top + shoulder)), (round(half), round(shoulder)),
                0.0, 180.0, 360.0, colour, -1, cv2.LINE_AA)
    cv2.rectangle(image, (round(cx - half), round(top + shoulder)),
                  (round(cx + half), round(box.y + box.height)), colour, -1)
