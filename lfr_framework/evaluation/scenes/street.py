"""Street-camera crowds: many people at realistic sizes, crossing each other.

Unlike :func:`~lfr_framework.evaluation.scenes.crowd.crowd_spec` (tidy rows that never
overlap), a street crowd draws each walker's face size from a range (log-uniform: a camera
sees more far faces than near ones), puts bigger faces lower in the frame (perspective),
sends walkers both ways at different speeds so they cross and hide each other for a while
(occlusion is in the ground truth), and has some walk towards the camera (faces growing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lfr_framework.errors import ConfigurationError
from lfr_framework.evaluation.scenes.layout import in_view_offsets
from lfr_framework.evaluation.scenes.spec import Pass, SceneSpec


@dataclass(frozen=True, slots=True)
class StreetCrowd:
    """What a street crowd looks like (the defaults: a busy 1080p street camera)."""

    faces_in_view: int = 20
    min_face_px: float = 40.0
    max_face_px: float = 120.0
    width: int = 1920
    height: int = 1080
    fps: float = 25.0
    #: Seconds a walker's face takes to cross the frame, at the slowest and fastest.
    crossing_s: tuple[float, float] = (4.0, 8.0)
    #: Share of walkers who approach the camera (their face grows by a third).
    approaching: float = 0.2


def street_crowd_spec(watchlisted: Sequence[str], crowd: Sequence[str],
                      watchlisted_passes: int, duration_s: float,
                      identities: Mapping[str, str] | None = None,
                      look: StreetCrowd = StreetCrowd(), seed: int = 0,
                      background: str = "street") -> SceneSpec:
    """A scene of about ``look.faces_in_view`` faces in view, ``watchlisted_passes`` of its
    passes by the ``watchlisted`` photos, the rest by ``crowd`` photos (each used in turn,
    shuffled by ``seed``). ``identities`` maps photo names to people (default: the name)."""
    _require(duration_s > 0, f"duration_s must be > 0, got {duration_s}")
    _require(look.faces_in_view >= 1, "faces_in_view must be >= 1")
    _require(8 <= look.min_face_px <= look.max_face_px, "need 8 <= min_face_px <= max_face_px")
    _require(bool(crowd), "no crowd photos given")
    _require(not watchlisted_passes or bool(watchlisted), "no watchlisted photos given")
    rng = np.random.default_rng([seed, 0x57EE7])
    mean_crossing = sum(look.crossing_s) / 2.0
    total = max(watchlisted_passes + 1,
                math.ceil(look.faces_in_view * (duration_s + mean_crossing) / mean_crossing))
    photos = [watchlisted[i % len(watchlisted)] for i in range(watchlisted_passes)]
    pool = [crowd[i] for i in rng.permutation(len(crowd))]
    photos += [pool[i % len(pool)] for i in range(total - watchlisted_passes)]
    order = rng.permutation(len(photos))
    names = dict(identities or {})
    passes = []
    log_min, log_max = math.log(look.min_face_px), math.log(look.max_face_px)
    for pick in order:
        photo = photos[int(pick)]
        size = math.exp(rng.uniform(log_min, log_max))
        depth = (math.log(size) - log_min) / max(log_max - log_min, 1e-9)
        y_frac = min(max(0.22 + 0.5 * depth + rng.normal(0.0, 0.04), 0.08), 0.85)
        crossing = float(rng.uniform(*look.crossing_s))
        before, in_view, travel = in_view_offsets(look.width, size)
        pass_s = crossing * travel / in_view
        # Watchlisted walkers enter while the scene can still see all of their pass.
        latest = duration_s - crossing if int(pick) < watchlisted_passes else duration_s
        start = float(rng.uniform(-pass_s * 0.8, max(latest - before / travel * pass_s, 0.1)))
        grows = rng.uniform() < look.approaching
        passes.append(Pass(
            identity=names.get(photo, photo), photo=photo, start_s=round(start, 4),
            duration_s=round(pass_s, 4), face_height_px=round(size, 1),
            end_face_height_px=round(min(size * 4 / 3, look.max_face_px * 1.34), 1)
            if grows else None,
            y_frac=round(y_frac, 4), direction=1 if rng.uniform() < 0.5 else -1))
    return SceneSpec(duration_s=duration_s, passes=passes, width=look.width,
                     height=look.height, fps=look.fps, seed=seed, background=background)


def _require(ok: bool, problem: str) -> None:
    if not ok:
        raise ConfigurationError(f"street_crowd_spec: {problem}")
