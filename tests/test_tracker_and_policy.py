"""The tracker, best-shot policy and alert cool-down, on synthetic detections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lfr_framework.pipeline.policy import AlertCooldown, BestShotPolicy, RecognitionSettings
from lfr_framework.pipeline.tracker import Tracker, TrackerSettings
from lfr_framework.types import BoundingBox, Detection

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def det(x: float, y: float, size: float = 60.0) -> Detection:
    return Detection(BoundingBox(x, y, size, size), 0.9)


def test_a_face_moving_across_frames_is_one_track() -> None:
    tracker = Tracker(TrackerSettings())
    ids = set()
    for i in range(20):
        (track,) = tracker.update([det(100 + 8 * i, 200)], T0 + timedelta(seconds=i / 25))
        ids.add(track.track_id)
    assert ids == {1}
    assert tracker.tracks_created == 1


def test_two_faces_keep_their_own_tracks() -> None:
    tracker = Tracker(TrackerSettings())
    first = tracker.update([det(100, 100), det(600, 100)], T0)
    second = tracker.update([det(610, 102), det(108, 100)], T0 + timedelta(milliseconds=40))
    assert [t.track_id for t in first] == [1, 2]
    assert [t.track_id for t in second] == [2, 1]


def test_a_face_gone_longer_than_max_age_comes_back_as_a_new_track() -> None:
    tracker = Tracker(TrackerSettings(max_age_s=1.0))
    (a,) = tracker.update([det(100, 100)], T0)
    (b,) = tracker.update([det(100, 100)], T0 + timedelta(seconds=0.5))
    (c,) = tracker.update([det(100, 100)], T0 + timedelta(seconds=2.0))
    assert a.track_id == b.track_id != c.track_id
    assert tracker.tracks_created == 2


def test_a_far_jump_is_not_the_same_person() -> None:
    tracker = Tracker(TrackerSettings())
    (a,) = tracker.update([det(100, 100)], T0)
    (b,) = tracker.update([det(900, 500)], T0 + timedelta(milliseconds=40))
    assert a.track_id != b.track_id


def test_best_shot_recognises_first_better_and_after_interval_only() -> None:
    settings = RecognitionSettings(better_shot_margin=0.1, recheck_interval_s=2.0)
    policy = BestShotPolicy(settings)
    tracker = Tracker(TrackerSettings())
    (track,) = tracker.update([det(0, 0)], T0)
    assert policy.should_recognise(track, 0.5, T0)
    policy.mark_recognised(track, 0.5, T0)
    assert not policy.should_recognise(track, 0.55, T0 + timedelta(seconds=0.5))
    assert policy.should_recognise(track, 0.61, T0 + timedelta(seconds=0.5))
    assert policy.should_recognise(track, 0.5, T0 + timedelta(seconds=2.0))


def test_one_alert_per_track_and_entry_and_cooldown_across_tracks() -> None:
    cooldown = AlertCooldown(RecognitionSettings(cooldown_s=30))
    tracker = Tracker(TrackerSettings(max_age_s=0.1))
    (first,) = tracker.update([det(0, 0)], T0)
    assert cooldown.allow(first, "wanted-1", T0)
    cooldown.record(first, "wanted-1", T0)
    assert not cooldown.allow(first, "wanted-1", T0 + timedelta(minutes=5))
    assert cooldown.allow(first, "wanted-2", T0)
    (again,) = tracker.update([det(0, 0)], T0 + timedelta(seconds=10))
    assert again.track_id != first.track_id
    assert not cooldown.allow(again, "wanted-1", T0 + timedelta(seconds=10))
    assert cooldown.allow(again, "wanted-1", T0 + timedelta(seconds=31))


def test_a_one_frame_false_detection_is_not_a_face_seen() -> None:
    tracker = Tracker(TrackerSettings(min_hits=2))
    tracker.update([det(100, 100)], T0)
    tracker.update([det(600, 400)], T0 + timedelta(seconds=2))
    tracker.update([det(604, 400)], T0 + timedelta(seconds=2.04))
    assert tracker.tracks_created == 2
    assert tracker.tracks_confirmed == 1
