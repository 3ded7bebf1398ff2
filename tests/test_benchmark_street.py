"""The street scene of the benchmark and the peers' cool-down (benchmarks/): what the
figures of docs/performance.md section 1 stand on."""

from __future__ import annotations

from benchmarks.peer_loop import seen_here
from benchmarks.scenes import STREET_WATCHLISTED, SceneCase
from lfr_framework.types import BoundingBox


def test_the_street_scene_is_a_1080p_crowd_of_street_sized_faces() -> None:
    case = SceneCase.street(4.0)
    spec = case.spec()
    assert (spec.width, spec.height, spec.fps) == (1920, 1080, 25.0)
    assert case.name == "street-1080p" and case.kind == "street"
    heights = [p.face_height_px for p in spec.passes]
    assert min(heights) >= 40 and max(heights) <= 120
    watchlisted = [p for p in spec.passes if p.identity == "obama"]
    assert len(watchlisted) == 8 and {p.photo for p in watchlisted} <= set(STREET_WATCHLISTED)
    assert {p.direction for p in spec.passes} == {1, -1}  # walkers cross each other
    assert SceneCase.street(8.0).spec() != spec


def box(x: float, y: float, size: float = 60.0) -> BoundingBox:
    return BoundingBox(x, y, size, size)


def test_a_peer_alerts_each_face_once_per_cooldown_but_two_passes_of_one_person_each() -> None:
    places: list[tuple[float, float, float, float]] = []
    assert not seen_here(places, 0.0, box(100, 500), 0.5)   # a first alert
    assert seen_here(places, 0.04, box(120, 500), 0.5)      # the same walker, moved on
    assert seen_here(places, 0.08, box(140, 505), 0.5)
    assert not seen_here(places, 0.1, box(1500, 300), 0.5)  # the same person, another pass
    assert not seen_here(places, 0.6, box(160, 505), 0.5)   # the cool-down is over
