"""Ground truth of a rendered scene: which face is where, in which frames, as a JSON file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lfr_framework.errors import ConfigurationError
from lfr_framework.evaluation.scenes.layout import (
    IN_VIEW_FRACTION,
    frame_placements,
    visible_fraction,
)
from lfr_framework.evaluation.scenes.spec import SceneSpec
from lfr_framework.types import BoundingBox

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class PassTruth:
    """One pass of the scene and the frames in which its face is (mostly) in view.

    ``first_frame``/``last_frame`` (and the matching ``first_s``/``last_s``) are ``None``
    when the face is never in view during the scene. ``boxes`` maps each in-view frame
    to the face box in that frame; a pass hidden for a while has gaps there.
    """

    index: int
    identity: str
    photo: str
    direction: int
    face_height_px: float
    end_face_height_px: float
    first_frame: int | None
    last_frame: int | None
    first_s: float | None
    last_s: float | None
    boxes: dict[int, BoundingBox] = field(repr=False)

    @property
    def in_view(self) -> bool:
        """Whether the face is in view in at least one frame."""
        return bool(self.boxes)


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """What a scene shows, per pass; ``spec`` re-renders the very same scene."""

    spec: SceneSpec
    passes: list[PassTruth]
    video: str | None = None
    in_view_fraction: float = IN_VIEW_FRACTION

    @property
    def frame_count(self) -> int:
        """How many frames the scene has."""
        return self.spec.frame_count

    def faces_in_view(self, frame: int) -> list[tuple[PassTruth, BoundingBox]]:
        """The passes whose face is in view in ``frame``, with its box."""
        return [(p, p.boxes[frame]) for p in self.passes if frame in p.boxes]

    def counts_in_view(self) -> list[int]:
        """How many faces are in view in each frame."""
        counts = [0] * self.frame_count
        for item in self.passes:
            for frame in item.boxes:
                counts[frame] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The ground truth as JSON-ready values."""
        return {
            "format_version": FORMAT_VERSION,
            "video": self.video,
            "width": self.spec.width,
            "height": self.spec.height,
            "fps": self.spec.fps,
            "frame_count": self.frame_count,
            "in_view_fraction": self.in_view_fraction,
            "spec": self.spec.to_dict(),
            "passes": [_pass_to_dict(p) for p in self.passes],
        }

    def save(self, path: Path) -> None:
        """Write the ground truth as JSON to ``path``."""
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        """Read a ground-truth file written by :meth:`save`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format_version {data.get('format_version')!r} is not "
                                 f"{FORMAT_VERSION}")
            return cls(spec=SceneSpec.from_dict(data["spec"]),
                       passes=[_pass_from_dict(p) for p in data["passes"]],
                       video=data.get("video"), in_view_fraction=float(data["in_view_fraction"]))
        except OSError as exc:
            raise ConfigurationError(f"cannot read ground truth {path}: {exc}") from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigurationError(f"{path} is not a scene ground-truth file: {exc}") from exc


def compute_truth(spec: SceneSpec, aspects: Mapping[str, float], video: str | None = None
                  ) -> GroundTruth:
    """Work out from the spec alone where each face is in view (no pixels are drawn)."""
    boxes: list[dict[int, BoundingBox]] = [{} for _ in spec.passes]
    for frame in range(spec.frame_count):
        placed = frame_placements(spec, aspects, frame)
        for order, target in enumerate(placed):
            seen = visible_fraction(target, placed[order + 1:], spec.width, spec.height)
            if seen >= IN_VIEW_FRACTION:
                face = target.face
                boxes[target.pass_index][frame] = BoundingBox(
                    round(face.x, 2), round(face.y, 2), round(face.width, 2), round(face.height, 2))
    passes = []
    for index, (item, found) in enumerate(zip(spec.passes, boxes, strict=True)):
        first = min(found) if found else None
        last = max(found) if found else None
        passes.append(PassTruth(
            index=index, identity=item.identity, photo=item.photo, direction=item.direction,
            face_height_px=item.face_height_px,
            end_face_height_px=item.face_height_at(1.0),
            first_frame=first, last_frame=last,
            first_s=None if first is None else first / spec.fps,
            last_s=None if last is None else last / spec.fps,
            boxes=found))
    return GroundTruth(spec=spec, passes=passes, video=video)


def _pass_to_dict(item: PassTruth) -> dict[str, Any]:
    return {
        "index": item.index, "identity": item.identity, "photo": item.photo,
        "direction": item.direction, "face_height_px": item.face_height_px,
        "end_face_height_px": item.end_face_height_px,
        "first_frame": item.first_frame, "last_frame": item.last_frame,
        "first_s": item.first_s, "last_s": item.last_s,
        # [frame, x, y, width, height] of the face box in each in-view frame
        "boxes": [[f, b.x, b.y, b.width, b.height] for f, b in sorted(item.boxes.items())],
    }


def _pass_from_dict(data: dict[str, Any]) -> PassTruth:
    boxes = {int(f): BoundingBox(float(x), float(y), float(w), float(h))
             for f, x, y, w, h in data["boxes"]}
    return PassTruth(
        index=int(data["index"]), identity=str(data["identity"]), photo=str(data["photo"]),
        direction=int(data["direction"]), face_height_px=float(data["face_height_px"]),
        end_face_height_px=float(data["end_face_height_px"]),
        first_frame=data["first_frame"], last_frame=data["last_frame"],
        first_s=data["first_s"], last_s=data["last_s"], boxes=boxes)
