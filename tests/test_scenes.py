"""The synthetic crowd-scene renderer: frames, ground truth, determinism, errors, crowds."""

from __future__ import annotations

import itertools
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from lfr_framework.errors import ConfigurationError, ImageDecodeError, LFRError
from lfr_framework.evaluation.scenes import (
    GroundTruth,
    Pass,
    SceneSpec,
    crowd_spec,
    ground_truth,
    render_frames,
    render_scene,
    truth_path,
)
from lfr_framework.types import BoundingBox, Image

cv2 = pytest.importorskip("cv2")


def _scene(duration_s: float, passes: list[Pass] | None = None) -> SceneSpec:
    """A small, quick scene: 320x240 at 10 fps."""
    return SceneSpec(duration_s=duration_s, passes=passes or [], width=320, height=240, fps=10.0)


def _walker(**changes: object) -> Pass:
    values: dict[str, object] = {"identity": "obama", "photo": "obama2", "start_s": 0.5,
                                 "duration_s": 2.0, "face_height_px": 60.0, "y_frac": 0.45}
    values.update(changes)
    return Pass(**values)  # type: ignore[arg-type]


def _frames(spec: SceneSpec, photos: dict[str, Path]) -> list[Image]:
    return [image for _, image in render_frames(spec, photos)]


def _region(image: Image, box: BoundingBox) -> npt.NDArray[np.int16]:
    x0, y0 = max(int(box.x), 0), max(int(box.y), 0)
    x1 = min(int(box.x + box.width), image.shape[1])
    y1 = min(int(box.y + box.height), image.shape[0])
    return image[y0:y1, x0:x1].astype(np.int16)


def test_render_scene_writes_video_with_right_frames_and_truth(
    real_photos: dict[str, Path], tmp_path: Path
) -> None:
    spec = _scene(3.0, [_walker()])
    out = tmp_path / "scene.mp4"
    truth = render_scene(spec, real_photos, out)
    capture = cv2.VideoCapture(str(out))
    shapes = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        shapes.append(image.shape)
    capture.release()
    assert len(shapes) == spec.frame_count == 30
    assert set(shapes) == {(240, 320, 3)}
    assert truth_path(out) == tmp_path / "scene.truth.json"
    assert GroundTruth.load(truth_path(out)) == truth
    assert truth.video == "scene.mp4"
    data = json.loads(truth_path(out).read_text())
    assert data["frame_count"] == 30 and data["fps"] == 10.0
    (item,) = truth.passes
    assert (item.identity, item.photo) == ("obama", "obama2")
    assert item.first_frame is not None and item.last_frame is not None
    assert 5 < item.first_frame < item.last_frame < 25  # the pass runs from 0.5 s to 2.5 s
    assert item.first_s == item.first_frame / 10.0 and item.last_s == item.last_frame / 10.0
    assert set(item.boxes) == set(range(item.first_frame, item.last_frame + 1))
    assert all(b.height == pytest.approx(60.0, abs=1.0) for b in item.boxes.values())


def test_ground_truth_box_is_where_the_face_is_drawn(real_photos: dict[str, Path]) -> None:
    spec = _scene(3.0, [_walker()])
    empty = replace(spec, passes=[])
    truth = ground_truth(spec, real_photos)
    frames, backgrounds = _frames(spec, real_photos), _frames(empty, real_photos)
    (item,) = truth.passes
    assert item.first_frame is not None and item.last_frame is not None
    middle = (item.first_frame + item.last_frame) // 2
    box = item.boxes[middle]
    # In its frames the face region differs strongly from the background ...
    for frame, face in item.boxes.items():
        diff = np.abs(_region(frames[frame], face) - _region(backgrounds[frame], face))
        assert diff.mean() > 20, frame
    # ... and a face-sized patch of a real face has the detail of one.
    assert _region(frames[middle], box).std() > 20
    # Before the pass starts and after it ends, that region is just background.
    for frame in (0, 1, 2, 3, spec.frame_count - 2, spec.frame_count - 1):
        assert np.array_equal(frames[frame], backgrounds[frame]), frame
    # A detector finds the face inside the box in the middle frame.
    gray = cv2.cvtColor(frames[middle], cv2.COLOR_BGR2GRAY)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    found = [BoundingBox(*map(float, f)) for f in cascade.detectMultiScale(gray, 1.1, 5)]
    assert max(box.iou(f) for f in found) > 0.5


def test_background_is_not_flat_and_depends_on_seed(real_photos: dict[str, Path]) -> None:
    spec = _scene(0.1)
    (first,) = _frames(spec, real_photos)
    (other,) = _frames(replace(spec, seed=1), real_photos)
    (hall,) = _frames(replace(spec, background="hall"), real_photos)
    assert first.std() > 20
    assert len(np.unique(first.reshape(-1, 3), axis=0)) > 1000
    assert not np.array_equal(first, other)
    assert not np.array_equal(first, hall)


def test_same_seed_gives_identical_frames(real_photos: dict[str, Path]) -> None:
    spec = crowd_spec(2, 4, 3, 2.0, seed=7, width=320, height=240, fps=10.0)
    spec = replace(spec, brightness=0.5, motion_blur_px=5, blur=1.0, jpeg_quality=60)
    one, two = _frames(spec, real_photos), _frames(spec, real_photos)
    assert len(one) == spec.frame_count
    assert all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))
    other = _frames(replace(spec, seed=8), real_photos)
    assert not any(np.array_equal(a, b) for a, b in zip(one, other, strict=True))


def test_frames_are_bgr_uint8_of_the_spec_size(real_photos: dict[str, Path]) -> None:
    spec = _scene(1.0, [_walker(start_s=0.0)])
    frames = list(render_frames(spec, real_photos))
    assert [i for i, _ in frames] == list(range(10))
    assert all(f.dtype == np.uint8 and f.shape == (240, 320, 3) for _, f in frames)


def test_missing_photo_is_a_clear_error(real_photos: dict[str, Path]) -> None:
    spec = _scene(1.0, [_walker(photo="nobody")])
    with pytest.raises(ConfigurationError, match=r"pass 0 uses photo 'nobody'.*obama2"):
        render_frames(spec, real_photos)  # raised before the first frame is asked for
    with pytest.raises(ConfigurationError, match="'nobody'"):
        ground_truth(spec, real_photos)


def test_photo_file_that_does_not_exist_or_is_not_an_image(tmp_path: Path) -> None:
    spec = _scene(1.0, [_walker(photo="x")])
    with pytest.raises(ConfigurationError, match="does not exist"):
        render_frames(spec, {"x": tmp_path / "missing.jpg"})
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with pytest.raises(ImageDecodeError, match=r"junk\.jpg"):
        render_frames(spec, {"x": junk})


def test_photo_without_face_needs_a_face_box(real_photos: dict[str, Path]) -> None:
    spec = _scene(1.0, [_walker(photo="chelsea", start_s=0.0)])
    with pytest.raises(ConfigurationError, match="no face found in photo chelsea"):
        render_frames(spec, real_photos)
    box = BoundingBox(150.0, 50.0, 120.0, 120.0)
    frames = list(render_frames(spec, real_photos, face_boxes={"chelsea": box}))
    assert len(frames) == 10


def test_face_box_given_overrides_detection(real_photos: dict[str, Path]) -> None:
    spec = _scene(1.0, [_walker(start_s=0.0)])
    wide = {"obama2": BoundingBox(100.0, 243.0, 500.0, 343.0)}
    (item,) = ground_truth(spec, real_photos, face_boxes=wide).passes
    box = next(iter(item.boxes.values()))
    assert box.width / box.height == pytest.approx(500 / 343, rel=0.03)


@pytest.mark.parametrize(("changes", "key"), [
    ({"fps": 0}, "fps"),
    ({"width": 321}, "width"),
    ({"duration_s": -1.0}, "duration_s"),
    ({"background": "moon"}, "background"),
    ({"jpeg_quality": 0}, "jpeg_quality"),
    ({"blur": -1.0}, "blur"),
    ({"brightness": 0.0}, "brightness"),
    ({"motion_blur_px": -2}, "motion_blur_px"),
    ({"noise_sigma": -1.0}, "noise_sigma"),
])
def test_bad_scene_values_are_refused(changes: dict[str, object], key: str) -> None:
    values: dict[str, object] = {"duration_s": 1.0, **changes}
    with pytest.raises(ConfigurationError, match=f"scene {key}:"):
        SceneSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "key"), [
    ({"direction": 0}, "direction"),
    ({"y_frac": 1.5}, "y_frac"),
    ({"duration_s": 0.0}, "duration_s"),
    ({"face_height_px": 2.0}, "face_height_px"),
    ({"end_face_height_px": 5000.0}, "end_face_height_px"),
    ({"start_s": float("nan")}, "start_s"),
    ({"photo": ""}, "photo"),
])
def test_bad_pass_values_are_refused(changes: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigurationError, match=f"scene pass.{key}:"):
        _walker(**changes)


def test_missing_opencv_is_a_clear_error(
    real_photos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # what an environment without OpenCV has
    spec = _scene(1.0, [_walker()])
    with pytest.raises(LFRError, match=r"needs OpenCV: pip install 'lfr-framework\[imaging\]'"):
        render_frames(spec, real_photos)


def test_approaching_pass_grows(real_photos: dict[str, Path]) -> None:
    spec = _scene(4.0, [_walker(start_s=0.0, duration_s=4.0,
                                                     face_height_px=30.0,
                                                     end_face_height_px=90.0)])
    (item,) = ground_truth(spec, real_photos).passes
    heights = [b.height for _, b in sorted(item.boxes.items())]
    assert heights == sorted(heights) and heights[0] < 45 and heights[-1] > 75
    assert item.end_face_height_px == 90.0


def test_degradations_change_the_frames(real_photos: dict[str, Path]) -> None:
    spec = _scene(1.0, [_walker(start_s=0.0, duration_s=1.0)])
    (clean,) = [f for i, f in render_frames(spec, real_photos) if i == 5]

    def frame5(variant: SceneSpec) -> Image:
        return next(f for i, f in render_frames(variant, real_photos) if i == 5)

    dark = frame5(replace(spec, brightness=0.3))
    assert dark.mean() < 0.4 * clean.mean()
    noise = dark.astype(np.int16) - np.rint(clean * 0.3).astype(np.int16)
    assert 3 < noise.std() < 30  # low light adds sensor noise
    blurred = frame5(replace(spec, blur=3.0))
    assert np.abs(np.diff(blurred.astype(np.int16), axis=1)).mean() < \
        np.abs(np.diff(clean.astype(np.int16), axis=1)).mean()
    assert not np.array_equal(frame5(replace(spec, jpeg_quality=20)), clean)
    assert not np.array_equal(frame5(replace(spec, motion_blur_px=9)), clean)


def test_truth_file_that_is_not_truth_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.truth.json"
    bad.write_text('{"format_version": 1, "passes": []}')
    with pytest.raises(ConfigurationError, match="not a scene ground-truth file"):
        GroundTruth.load(bad)
    with pytest.raises(ConfigurationError, match="cannot read"):
        GroundTruth.load(tmp_path / "absent.json")


@pytest.mark.parametrize(("faces", "passes"), [(1, 8), (5, 20), (20, 60)])
def test_crowd_spec_keeps_about_n_faces_in_view(
    real_photos: dict[str, Path], faces: int, passes: int
) -> None:
    spec = crowd_spec(passes // 4, passes - passes // 4, faces, 12.0, seed=3)
    truth = ground_truth(spec, real_photos)
    counts = truth.counts_in_view()
    assert statistics.mean(counts) == pytest.approx(faces, rel=0.1)
    assert min(counts) >= faces - max(1, faces // 10)
    assert max(counts) <= faces + max(1, faces // 10)
    assert all(p.in_view for p in truth.passes)
    for frame in range(0, truth.frame_count, 5):  # faces never overlap each other
        for (_, a), (_, b) in itertools.combinations(truth.faces_in_view(frame), 2):
            assert a.iou(b) == 0.0
    watched = [p for p in spec.passes if p.photo in ("obama2", "obama3")]
    assert len(watched) == passes // 4 and {p.identity for p in watched} == {"obama"}
    assert len({round(p.face_height_px) for p in spec.passes}) >= min(faces, 2)
    assert len({p.direction for p in spec.passes}) == (1 if faces == 1 else 2)


def test_crowd_spec_refuses_impossible_crowds() -> None:
    with pytest.raises(ConfigurationError, match="need at least"):
        crowd_spec(1, 1, 5, 10.0)
    with pytest.raises(ConfigurationError, match="in view for only"):
        crowd_spec(50, 50, 1, 5.0)
    with pytest.raises(ConfigurationError, match="faces_in_view"):
        crowd_spec(1, 1, 0, 10.0)
    with pytest.raises(ConfigurationError, match="no watchlisted photos"):
        crowd_spec(1, 3, 1, 10.0, watchlisted=())
