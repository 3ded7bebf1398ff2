"""Detection scheduled across frames, with the real MediaPipe detector: the whole frame every
frame, tiles in turn, the tracker carrying faces between the frames their tile is searched."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from lfr_framework.config import parse_config
from lfr_framework.deployment import build_deployment
from lfr_framework.errors import ConfigurationError
from lfr_framework.evaluation.scenes import Pass
from lfr_framework.interfaces import RegionDetector
from lfr_framework.models.store import ModelStore
from lfr_framework.pipeline.schedule import DetectionSchedule, DetectionSettings
from lfr_framework.types import Alert, Detection, Image, Region
from tests.conftest import make_default_host
from tests.pipeline_helpers import ComponentsPlugin, MemoryCamera, scene_frames

FULL_HD = (1920, 1080)
#: Places where only a tile can find a 40 px face (the whole 1080p frame shows it at 4 px).
PLACES = [(0.05, 0.08), (0.5, 0.5), (0.93, 0.9), (0.3, 0.7), (0.72, 0.2)]


@pytest.fixture(scope="module")
def detector(model_store: ModelStore) -> Iterator[Any]:
    made = make_default_host().detectors.create("mediapipe", {}, "test", models=model_store)
    assert isinstance(made, RegionDetector)
    yield made
    made.close()


@pytest.fixture(scope="module")
def face(real_photos: dict[str, Path]) -> Image:
    image = cv2.imread(str(real_photos["grace_hopper"]))
    return np.ascontiguousarray(image[120:360, 150:390])


def pasted(face: Image, size: int, at: tuple[float, float]) -> tuple[Image, tuple[int, int]]:
    width, height = FULL_HD
    frame = np.full((height, width, 3), 90, np.uint8)
    x, y = int(at[0] * (width - size)), int(at[1] * (height - size))
    frame[y:y + size, x:x + size] = cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA)
    return frame, (x, y)


def at_face(found: list[Detection], x: int, y: int, size: int) -> Detection | None:
    return next((d for d in found if abs(d.box.centre[0] - (x + size / 2)) < size / 2
                 and abs(d.box.centre[1] - (y + size / 2)) < size / 2), None)


@pytest.mark.parametrize("per", [1, 2, 4, 15])
def test_a_schedule_of_k_tiles_a_frame_covers_every_tile_in_ceil_n_over_k_frames(
    detector: Any, per: int
) -> None:
    tiles = detector.regions(*FULL_HD)
    assert len(tiles) == 15  # 3 rows of 5 for 32 px faces (min_face_px) at 1080p
    schedule = DetectionSchedule(DetectionSettings(tiles_per_frame=per))
    cycle = schedule.cycle(detector, *FULL_HD)
    assert cycle == math.ceil(15 / per)
    seen: list[Region] = []
    for _ in range(cycle):
        picked = schedule.tiles(detector, *FULL_HD)
        assert len(picked) == min(per, 15)
        seen += picked
    assert set(seen) == set(tiles)
    # Round-robin: the next frame goes on from where this cycle ended.
    assert schedule.tiles(detector, *FULL_HD)[0] == tiles[(cycle * per) % 15]


def test_all_searches_every_tile_every_frame_and_detect_regions_equals_detect(
    detector: Any, face: Image
) -> None:
    frame, _ = pasted(face, 40, (0.5, 0.5))
    schedule = DetectionSchedule(DetectionSettings(tiles_per_frame="all"))
    assert schedule.tiles(detector, *FULL_HD) == list(detector.regions(*FULL_HD))
    assert schedule.detect(detector, frame) == detector.detect(frame)


@pytest.mark.parametrize("at", PLACES)
def test_a_small_face_is_found_within_one_cycle_with_its_score_unchanged(
    detector: Any, face: Image, at: tuple[float, float]
) -> None:
    frame, (x, y) = pasted(face, 40, at)
    full = at_face(detector.detect(frame), x, y, 40)
    assert full is not None
    assert at_face(detector.detect_regions(frame, [], True), x, y, 40) is None  # tiles only
    schedule = DetectionSchedule(DetectionSettings(tiles_per_frame=2))
    looks = [at_face(schedule.detect(detector, frame), x, y, 40)
             for _ in range(schedule.cycle(detector, *FULL_HD))]
    found = [d for d in looks if d is not None]
    assert found, f"the face at {at} was not found in a whole cycle"
    # Fully visible in the tile that finds it: the same detection as with every tile.
    best = max(found, key=lambda d: d.score)
    assert best.score == pytest.approx(full.score, abs=1e-6)
    assert best.box == full.box


@pytest.mark.parametrize("every", [1, 2, 3])
def test_a_large_face_is_found_whenever_the_whole_frame_is_searched(
    detector: Any, face: Image, every: int
) -> None:
    frame, (x, y) = pasted(face, 220, (0.4, 0.4))
    schedule = DetectionSchedule(DetectionSettings(tiles_per_frame=1, whole_frame_every=every))
    found = [at_face(schedule.detect(detector, frame), x, y, 220) is not None
             for _ in range(6)]
    # Too large for one tile to hold whole: the whole frame finds it, every `every` frames.
    assert found == [i % every == 0 for i in range(6)]


def test_a_new_face_is_looked_for_again_on_the_next_frame(detector: Any) -> None:
    schedule = DetectionSchedule(DetectionSettings(tiles_per_frame=1))
    first = schedule.tiles(detector, *FULL_HD)
    point = (1800.0, 1000.0)  # bottom right: not the first tiles in turn
    followed = schedule.tiles(detector, *FULL_HD, follow=[point])
    assert len(followed) == 2 and followed[0] != first[0]
    tile = followed[1]
    assert tile.x <= point[0] < tile.x + tile.width and tile.y <= point[1] < tile.y + tile.height
    off = DetectionSchedule(DetectionSettings(tiles_per_frame=1, follow_new_faces=False))
    assert len(off.tiles(detector, *FULL_HD, follow=[point])) == 1


def test_tiles_per_frame_must_be_all_or_positive() -> None:
    with pytest.raises(ValueError, match="tiles_per_frame must be 'all' or at least 1"):
        DetectionSettings(tiles_per_frame=0)
    with pytest.raises(ConfigurationError, match=r"detection\.tiles_per_frame"):
        parse_config({"deployment": {"id": "d"}, "cameras": [{"id": "c", "source": "video",
                      "uri": "x.mp4"}], "watchlist": {"directory": "w"},
                      "detection": {"tiles_per_frame": "some"}}, "test")


def test_detect_regions_refuses_a_region_outside_the_frame(detector: Any, face: Image) -> None:
    frame, _ = pasted(face, 40, (0.5, 0.5))
    with pytest.raises(ValueError, match="is not inside the 1920x1080 frame"):
        detector.detect_regions(frame, [Region(1800, 0, 400, 400)], True)


# A watchlisted walker whose face only tiles can find (48 px in 1280x720: the whole frame
# shows it at 7 px), crossing in 3 s, beside a passer-by going the other way.
WALKERS = [
    Pass(identity="obama", photo="obama2", start_s=0.0, duration_s=3.0,
         face_height_px=56, y_frac=0.4),
    Pass(identity="grace_hopper", photo="grace_hopper", start_s=0.2, duration_s=3.0,
         face_height_px=52, y_frac=0.7, direction=-1),
]


def run_walkers(frames: list[Image], root: Path, store: ModelStore,
                detection: dict[str, Any]) -> tuple[Any, list[Alert], int]:
    alerts: list[Alert] = []
    config = parse_config({
        "deployment": {"id": "schedule"},
        "cameras": [{"id": "cam", "source": "memory", "uri": "cam"}],
        "watchlist": {"directory": str(root)}, "pipeline": {"realtime": False},
        "detection": detection}, "test")
    host = make_default_host()
    host.register_plugin(ComponentsPlugin({"cam": MemoryCamera("cam", frames)}), name="mem")
    built = build_deployment(config, host, store, on_alert=alerts.append)
    try:
        counters = built.pipeline.run(timeout=180)
        created = built.pipeline._processors[0].tracker.tracks_created
    finally:
        built.components.matcher.destroy()
        built.components.detector.close()
    return counters, alerts, created


def test_the_tracker_carries_small_faces_between_scheduled_detections(
    tmp_path: Path, real_photos: dict[str, Path], model_store: ModelStore
) -> None:
    frames = scene_frames(real_photos, WALKERS, duration_s=3.0, width=1280, height=720)
    root = tmp_path / "watchlist"
    (root / "WL-obama").mkdir(parents=True)
    shutil.copy2(real_photos["obama"], root / "WL-obama" / "obama.jpg")
    every, alerts_every, every_created = run_walkers(frames, root, model_store,
                                                     {"tiles_per_frame": "all"})
    counters, alerts, created = run_walkers(frames, root, model_store, {"tiles_per_frame": 2})
    unfollowed, _, unfollowed_created = run_walkers(
        frames, root, model_store, {"tiles_per_frame": 2, "follow_new_faces": False})
    assert [a.entry_id for a in alerts_every] == ["WL-obama"]
    # The same one alert, for the same face, with a quarter of the tiles searched per frame.
    assert [a.entry_id for a in alerts] == ["WL-obama"]
    assert alerts[0].face_box is not None and alerts[0].face_box.height < 80
    # Each walker stays one track although its tile is searched one frame in four (no more
    # tracks than with every tile searched: those are brief detections at the frame's edge).
    assert counters.faces_seen == 2 and created <= every_created, (counters, created)
    assert counters.detections < every.detections
    assert counters.recognitions <= every.recognitions
    # Why new faces are followed: without it a walker met a cycle later is a new track,
    # recognised again.
    assert unfollowed_created > created and unfollowed.recognitions > counters.recognitions


@pytest.mark.parametrize("per_camera", [True, False])
def test_each_camera_detects_with_its_own_detector_unless_told_to_share(
    tmp_path: Path, real_photos: dict[str, Path], model_store: ModelStore, per_camera: bool
) -> None:
    frames = scene_frames(real_photos, WALKERS[:1], duration_s=3.0, width=1280, height=720)
    root = tmp_path / "watchlist"
    (root / "WL-obama").mkdir(parents=True)
    shutil.copy2(real_photos["obama"], root / "WL-obama" / "obama.jpg")
    alerts: list[Alert] = []
    config = parse_config({
        "deployment": {"id": "two"},
        "cameras": [{"id": c, "source": "memory", "uri": c} for c in ("a", "b")],
        "watchlist": {"directory": str(root)},
        "pipeline": {"realtime": False, "detector_per_camera": per_camera}}, "test")
    host = make_default_host()
    host.register_plugin(ComponentsPlugin({c: MemoryCamera(c, frames) for c in ("a", "b")}),
                         name="mem")
    built = build_deployment(config, host, model_store, on_alert=alerts.append)
    try:
        built.pipeline.run(timeout=180)
        used = [p.components.detector for p in built.pipeline._processors]
        locks = [p.components.detector_lock for p in built.pipeline._processors]
    finally:
        built.components.matcher.destroy()
        for detector in [built.components.detector,
                         *(d for d, _ in built.components.camera_detectors)]:
            detector.close()  # type: ignore[attr-defined]
    assert sorted(a.camera_id for a in alerts) == ["a", "b"]  # both cameras recognise
    if per_camera:
        assert used[0] is not used[1] and locks[0] is not locks[1]
    else:
        assert used[0] is used[1] and locks[0] is locks[1]
