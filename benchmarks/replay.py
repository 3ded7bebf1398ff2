"""The raw model calls alone: the same calls the pipeline made, on the same frames, in one
thread with nothing else running — decode not timed, no tracker, no queues."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from benchmarks.timed import CallLog
from lfr_framework.interfaces import CameraSource, KeypointRefiner, RegionDetector
from lfr_framework.pipeline.processor import SharedComponents
from lfr_framework.types import Detection, Region


def replay_model_calls(
    camera: CameraSource,
    components: SharedComponents,
    log: CallLog,
    aligned: Mapping[int, Sequence[Detection]] | None = None,
    max_frames: int | None = None,
    regions: Mapping[int, Sequence[Region]] | None = None,
    refined: Mapping[int, Sequence[Detection]] | None = None,
    top_k: int = 1,
) -> None:
    """Detect on every frame of ``camera``; align, embed (one batch per frame) and search
    the faces ``aligned`` lists for that frame index. Adds each call's time to ``log``.

    Without ``aligned`` (a warm-up), every detected face is aligned and embedded. With
    ``regions``, a frame listed there is searched on the whole frame and those tiles only
    (the pipeline's detection schedule); ``refined`` faces are refined first.
    """
    camera.open()
    try:
        index = 0
        while max_frames is None or index < max_frames:
            frame = camera.read()
            if frame is None:
                break
            detector = components.detector
            tiles = None if regions is None else regions.get(index)
            start = time.perf_counter()
            if tiles is not None and isinstance(detector, RegionDetector):
                found = detector.detect_regions(frame.image, tiles, True)
            else:
                found = detector.detect(frame.image)
            log.add("detect", time.perf_counter() - start)
            if refined and isinstance(detector, KeypointRefiner):
                for detection in refined.get(index, ()):
                    start = time.perf_counter()
                    detector.refine(frame.image, detection)
                    log.add("refine", time.perf_counter() - start)
            faces = found if aligned is None else aligned.get(index, ())
            if faces:
                crops = []
                for detection in faces:
                    start = time.perf_counter()
                    crops.append(components.recogniser.align(frame.image, detection))
                    log.add("align", time.perf_counter() - start)
                start = time.perf_counter()
                templates = components.recogniser.embed(crops)
                log.add("embed", time.perf_counter() - start, len(crops))
                start = time.perf_counter()
                components.matcher.search(templates, top_k)
                log.add("search", time.perf_counter() - start, len(crops))
                templates.fill(0.0)
                for crop in crops:
                    crop.fill(0)
            index += 1
    finally:
        camera.close()
