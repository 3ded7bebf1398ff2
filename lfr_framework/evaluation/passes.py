"""Pass-level scoring of alerts against a scene's ground truth, as field trials count it.

A watchlisted *pass* is detected when an alert for that identity is raised while its face
is in view; any alert that matches no in-view pass of its identity is a false alert.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from lfr_framework.evaluation.scenes import GroundTruth


@dataclass(frozen=True, slots=True)
class SceneAlert:
    """An alert reduced to what scoring needs: when (seconds into the scene) and who."""

    at_s: float
    identity: str


@dataclass(slots=True)
class PassScore:
    """Pass-level results of one scene."""

    watchlisted_passes: int = 0
    alerted_passes: int = 0
    true_alerts: int = 0
    false_alerts: int = 0
    latencies_s: list[float] = field(default_factory=list)

    @property
    def pass_tpir(self) -> float | None:
        """Share of watchlisted passes that raised an alert."""
        return self.alerted_passes / self.watchlisted_passes if self.watchlisted_passes else None


def score_passes(
    truth: GroundTruth,
    alerts: Sequence[SceneAlert],
    watchlisted: Collection[str],
    tolerance_s: float = 0.5,
) -> PassScore:
    """Match alerts to passes; ``tolerance_s`` allows for a face still half in view."""
    score = PassScore()
    passes = [p for p in truth.passes if p.first_s is not None and p.last_s is not None]
    score.watchlisted_passes = sum(1 for p in passes if p.identity in watchlisted)
    alerted: set[int] = set()
    for alert in sorted(alerts, key=lambda a: a.at_s):
        hits = [
            p for p in passes
            if p.identity == alert.identity
            and p.first_s is not None and p.last_s is not None
            and p.first_s - tolerance_s <= alert.at_s <= p.last_s + tolerance_s
        ]
        if not hits:
            score.false_alerts += 1
            continue
        score.true_alerts += 1
        for hit in hits:
            if hit.index not in alerted and hit.first_s is not None:
                alerted.add(hit.index)
                score.latencies_s.append(max(alert.at_s - hit.first_s, 0.0))
    score.alerted_passes = len(alerted)
    return score
