"""Build crowd scenes that keep about a given number of faces in view at once."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lfr_framework.errors import ConfigurationError
from lfr_framework.evaluation.scenes.layout import in_view_offsets
from lfr_framework.evaluation.scenes.spec import Pass, SceneSpec
from lfr_framework.sample_photos import PHOTOS

#: A face must stay in view at least this long; faster crowds are refused.
MIN_IN_VIEW_S = 0.8
#: Face heights in rows, as fractions of the row spacing and of the frame height.
_ROW_FILL = 0.68
_MAX_FACE_FRAC = 0.3
_MIN_FACE_PX = 16


@dataclass(frozen=True, slots=True)
class _Row:
    walkers: int
    passes: int
    face_height: float
    y_frac: float
    direction: int


def crowd_spec(n_watchlisted_passes: int, n_crowd_passes: int, faces_in_view: int,
               duration_s: float, width: int = 1280, height: int = 720, seed: int = 0,
               watchlisted: Sequence[str] = ("obama2", "obama3"),
               crowd: Sequence[str] = ("biden", "grace_hopper", "astronaut"),
               fps: float = 25.0, background: str = "street",
               identities: Mapping[str, str] | None = None) -> SceneSpec:
    """A scene of ``n_watchlisted_passes + n_crowd_passes`` passes with about ``faces_in_view``
    faces in view at any time.

    Walkers move in rows (smaller, farther faces higher up, rows alternating direction);
    the walkers of a row are evenly spaced, so faces never overlap. Passes of photos in
    ``watchlisted`` and ``crowd`` are shuffled over the scene by ``seed``. Identities come
    from ``identities``, else the pinned sample photos (``obama2`` → ``obama``), else the
    photo name. Apply degradations with ``dataclasses.replace(spec, blur=…)``.
    """
    total = n_watchlisted_passes + n_crowd_passes
    _require(faces_in_view >= 1, f"faces_in_view must be >= 1, got {faces_in_view}")
    _require(n_watchlisted_passes >= 0 and n_crowd_passes >= 0, "pass counts must be >= 0")
    _require(duration_s > 0, f"duration_s must be > 0, got {duration_s}")
    _require(not n_watchlisted_passes or bool(watchlisted), "no watchlisted photos given")
    _require(not n_crowd_passes or bool(crowd), "no crowd photos given")
    rows = _rows(faces_in_view, total, width, height)
    rng = np.random.default_rng([seed, 0xC40D])
    slots: list[tuple[float, Pass]] = []
    for row in rows:
        slots.extend(_row_passes(row, duration_s, width, float(rng.uniform(0.25, 0.75))))
    slots.sort(key=lambda s: s[0])
    photos = [watchlisted[i % len(watchlisted)] for i in range(n_watchlisted_passes)]
    photos += [crowd[i % len(crowd)] for i in range(n_crowd_passes)]
    order = rng.permutation(len(photos))
    names = _identities(identities)
    passes = []
    for (_, slot), pick in zip(slots, order, strict=True):
        photo = photos[int(pick)]
        passes.append(Pass(identity=names.get(photo, photo), photo=photo, start_s=slot.start_s,
                           duration_s=slot.duration_s, face_height_px=slot.face_height_px,
                           y_frac=slot.y_frac, direction=slot.direction))
    return SceneSpec(duration_s=duration_s, passes=passes, width=width, height=height, fps=fps,
                     seed=seed, background=background)


def _rows(faces: int, total: int, width: int, height: int) -> list[_Row]:
    count = min(faces, max(1, round(math.sqrt(faces * height / width * 1.5))))
    _require(total >= faces + count,
             f"{faces} faces in view need at least {faces + count} passes, got {total}")
    walkers = [faces // count + (1 if r < faces % count else 0) for r in range(count)]
    extra = _share(total - faces - count, walkers)
    rows = []
    for r in range(count):
        perspective = 0.75 + 0.25 * r / (count - 1) if count > 1 else 1.0
        cap = min(_ROW_FILL * height / count, 0.55 * width / walkers[r], _MAX_FACE_FRAC * height)
        face = round(cap * perspective, 1)
        _require(face >= _MIN_FACE_PX,
                 f"{faces} faces in view do not fit a {width}x{height} frame")
        rows.append(_Row(walkers=walkers[r], passes=walkers[r] + 1 + extra[r], face_height=face,
                         y_frac=(r + 0.5) / count, direction=1 if r % 2 == 0 else -1))
    return rows


def _share(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights`` (largest remainders)."""
    exact = [amount * w / sum(weights) for w in weights]
    out = [int(e) for e in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (out[i] - exact[i], i))
    for i in by_remainder[: amount - sum(out)]:
        out[i] += 1
    return out


def _row_passes(row: _Row, duration_s: float, width: int, phase: float
                ) -> list[tuple[float, Pass]]:
    """A row is a conveyor: windows in view of length ``walkers * step``, one every ``step``."""
    step = duration_s / (row.passes - row.walkers)
    window = row.walkers * step
    _require(window >= MIN_IN_VIEW_S,
             f"faces would be in view for only {window:.2f} s (< {MIN_IN_VIEW_S} s); use fewer "
             "passes, more faces in view or a longer duration")
    before, in_view, travel = in_view_offsets(width, row.face_height)
    speed = in_view / window
    out = []
    for i in range(row.passes):
        window_start = -window + phase * step + i * step
        start = window_start - before / speed
        out.append((window_start, Pass(identity="-", photo="-", start_s=round(start, 4),
                                       duration_s=round(travel / speed, 4),
                                       face_height_px=row.face_height, y_frac=row.y_frac,
                                       direction=row.direction)))
    return out


def _identities(extra: Mapping[str, str] | None) -> dict[str, str]:
    names = {p.name: p.identity for p in PHOTOS if p.identity is not None}
    names.update(extra or {})
    return names


def _require(ok: bool, problem: str) -> None:
    if not ok:
        raise ConfigurationError(f"crowd_spec: {problem}")
