"""When to recognise a tracked face again, and when a match may raise an alert."""

from __future__ import annotations

from datetime import datetime

import pydantic

from lfr_framework.pipeline.tracker import Track


class RecognitionSettings(pydantic.BaseModel):
    """Best-shot and alert cool-down settings (``[recognition]`` in a deployment file)."""

    model_config = pydantic.ConfigDict(extra="forbid")

    better_shot_margin: float = pydantic.Field(
        0.1, ge=0, description="recognise again when the quality score rises by this much"
    )
    recheck_interval_s: float = pydantic.Field(
        2.0, gt=0, description="recognise a track again after this long even without a better shot"
    )
    cooldown_s: float = pydantic.Field(
        60.0, ge=0, description="no second alert for the same entry on the same camera within this"
    )
    top_k: int = pydantic.Field(1, ge=1, le=10)


class BestShotPolicy:
    """Decides whether a track's current shot is worth a recognition."""

    def __init__(self, settings: RecognitionSettings) -> None:
        self.settings = settings

    def should_recognise(self, track: Track, quality: float, at: datetime) -> bool:
        """True for a track's first good shot, a clearly better one, or after the interval."""
        if track.last_recognised_at is None:
            return True
        if quality >= track.recognised_quality + self.settings.better_shot_margin:
            return True
        elapsed = (at - track.last_recognised_at).total_seconds()
        return elapsed >= self.settings.recheck_interval_s

    @staticmethod
    def mark_recognised(track: Track, quality: float, at: datetime) -> None:
        """Record that ``track`` was recognised from a shot of this quality."""
        track.last_recognised_at = at
        track.recognised_quality = max(quality, track.recognised_quality)


class AlertCooldown:
    """One alert per track and entry; none for the same entry on a camera within the cool-down."""

    def __init__(self, settings: RecognitionSettings) -> None:
        self.settings = settings
        self._last_alert: dict[str, datetime] = {}

    def allow(self, track: Track, entry_id: str, at: datetime) -> bool:
        """Whether a match of ``track`` to ``entry_id`` at ``at`` may raise an alert."""
        if entry_id in track.alerted_entries:
            return False
        last = self._last_alert.get(entry_id)
        return last is None or (at - last).total_seconds() >= self.settings.cooldown_s

    def record(self, track: Track, entry_id: str, at: datetime) -> None:
        """Note that an alert was raised."""
        track.alerted_entries.add(entry_id)
        self._last_alert[entry_id] = at
