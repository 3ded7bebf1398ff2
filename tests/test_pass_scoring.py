"""Pass-level scoring by position: one alert, one pass — the pass whose face it is."""

from __future__ import annotations

from lfr_framework.evaluation.passes import SceneAlert, score_passes
from lfr_framework.evaluation.scenes import GroundTruth, PassTruth, SceneSpec
from lfr_framework.types import BoundingBox

FPS = 10.0


def _pass(index: int, identity: str, x: float, frames: range) -> PassTruth:
    boxes = {f: BoundingBox(x + 5.0 * f, 100.0, 60.0, 60.0) for f in frames}
    return PassTruth(index=index, identity=identity, photo=identity, direction=1,
                     face_height_px=60.0, end_face_height_px=60.0,
                     first_frame=frames[0], last_frame=frames[-1], first_s=frames[0] / FPS,
                     last_s=frames[-1] / FPS, boxes=boxes)


def _truth(*passes: PassTruth) -> GroundTruth:
    return GroundTruth(spec=SceneSpec(duration_s=5.0, fps=FPS, passes=[]), passes=list(passes))


def _alert(identity: str, frame: int, x: float) -> SceneAlert:
    return SceneAlert(frame / FPS, identity, frame, BoundingBox(x + 5.0 * frame + 4, 104, 52, 52))


def test_overlapping_passes_of_one_person_are_credited_only_for_their_own_alerts() -> None:
    # Two passes of the same watchlisted person in view at the same time, far apart.
    truth = _truth(_pass(0, "obama", 0.0, range(0, 30)), _pass(1, "obama", 900.0, range(0, 30)))
    score = score_passes(truth, [_alert("obama", 10, 0.0)], {"obama"})
    assert score.watchlisted_passes == 2
    assert score.alerted_passes == 1 and score.pass_tpir == 0.5
    assert score.true_alerts == 1 and score.false_alerts == 0
    assert score.first_alert_s == {0: 1.0}


def test_an_alert_on_another_persons_face_is_a_false_alert_and_a_misidentification() -> None:
    truth = _truth(_pass(0, "obama", 0.0, range(0, 30)), _pass(1, "passer", 400.0, range(0, 30)))
    # The alert names obama while obama is in view, but the face it is on is the passer-by's:
    # scoring by time alone would have credited obama's pass.
    score = score_passes(truth, [_alert("obama", 12, 400.0)], {"obama"})
    assert score.alerted_passes == 0 and score.true_alerts == 0
    assert score.false_alerts == 1 and score.misidentifications == 1


def test_an_alert_where_there_is_no_face_is_a_false_alert() -> None:
    truth = _truth(_pass(0, "obama", 0.0, range(0, 30)))
    score = score_passes(truth, [_alert("obama", 5, 700.0)], {"obama"})
    assert (score.false_alerts, score.misidentifications, score.alerted_passes) == (1, 0, 0)


def test_two_alerts_on_one_pass_count_one_pass_and_the_first_latency() -> None:
    truth = _truth(_pass(0, "obama", 0.0, range(5, 30)))
    score = score_passes(truth, [_alert("obama", 20, 0.0), _alert("obama", 9, 0.0)], {"obama"})
    assert score.alerted_passes == 1 and score.true_alerts == 2
    assert score.latencies_s == [0.4]


def test_an_alert_without_a_box_is_given_to_one_pass_only() -> None:
    truth = _truth(_pass(0, "obama", 0.0, range(0, 30)), _pass(1, "obama", 900.0, range(0, 30)))
    score = score_passes(truth, [SceneAlert(1.0, "obama")], {"obama"})
    assert score.alerted_passes == 1 and score.unlocated_alerts == 1
