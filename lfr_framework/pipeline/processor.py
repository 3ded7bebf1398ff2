"""Processes one camera's frames: detect → quality gate → track → best shot → align →
recognise → match → alert. Invariant 2 lives here: nothing about a face that does not
match survives the comparison except counters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np

from lfr_framework.interfaces import Detector, Matcher, Recogniser
from lfr_framework.pipeline.faults import ComponentRef, FaultLog
from lfr_framework.pipeline.policy import AlertCooldown, BestShotPolicy, RecognitionSettings
from lfr_framework.pipeline.quality import QualityGate
from lfr_framework.pipeline.refine import refined
from lfr_framework.pipeline.schedule import DetectionSchedule, DetectionSettings
from lfr_framework.pipeline.timing import StageTimer
from lfr_framework.pipeline.tracker import Track, Tracker, TrackerSettings, predict
from lfr_framework.types import (
    Alert,
    Detection,
    Frame,
    Image,
    PipelineCounters,
    new_alert_id,
)


@dataclass(slots=True)
class SharedComponents:
    """The models one deployment's cameras share, each with a lock and its provenance.

    Model calls are serialised per component: on a 2-core machine the recogniser's runtime
    uses both cores for one call already, and plugins need not be thread-safe. A detector
    that runs on one core (BlazeFace does) may be built once more for each further camera
    (``camera_detectors``), so that two cameras detect at once.
    """

    detector: Detector
    recogniser: Recogniser
    matcher: Matcher
    detector_ref: ComponentRef
    recogniser_ref: ComponentRef
    matcher_ref: ComponentRef
    detector_lock: threading.Lock
    recogniser_lock: threading.Lock
    #: Detectors of the second, third … camera, each with its own lock (none: all share).
    camera_detectors: list[tuple[Detector, threading.Lock]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        detector: tuple[Detector, ComponentRef],
        recogniser: tuple[Recogniser, ComponentRef],
        matcher: tuple[Matcher, ComponentRef],
    ) -> SharedComponents:
        """Bundle built components with fresh locks."""
        return cls(detector[0], recogniser[0], matcher[0], detector[1], recogniser[1],
                   matcher[1], threading.Lock(), threading.Lock())

    def give_cameras_own_detectors(self, make: Callable[[], Detector], cameras: int) -> None:
        """Build (with ``make``) a detector of its own for each camera after the first."""
        self.camera_detectors = [(make(), threading.Lock()) for _ in range(cameras - 1)]

    def detectors(self) -> list[Detector]:
        """Every detector built for the deployment (the shared one first), to close them."""
        return [self.detector, *(d for d, _ in self.camera_detectors)]

    def for_camera(self, index: int) -> SharedComponents:
        """The components the ``index``-th camera uses: its own detector where one was built
        for it, the shared recogniser and matcher."""
        if index == 0 or index > len(self.camera_detectors):
            return self
        detector, lock = self.camera_detectors[index - 1]
        return replace(self, detector=detector, detector_lock=lock)


def probe_crop(image: Image, detection: Detection, margin: float = 0.4) -> Image:
    """A copy of the face with a margin around it, for the officer to compare (matches only)."""
    box = detection.box
    height, width = image.shape[:2]
    mx, my = box.width * margin, box.height * margin
    x0, y0 = max(int(box.x - mx), 0), max(int(box.y - my), 0)
    x1, y1 = min(int(box.x + box.width + mx), width), min(int(box.y + box.height + my), height)
    return image[y0:y1, x0:x1].copy()


class FrameProcessor:
    """Turns frames of one camera into alerts, keeping only counters for everything else."""

    def __init__(
        self,
        *,
        deployment_id: str,
        camera_id: str,
        components: SharedComponents,
        quality: QualityGate,
        tracker_settings: TrackerSettings,
        recognition: RecognitionSettings,
        threshold: float,
        counters: PipelineCounters,
        timer: StageTimer,
        faults: FaultLog,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        detection: DetectionSettings | None = None,
    ) -> None:
        self.deployment_id = deployment_id
        self.camera_id = camera_id
        self.components = components
        self.quality = quality
        self.tracker = Tracker(tracker_settings)
        self.schedule = DetectionSchedule(detection or DetectionSettings())
        self._previous_at: datetime | None = None
        self.best_shot = BestShotPolicy(recognition)
        self.cooldown = AlertCooldown(recognition)
        self.top_k = recognition.top_k
        self.threshold = threshold
        self.counters = counters
        self.timer = timer
        self.faults = faults
        self.clock = clock

    def process(self, frame: Frame) -> list[Alert]:
        """Process one frame; return the alerts it raised (possibly none)."""
        c = self.components
        try:
            with self.timer.stage("detect"), c.detector_lock:
                detections = self.schedule.detect(c.detector, frame.image,
                                                  self._new_faces(frame.timestamp))
        except Exception as exc:
            self.counters.frames_failed += 1
            self.faults.record(c.detector_ref, exc, "frame skipped")
            return []
        self.counters.frames_processed += 1
        self.counters.detections += len(detections)
        with self.timer.stage("quality_track"):
            before = self.tracker.tracks_confirmed
            tracks = self.tracker.update(detections, frame.timestamp)
            self.counters.faces_seen += self.tracker.tracks_confirmed - before
            chosen: list[tuple[Detection, Track, float]] = []
            for detection, track in zip(detections, tracks, strict=True):
                report = self.quality.assess(frame.image, detection)
                if not report.passed:
                    self.counters.faces_rejected_quality += 1
                    continue
                score = report.score
                track.best_quality = max(track.best_quality, score)
                if self.best_shot.should_recognise(track, score, frame.timestamp):
                    chosen.append((detection, track, score))
        if not chosen:
            return []
        return self._recognise(frame, chosen)

    def _new_faces(self, at: datetime) -> list[tuple[float, float]]:
        """Predicted centres of the tracks found on the previous frame that the tracker has
        not yet seen ``min_hits`` times (the schedule looks for them again)."""
        previous, self._previous_at = self._previous_at, at
        limit = self.tracker.settings.min_hits
        return [predict(t, at).centre for t in self.tracker.live_tracks
                if t.hits < limit and t.last_seen == previous]

    def _refined(self, image: Image, detection: Detection) -> Detection:
        """The detector's refinement of a face about to be recognised (as it was if that
        fails: a coarse alignment is better than none)."""
        try:
            return refined(self.components.detector, image, detection)
        except Exception as exc:
            self.faults.record(self.components.detector_ref, exc, "face not refined")
            return detection

    def _recognise(
        self, frame: Frame, chosen: list[tuple[Detection, Track, float]]
    ) -> list[Alert]:
        c = self.components
        crops: list[Image] = []
        kept: list[tuple[Detection, Track, float]] = []
        with self.timer.stage("refine"), c.detector_lock:
            looked = [(self._refined(frame.image, d), track, q) for d, track, q in chosen]
        chosen = [item for item in looked
                  if item[0].score >= self.quality.settings.min_detection_score]
        # A face the closer look does not confirm is a false detection: not recognised.
        self.counters.faces_rejected_quality += len(looked) - len(chosen)
        with self.timer.stage("align"):
            for item in chosen:
                try:
                    crops.append(c.recogniser.align(frame.image, item[0]))
                    kept.append(item)
                except Exception as exc:
                    self.counters.faces_failed += 1
                    self.faults.record(c.recogniser_ref, exc, "face skipped")
        if not crops:
            return []
        try:
            with self.timer.stage("embed"), c.recogniser_lock:
                templates = c.recogniser.embed(crops)
        except Exception as exc:
            self.counters.faces_failed += len(crops)
            self.faults.record(c.recogniser_ref, exc, "faces of this frame skipped")
            _erase(crops)
            return []
        try:
            with self.timer.stage("match"):
                results = c.matcher.search(templates, self.top_k)
        except Exception as exc:
            self.counters.faces_failed += len(crops)
            self.faults.record(c.matcher_ref, exc, "faces of this frame skipped")
            _erase(crops)
            templates.fill(0.0)
            return []
        alerts: list[Alert] = []
        with self.timer.stage("alert"):
            for index, ((detection, track, quality), candidates) in enumerate(
                zip(kept, results, strict=True)
            ):
                self.counters.recognitions += 1
                self.best_shot.mark_recognised(track, quality, frame.timestamp)
                hit = next((cand for cand in candidates if cand.score >= self.threshold), None)
                if hit is None:
                    self.counters.faces_discarded += 1
                    continue
                if not self.cooldown.allow(track, hit.entry_id, frame.timestamp):
                    self.counters.alerts_suppressed += 1
                    continue
                self.cooldown.record(track, hit.entry_id, frame.timestamp)
                self.counters.alerts += 1
                alerts.append(Alert(
                    alert_id=new_alert_id(),
                    deployment_id=self.deployment_id,
                    camera_id=self.camera_id,
                    track_id=track.track_id,
                    entry_id=hit.entry_id,
                    score=float(hit.score),
                    threshold=self.threshold,
                    model_id=c.recogniser.model_id,
                    raised_at=self.clock(),
                    frame_timestamp=frame.timestamp,
                    first_seen_at=track.first_seen,
                    probe_crop=probe_crop(frame.image, detection),
                    probe_template=np.array(templates[index], dtype=np.float32, copy=True),
                    face_box=detection.box,
                ))
        # Invariant 2: the aligned crops and the templates of this frame are dropped now;
        # they are overwritten first so no copy lingers in reusable memory.
        _erase(crops)
        templates.fill(0.0)
        return alerts


def _erase(crops: list[Image]) -> None:
    for crop in crops:
        if crop.flags.writeable:
            crop.fill(0)
    crops.clear()
