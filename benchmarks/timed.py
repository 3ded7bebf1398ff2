"""Timing wrappers at the plugin boundary: the raw model calls the pipeline makes.

Each wrapper forwards to the real plugin object and adds the call's wall time to a
:class:`CallLog`. It also notes which faces of which frame were aligned, so the same calls
can be replayed outside the pipeline (:mod:`benchmarks.replay`). Only geometry is noted —
no image, crop or template outlives the call.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lfr_framework.interfaces import (
    Detector,
    KeypointRefiner,
    Matcher,
    Recogniser,
    RegionDetector,
)
from lfr_framework.types import Candidate, Detection, Image, Region, Templates

#: The model calls, in pipeline order.
CALLS = ("detect", "refine", "align", "embed", "search")


@dataclass(slots=True)
class CallLog:
    """Seconds and counts per model call, and the faces aligned per frame index."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CALLS, 0.0))
    calls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CALLS, 0))
    items: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CALLS, 0))
    aligned: dict[int, list[Detection]] = field(default_factory=lambda: defaultdict(list))
    #: Per frame index: the tiles searched (scheduled detection) and the faces refined.
    regions: dict[int, list[Region]] = field(default_factory=dict)
    refined: dict[int, list[Detection]] = field(default_factory=lambda: defaultdict(list))
    frame_index: int = -1
    last_image_id: int | None = None
    #: ``perf_counter`` at the start of the first call and the end of the last one.
    first_start: float | None = None
    last_end: float | None = None

    def add(self, call: str, seconds: float, items: int = 1) -> None:
        """Record one call of ``call`` over ``items`` faces (or frames)."""
        end = time.perf_counter()
        if self.first_start is None:
            self.first_start = end - seconds
        self.last_end = end
        self.seconds[call] += seconds
        self.calls[call] += 1
        self.items[call] += items

    @property
    def total_s(self) -> float:
        """The sum of every model call."""
        return sum(self.seconds.values())

    def as_dict(self) -> dict[str, Any]:
        """Seconds, calls and items per model call, plus the total."""
        return {
            "calls": {c: {"seconds": self.seconds[c], "calls": self.calls[c],
                          "items": self.items[c]} for c in CALLS},
            "total_s": self.total_s,
        }


class TimedDetector:
    """A ``Detector`` that times every ``detect`` call."""

    def __init__(self, inner: Detector, log: CallLog) -> None:
        self._inner = inner
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def detect(self, image: Image) -> list[Detection]:
        """Forward, timing the call; count the frame for :class:`TimedRecogniser`."""
        self._log.frame_index += 1
        self._log.last_image_id = id(image)
        start = time.perf_counter()
        found = self._inner.detect(image)
        self._log.add("detect", time.perf_counter() - start)
        return found

    def regions(self, width: int, height: int) -> Sequence[Region]:
        """Forward (not timed: no model call)."""
        inner = self._inner
        return inner.regions(width, height) if isinstance(inner, RegionDetector) else []

    def detect_regions(self, image: Image, regions: Sequence[Region],
                       whole_frame: bool) -> list[Detection]:
        """Forward, timing the call and noting the tiles searched."""
        self._log.frame_index += 1
        self._log.last_image_id = id(image)
        self._log.regions[self._log.frame_index] = list(regions)
        start = time.perf_counter()
        if isinstance(self._inner, RegionDetector):
            found = self._inner.detect_regions(image, regions, whole_frame)
        else:
            found = self._inner.detect(image)
        self._log.add("detect", time.perf_counter() - start)
        return found

    def refine(self, image: Image, detection: Detection) -> Detection:
        """Forward, timing the call (a model run on a crop) as ``refine``."""
        if not isinstance(self._inner, KeypointRefiner):
            return detection
        start = time.perf_counter()
        better = self._inner.refine(image, detection)
        self._log.add("refine", time.perf_counter() - start)
        if id(image) == self._log.last_image_id:
            self._log.refined[self._log.frame_index].append(detection)
        return better


class TimedRecogniser:
    """A ``Recogniser`` that times ``align`` and ``embed`` and notes which faces it aligned."""

    def __init__(self, inner: Recogniser, log: CallLog) -> None:
        self._inner = inner
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def align(self, image: Image, detection: Detection) -> Image:
        """Forward, timing the call."""
        start = time.perf_counter()
        crop = self._inner.align(image, detection)
        self._log.add("align", time.perf_counter() - start)
        if id(image) == self._log.last_image_id:
            self._log.aligned[self._log.frame_index].append(detection)
        return crop

    def embed(self, crops: Sequence[Image]) -> Templates:
        """Forward, timing the call."""
        start = time.perf_counter()
        templates = self._inner.embed(crops)
        self._log.add("embed", time.perf_counter() - start, len(crops))
        return templates


class TimedMatcher:
    """A ``Matcher`` that times ``search``."""

    def __init__(self, inner: Matcher, log: CallLog) -> None:
        self._inner = inner
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __len__(self) -> int:
        return len(self._inner)

    def search(self, templates: Templates, k: int = 1) -> list[list[Candidate]]:
        """Forward, timing the call."""
        start = time.perf_counter()
        found = self._inner.search(templates, k)
        self._log.add("search", time.perf_counter() - start, len(templates))
        return found
