"""Pass-level scoring of alerts against a scene's ground truth, as field trials count it.

One alert, one pass: an alert is scored against the pass whose face it is, found by
position — the in-view face whose box holds the centre of the alert's face box in the
alert's frame. It is a true alert when that pass is of the alert's identity, a false alert
otherwise (another person, or no face at all). A watchlisted pass is detected when at least
one true alert is its own. Overlapping passes of one person in view at the same time are
credited only for their own alerts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from lfr_framework.evaluation.scenes import GroundTruth, PassTruth
from lfr_framework.types import BoundingBox

#: The truth box is grown by this share of its size on each side when looking for the face
#: an alert belongs to (a detector's box and the scene's face box differ a little).
BOX_MARGIN = 0.25
#: An alert's frame may be this many frames from the nearest frame with a truth box.
FRAME_SLACK = 2


@dataclass(frozen=True, slots=True)
class SceneAlert:
    """An alert reduced to what scoring needs: when (seconds into the scene), who, and the
    face's box in its frame (no biometric data)."""

    at_s: float
    identity: str
    frame: int | None = None
    box: BoundingBox | None = None


@dataclass(slots=True)
class PassScore:
    """Pass-level results of one scene."""

    watchlisted_passes: int = 0
    alerted_passes: int = 0
    true_alerts: int = 0
    false_alerts: int = 0
    misidentifications: int = 0
    unlocated_alerts: int = 0
    latencies_s: list[float] = field(default_factory=list)
    #: The first own alert of each alerted pass (pass index → seconds into the scene).
    first_alert_s: dict[int, float] = field(default_factory=dict)

    @property
    def pass_tpir(self) -> float | None:
        """Share of watchlisted passes that raised an alert of their own."""
        return self.alerted_passes / self.watchlisted_passes if self.watchlisted_passes else None


def _contains(truth: BoundingBox, box: BoundingBox) -> float | None:
    """How close ``box``'s centre is to ``truth``'s (0 = centred), if it lies inside
    ``truth`` grown by :data:`BOX_MARGIN`; ``None`` when it is outside."""
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    mx, my = truth.width * BOX_MARGIN, truth.height * BOX_MARGIN
    if not (truth.x - mx <= cx <= truth.x + truth.width + mx
            and truth.y - my <= cy <= truth.y + truth.height + my):
        return None
    tx, ty = truth.x + truth.width / 2, truth.y + truth.height / 2
    return ((cx - tx) / truth.width) ** 2 + ((cy - ty) / truth.height) ** 2


def face_owner(truth: GroundTruth, frame: int, box: BoundingBox) -> PassTruth | None:
    """The pass whose face is at ``box`` in ``frame`` (or a frame or two away): of the
    faces on screen there, in view or mostly hidden, the one whose centre is nearest."""
    best: tuple[float, PassTruth] | None = None
    for item in truth.passes:
        for offset in range(FRAME_SLACK + 1):
            found = next((b for f in (frame - offset, frame + offset)
                          for b in (item.boxes.get(f), item.partial_boxes.get(f))
                          if b is not None), None)
            if found is not None:
                closeness = _contains(found, box)
                if closeness is not None and (best is None or closeness < best[0]):
                    best = (closeness, item)
                break
    return best[1] if best else None


def score_passes(
    truth: GroundTruth,
    alerts: Sequence[SceneAlert],
    watchlisted: Collection[str],
    tolerance_s: float = 0.5,
) -> PassScore:
    """Score each alert against the one pass whose face it is (see the module docstring).

    An alert without a box (from a system that does not report one) is given to the one
    in-view pass of its identity, within ``tolerance_s``, that has no alert yet.
    """
    score = PassScore()
    passes = [p for p in truth.passes if p.first_s is not None and p.last_s is not None]
    score.watchlisted_passes = sum(1 for p in passes if p.identity in watchlisted)
    alerted: set[int] = set()
    for alert in sorted(alerts, key=lambda a: a.at_s):
        owner: PassTruth | None
        if alert.box is not None and alert.frame is not None:
            owner = face_owner(truth, alert.frame, alert.box)
        else:
            score.unlocated_alerts += 1
            candidates = [p for p in passes if p.identity == alert.identity
                          and p.first_s is not None and p.last_s is not None
                          and p.first_s - tolerance_s <= alert.at_s <= p.last_s + tolerance_s]
            owner = next((p for p in candidates if p.index not in alerted),
                         candidates[0] if candidates else None)
        if owner is None or owner.identity != alert.identity:
            score.false_alerts += 1
            if owner is not None:
                score.misidentifications += 1
            continue
        score.true_alerts += 1
        if owner.index not in alerted and owner.first_s is not None:
            alerted.add(owner.index)
            score.first_alert_s[owner.index] = alert.at_s
            score.latencies_s.append(max(alert.at_s - owner.first_s, 0.0))
    score.alerted_passes = len(alerted)
    return score
