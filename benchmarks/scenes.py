"""The benchmark scenes: 720p and 1080p crowd videos with a known number of faces in view,
and the street camera: 1080p, 20 faces in view 40–120 px high, walkers crossing both ways
at different speeds and hiding each other (:func:`street_crowd_spec`).

Rendered once to ``benchmarks/results/scenes/`` and reused while their spec is unchanged.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from lfr_framework.evaluation.calibration_photos import fetch_calibration_photos
from lfr_framework.evaluation.scenes import (
    GroundTruth,
    SceneSpec,
    crowd_spec,
    render_scene,
    street_crowd_spec,
    truth_path,
)
from lfr_framework.imaging import image_files
from lfr_framework.sample_photos import fetch_photos

#: The watchlist of every benchmark: entry id → (enrolled photo, identity).
WATCHLIST = {"WL-obama": ("obama", "obama")}
#: Seconds a face stays in view, roughly (a brisk walk across a 720p street camera).
IN_VIEW_S = 2.4
#: Frame width for each supported frame height (16:9).
WIDTHS = {720: 1280, 1080: 1920}
#: The street scene's walkers: Obama's two other photos are the watchlisted passes (the
#: watchlist holds ``obama.jpg``); the crowd is the other pinned people and the first
#: :data:`STREET_PORTRAITS` portraits of the calibration photo set, by name.
STREET_WATCHLISTED = ("obama2", "obama3")
STREET_PINNED_CROWD = ("biden", "grace_hopper", "astronaut")
STREET_PORTRAITS = 40
#: Watchlisted passes of the street scene per 4 s of it.
STREET_PASSES_PER_4S = 8


@dataclass(frozen=True, slots=True)
class SceneCase:
    """One scene of the benchmark: size, faces in view, length."""

    faces_in_view: int
    duration_s: float
    width: int = 1280
    height: int = 720
    seed: int = 11
    #: ``crowd`` (tidy rows of large faces) or ``street`` (:func:`street_crowd_spec`).
    kind: str = "crowd"

    @classmethod
    def of(cls, height: int, faces_in_view: int, duration_s: float) -> SceneCase:
        """A 16:9 scene ``height`` pixels high (720 or 1080)."""
        if height not in WIDTHS:
            raise ValueError(f"scene height must be one of {sorted(WIDTHS)}, got {height}")
        return cls(faces_in_view, duration_s, width=WIDTHS[height], height=height)

    @classmethod
    def street(cls, duration_s: float) -> SceneCase:
        """The 1080p street camera: 20 faces in view, 40–120 px."""
        return cls(20, duration_s, width=1920, height=1080, seed=5, kind="street")

    @property
    def name(self) -> str:
        """A short label, e.g. ``720p-5faces`` or ``street-1080p``."""
        if self.kind == "street":
            return f"street-{self.height}p"
        return f"{self.height}p-{self.faces_in_view}faces"

    def spec(self) -> SceneSpec:
        """A crowd in which about a quarter of the passes are the watchlisted person (the
        street: :data:`STREET_PASSES_PER_4S` watchlisted passes per 4 s among ~20 in view)."""
        if self.kind == "street":
            crowd = [*STREET_PINNED_CROWD, *street_portraits()]
            return street_crowd_spec(
                STREET_WATCHLISTED, crowd,
                watchlisted_passes=max(2, round(STREET_PASSES_PER_4S * self.duration_s / 4)),
                duration_s=self.duration_s, identities=dict.fromkeys(STREET_WATCHLISTED, "obama"),
                seed=self.seed)
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


def street_portraits() -> dict[str, Path]:
    """The calibration set's first :data:`STREET_PORTRAITS` people by name: their portrait."""
    root = fetch_calibration_photos().root
    people = sorted(p for p in root.iterdir() if p.is_dir())[:STREET_PORTRAITS]
    return {p.name: image_files(p)[0] for p in people}


def scene_photos(case: SceneCase) -> dict[str, Path]:
    """Every photo the scene's walkers may show."""
    photos = dict(fetch_photos())
    if case.kind == "street":
        photos.update(street_portraits())
    return photos


def render(case: SceneCase, directory: Path) -> RenderedScene:
    """Render ``case`` into ``directory`` unless an identical render is already there."""
    spec = case.spec()
    digest = hashlib.sha256(repr(spec).encode()).hexdigest()[:12]
    directory.mkdir(parents=True, exist_ok=True)
    video = directory / f"{case.name}-{case.duration_s:g}s-{digest}.mp4"
    if video.is_file() and truth_path(video).is_file():
        return RenderedScene(case, video, GroundTruth.load(truth_path(video)))
    truth = render_scene(spec, scene_photos(case), video)
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
