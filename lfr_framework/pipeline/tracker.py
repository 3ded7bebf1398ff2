"""A per-camera face tracker: links detections across frames so a person is one track."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pydantic

from lfr_framework.types import BoundingBox, Detection


class TrackerSettings(pydantic.BaseModel):
    """How detections are linked into tracks (``[tracker]`` in a deployment file)."""

    model_config = pydantic.ConfigDict(extra="forbid")

    min_iou: float = pydantic.Field(0.2, ge=0, le=1)
    max_centre_shift: float = pydantic.Field(
        1.0, ge=0, description="largest centre move between frames, in face heights"
    )
    max_age_s: float = pydantic.Field(1.0, gt=0, description="forget a track unseen this long")
    min_hits: int = pydantic.Field(
        3, ge=1, description="detections before a track counts as a face seen (filters brief "
        "false detections out of the count a force reports)",
    )


@dataclass(slots=True)
class Track:
    """One tracked face. Holds no image or template, only geometry and bookkeeping."""

    track_id: int
    box: BoundingBox
    first_seen: datetime
    last_seen: datetime
    hits: int = 1
    #: Centre velocity in pixels per second, estimated from the last detections.
    velocity: tuple[float, float] = (0.0, 0.0)
    best_quality: float = -1.0
    last_recognised_at: datetime | None = None
    recognised_quality: float = -1.0
    alerted_entries: set[str] = field(default_factory=set)


class Tracker:
    """Greedy IoU / centre-distance association of detections to live tracks."""

    def __init__(self, settings: TrackerSettings) -> None:
        self.settings = settings
        self._tracks: dict[int, Track] = {}
        self._next_id = 1
        self.tracks_created = 0
        #: Tracks that reached ``min_hits`` detections: the "faces seen" a force reports.
        self.tracks_confirmed = 0

    @property
    def live_tracks(self) -> list[Track]:
        """Tracks still being followed."""
        return list(self._tracks.values())

    def update(self, detections: list[Detection], at: datetime) -> list[Track]:
        """Assign each detection a track (new or continued), in the order given."""
        self._expire(at)
        predicted = {tid: predict(t, at) for tid, t in self._tracks.items()}
        pairs: list[tuple[float, int, int]] = []
        for d_index, det in enumerate(detections):
            for track in self._tracks.values():
                score = self._affinity(predicted[track.track_id], det.box)
                if score > 0:
                    pairs.append((score, d_index, track.track_id))
        pairs.sort(reverse=True)
        assigned: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for _, d_index, track_id in pairs:
            if d_index in assigned or track_id in used_tracks:
                continue
            track = self._tracks[track_id]
            _follow(track, detections[d_index].box, at)
            track.hits += 1
            if track.hits == self.settings.min_hits:
                self.tracks_confirmed += 1
            assigned[d_index] = track
            used_tracks.add(track_id)
        result: list[Track] = []
        for d_index, det in enumerate(detections):
            existing = assigned.get(d_index)
            if existing is None:
                existing = Track(self._next_id, det.box, at, at)
                self._tracks[existing.track_id] = existing
                self._next_id += 1
                self.tracks_created += 1
                if self.settings.min_hits == 1:
                    self.tracks_confirmed += 1
            result.append(existing)
        return result

    def _affinity(self, previous: BoundingBox, current: BoundingBox) -> float:
        iou = previous.iou(current)
        if iou >= self.settings.min_iou:
            return 1.0 + iou
        (px, py), (cx, cy) = previous.centre, current.centre
        scale = max(previous.height, current.height, 1.0)
        shift = float(((px - cx) ** 2 + (py - cy) ** 2) ** 0.5) / scale
        size_ratio = min(previous.height, current.height) / scale
        if shift <= self.settings.max_centre_shift and size_ratio >= 0.5:
            return 1.0 - shift / (self.settings.max_centre_shift + 1e-9) * 0.999
        return 0.0

    def _expire(self, at: datetime) -> None:
        limit = self.settings.max_age_s
        stale = [
            tid for tid, t in self._tracks.items()
            if (at - t.last_seen).total_seconds() > limit
        ]
        for tid in stale:
            del self._tracks[tid]


def predict(track: Track, at: datetime) -> BoundingBox:
    """Where ``track``'s box should be at ``at`` if it kept its velocity (people walk on
    while the detector misses them for a few frames)."""
    dt = (at - track.last_seen).total_seconds()
    vx, vy = track.velocity
    box = track.box
    return BoundingBox(box.x + vx * dt, box.y + vy * dt, box.width, box.height)


def _follow(track: Track, box: BoundingBox, at: datetime) -> None:
    dt = (at - track.last_seen).total_seconds()
    if dt > 0:
        (ox, oy), (nx, ny) = track.box.centre, box.centre
        measured = ((nx - ox) / dt, (ny - oy) / dt)
        if track.hits == 1:
            track.velocity = measured
        else:  # smooth detector jitter
            track.velocity = (0.5 * track.velocity[0] + 0.5 * measured[0],
                              0.5 * track.velocity[1] + 0.5 * measured[1])
    track.box = box
    track.last_seen = at
