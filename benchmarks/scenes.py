"""The benchmark scenes: 720p and 1080p crowd videos with a known number of faces in view.

Rendered once to ``benchmarks/results/scenes/`` and reused while their spec is unchanged.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from lfr_framework.evaluation.scenes import (
    GroundTruth,
    SceneSpec,
    crowd_spec,
    render_scene,
    truth_path,
)
from lfr_framework.sample_photos import fetch_photos

#: The watchlist of every benchmark: entry id → (enrolled photo, identity).
WATCHLIST = {"WL-obama": ("obama", "obama")}
#: Seconds a face stays in view, roughly (a brisk walk across a 720p street camera).
IN_VIEW_S = 2.4
#: Frame width for each supported frame height (16:9).
WIDTHS = {720: 1280, 1080: 1920}


@dataclass(frozen=True, slots=True)
class SceneCase:
    """One scene of the benchmark: size, faces in view, length."""

    faces_in_view: int
    duration_s: float
    width: int = 1280
    height: int = 720
    seed: int = 11

    @classmethod
    def of(cls, height: int, faces_in_view: int, duration_s: float) -> SceneCase:
        """A 16:9 scene ``height`` pixels high (720 or 1080)."""
        if height not in WIDTHS:
            raise ValueError(f"scene height must be one of {sorted(WIDTHS)}, got {height}")
        return cls(faces_in_view, duration_s, width=WIDTHS[height], height=height)

    @property
    def name(self) -> str:
        """A short label, e.g. ``720p-5faces``."""
        return f"{self.height}p-{self.faces_in_view}faces"

    def spec(self) -> SceneSpec:
        """A crowd in which about a quarter of the passes are the watchlisted person."""
        total = max(self.faces_in_view + 3,
                    math.ceil(self.faces_in_view * (1.0 + self.duration_s / IN_VIEW_S)))
        watchlisted = max(2, round(total / 4))
        return crowd_spec(watchlisted, total - watchlisted, self.faces_in_view,
                          self.duration_s, width=self.width, height=self.height, seed=self.seed)


@dataclass(frozen=True, slots=True)
class RenderedScene:
    """A scene video on disk and its ground truth."""

    case: SceneCase
    video: Path
    truth: GroundTruth


def render(case: SceneCase, directory: Path) -> RenderedScene:
    """Render ``case`` into ``directory`` unless an identical render is already there."""
    spec = case.spec()
    digest = hashlib.sha256(repr(spec).encode()).hexdigest()[:12]
    directory.mkdir(parents=True, exist_ok=True)
    video = directory / f"{case.name}-{case.duration_s:g}s-{digest}.mp4"
    if video.is_file() and truth_path(video).is_file():
        return RenderedScene(case, video, GroundTruth.load(truth_path(video)))
    truth = render_scene(spec, fetch_photos(), video)
    return RenderedScene(case, video, truth)


def write_watchlist(directory: Path) -> Path:
    """One sub-folder per watchlist entry holding its enrolment photo; return the root."""
    photos = fetch_photos()
    for entry_id, (photo, _) in WATCHLIST.items():
        folder = directory / entry_id
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / photos[photo].name
        if not target.exists():
            target.write_bytes(photos[photo].read_bytes())
    return directory
