"""The protocols that plugin components implement.

A plugin registers a *factory* for each component (see :mod:`lfr_framework.hookspecs`);
the core calls the factory with the validated options from the deployment file and
then uses the object only through these protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from lfr_framework.types import Alert, Candidate, Detection, Frame, Image, Region, Templates

if TYPE_CHECKING:
    from lfr_framework.retention.items import Deadline, RetentionItem


@runtime_checkable
class CameraSource(Protocol):
    """A source of frames: a video file, a stream, a webcam, a folder of images, …

    A source may set ``live = False`` (files, image folders): the pipeline then treats a
    ``CameraError`` as final instead of reopening the source with back-off.
    """

    camera_id: str

    def open(self) -> None:
        """Open the source; raise ``CameraError`` naming the source if it cannot."""

    def read(self) -> Frame | None:
        """Return the next frame, ``None`` at the end of a finite source.

        Raise :class:`~lfr_framework.errors.CameraError` when a live source disconnects;
        the pipeline reopens it with back-off.
        """

    def close(self) -> None:
        """Release the source. Safe to call twice."""


@runtime_checkable
class Detector(Protocol):
    """Finds faces in an image."""

    name: str

    def detect(self, image: Image) -> list[Detection]:
        """Return every face found in ``image`` (BGR, uint8), in frame pixel coordinates."""


@runtime_checkable
class RegionDetector(Protocol):
    """A detector that searches a frame in parts (tiles) besides the whole (optional).

    Small faces in a large frame are found only on tiles, and each tile costs a model run.
    The pipeline then need not search every tile of every frame: its detection schedule
    (``[detection]``, :mod:`lfr_framework.pipeline.schedule`) asks for the whole frame and
    a few tiles in turn, and the tracker carries faces between the frames a tile is seen.
    ``detect(image)`` must stay equal to ``detect_regions(image, regions(w, h), True)``.
    """

    def regions(self, width: int, height: int) -> Sequence[Region]:
        """The tiles this detector searches in a ``width`` x ``height`` frame besides the
        whole frame (none when the whole frame is enough). The same size, the same list."""

    def detect_regions(self, image: Image, regions: Sequence[Region],
                       whole_frame: bool) -> list[Detection]:
        """Faces found in ``regions`` of ``image`` (and on the whole frame when
        ``whole_frame``), merged where one face was found twice, in frame pixels."""


@runtime_checkable
class KeypointRefiner(Protocol):
    """A detector that can re-locate one face's keypoints more precisely (optional).

    Small faces found on a whole frame or a tile are seen at a low resolution, and their
    keypoints are off by a fraction of the inter-eye distance: enough to spoil alignment.
    The pipeline calls :meth:`refine` only on the shots it is about to recognise (enrolment,
    calibration and evaluation on every face they embed), so it may cost a model run.
    """

    def refine(self, image: Image, detection: Detection) -> Detection:
        """``detection`` re-measured in ``image``: box, keypoints and score (a score below
        the quality gate's ``min_detection_score`` means the closer look found no face)."""


@runtime_checkable
class Recogniser(Protocol):
    """Turns a detected face into an L2-normalised template for one model."""

    model_id: str
    dimension: int
    default_threshold: float

    def align(self, image: Image, detection: Detection) -> Image:
        """Return the aligned face crop that :meth:`embed` expects."""

    def embed(self, crops: Sequence[Image]) -> Templates:
        """Return one L2-normalised ``float32`` template per aligned crop, batched."""


@runtime_checkable
class Matcher(Protocol):
    """A 1:N index over one deployment's watchlist templates."""

    def add(self, entry_id: str, templates: Templates) -> None:
        """Add the templates of a watchlist entry (replacing any it had). Thread-safe."""

    def remove(self, entry_id: str) -> bool:
        """Remove an entry; return whether it was present. Thread-safe."""

    def search(self, templates: Templates, k: int = 1) -> list[list[Candidate]]:
        """For each query row, the best ``k`` entries by cosine similarity, best first."""

    def __len__(self) -> int:
        """The number of entries in the index."""

    def destroy(self) -> None:
        """Erase every template from memory; the matcher is empty afterwards."""


@runtime_checkable
class AlertSink(Protocol):
    """Delivers alerts somewhere: a file, a callback, officers' phones, …"""

    def emit(self, alert: Alert) -> None:
        """Deliver one alert. Raising marks the delivery as failed; the pipeline goes on."""

    def close(self) -> None:
        """Flush and release resources."""


@runtime_checkable
class RetentionPolicy(Protocol):
    """Says when each item must be deleted (see docs/privacy-and-retention.md).

    The retention engine deletes an item at the earlier of the policy's :meth:`deadline`
    and the core's own ceiling (alert biometrics 31 days after the alert; the watchlist
    when its deployment closes and at the latest 24 hours after its authorised end), and
    never while a hold is in force: a policy can only shorten what the core allows.
    """

    name: str

    def max_age(self, record_kind: str) -> timedelta | None:
        """The longest time a record of ``record_kind`` may be kept; ``None`` means not
        limited by age. Checked at start-up against the core's ceilings."""

    def deadline(self, item: RetentionItem) -> Deadline | None:
        """When ``item`` must be gone and the rule's name, or ``None`` if this policy never
        deletes it. ``item.deployment`` gives the deployment's authorised end and close time."""
