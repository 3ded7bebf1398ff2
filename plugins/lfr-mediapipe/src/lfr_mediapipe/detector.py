"""BlazeFace face detection through the MediaPipe Tasks ``FaceDetector``."""

from __future__ import annotations

import atexit

# Imported before our exit hook is registered, so that its own hook (stop every executor's
# workers) runs after ours: MediaPipe needs its executor to close a task.
import concurrent.futures.thread  # noqa: F401
import contextlib
import queue
import threading
import weakref
from collections.abc import Sequence
from typing import Any, cast

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from lfr_framework.errors import ModelError
from lfr_framework.models.store import ModelStore
from lfr_framework.types import (
    LEFT_EAR,
    LEFT_EYE,
    MOUTH_CENTRE,
    NOSE_TIP,
    RIGHT_EAR,
    RIGHT_EYE,
    BoundingBox,
    Detection,
    Image,
    Region,
)
from lfr_mediapipe.metadata import with_task_metadata
from lfr_mediapipe.native_log import native_output_to_log
from lfr_mediapipe.options import MediaPipeOptions
from lfr_mediapipe.refine import crop_window, nearest_centre, window_around
from lfr_mediapipe.tiling import Tile, auto_rows, merge_detections, tile_grid

#: BlazeFace's six keypoints in output order. Index 0 is the subject's right eye, which
#: appears on the left of the image (checked on the test photos).
KEYPOINT_NAMES = (RIGHT_EYE, LEFT_EYE, NOSE_TIP, MOUTH_CENTRE, RIGHT_EAR, LEFT_EAR)


def _load_task(models: ModelStore, model_id: str, min_score: float) -> vision.FaceDetector:
    """Create a MediaPipe ``FaceDetector`` in IMAGE mode from the store's verified file."""
    path = models.path(model_id)  # raises ModelNotAvailableError / ModelHashMismatchError
    buffer = with_task_metadata(path.read_bytes())
    options = vision.FaceDetectorOptions(
        base_options=BaseOptions(model_asset_buffer=buffer),
        running_mode=vision.RunningMode.IMAGE,
        min_detection_confidence=min_score,
    )
    try:
        with native_output_to_log():
            task = vision.FaceDetector.create_from_options(options)
            # The first call logs too (glog's banner, tensor alignment): make it now.
            blank = np.zeros((64, 64, 3), np.uint8)
            task.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=blank))
            return task
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(
            f"MediaPipe could not load model {model_id!r} from {path}: {exc}"
        ) from None


def _close_task(holder: list[vision.FaceDetector]) -> None:
    """Close the MediaPipe task in ``holder`` (the only reference to it): closing and freeing
    it both print native log lines, so both happen while those go to the debug log. At
    interpreter exit its worker may already have stopped."""
    with contextlib.suppress(RuntimeError), native_output_to_log():
        task = holder.pop()
        try:
            task.close()
        finally:
            del task


#: Tasks of detectors that were garbage-collected without ``close()``. A finalizer may run
#: inside any code — even ``ThreadPoolExecutor.submit``, which holds the global lock that
#: MediaPipe's ``close`` needs to submit its own work — so it only queues the task
#: (``SimpleQueue.put`` is safe there) and a thread of its own closes it.
_ORPHANS: queue.SimpleQueue[vision.FaceDetector] = queue.SimpleQueue()
_LIVE: weakref.WeakSet[MediaPipeFaceDetector] = weakref.WeakSet()
_closer_lock = threading.Lock()
_closer: threading.Thread | None = None


def _orphaned(task: vision.FaceDetector) -> None:
    _ORPHANS.put(task)


def _close_orphans() -> None:
    while True:
        _close_task([_ORPHANS.get()])


def _start_closer() -> None:
    global _closer
    with _closer_lock:
        if _closer is None:
            _closer = threading.Thread(target=_close_orphans, name="lfr-mediapipe-closer",
                                       daemon=True)
            _closer.start()


def _close_all_at_exit() -> None:
    """Close every task still open while MediaPipe's workers still run: at interpreter
    exit, before ``concurrent.futures`` stops its executors (``threading._register_atexit``
    hooks run in reverse order, and ``concurrent.futures`` registered first)."""
    for detector in list(_LIVE):
        detector.close()
    while True:
        try:
            holder = [_ORPHANS.get_nowait()]
        except queue.Empty:
            return
        _close_task(holder)


_register_exit = getattr(threading, "_register_atexit", atexit.register)
_register_exit(_close_all_at_exit)


def _check_image(image: Any) -> Image:
    if not isinstance(image, np.ndarray):
        raise TypeError(f"detect() needs a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"detect() needs a BGR uint8 image of shape (height, width, 3), got "
            f"{image.dtype} {image.shape}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"detect() got an empty image of shape {image.shape}")
    return image


class MediaPipeFaceDetector:
    """Finds faces with BlazeFace; implements the ``Detector`` protocol.

    One instance may be shared by several threads: calls run one at a time (a lock
    guards the MediaPipe task, which is not re-entrant). For parallel cameras, build one
    instance per camera; each has its own MediaPipe worker.
    """

    name = "mediapipe"

    def __init__(self, models: ModelStore, options: MediaPipeOptions) -> None:
        self.options = options
        self.model_id: str = options.model
        self._lock = threading.Lock()
        self._auto_rows: dict[tuple[int, int], int] = {}
        self._task: vision.FaceDetector | None = _load_task(
            models, options.model, options.min_score
        )
        # Close the task when this object goes (on the closer thread, see _ORPHANS), or at
        # exit before MediaPipe's modules do (_close_all_at_exit).
        self._finalizer = weakref.finalize(self, _orphaned, self._task)
        self._finalizer.atexit = False
        _LIVE.add(self)
        _start_closer()

    def detect(self, image: Image) -> list[Detection]:
        """Return every face in ``image`` (BGR, uint8), boxes and keypoints in its pixels:
        the whole frame and every tile of :meth:`regions` searched.

        Boxes are clipped to the frame; keypoints (ears of a turned head, say) may lie
        just outside it.
        """
        frame = _check_image(image)
        height, width = frame.shape[:2]
        return self.detect_regions(frame, self.regions(width, height), True)

    def regions(self, width: int, height: int) -> list[Region]:
        """The tiles searched besides the whole frame in a frame of this size (``tiles``
        rows, or as many as ``min_face_px`` needs; none when the whole frame is enough)."""
        rows = self._rows(width, height)
        if rows <= 1:
            return []
        grid = tile_grid(width, height, rows, self.options.tile_overlap)
        return grid if len(grid) > 1 else []

    def detect_regions(self, image: Image, regions: Sequence[Region],
                       whole_frame: bool) -> list[Detection]:
        """Faces found on ``regions`` of ``image`` (and the whole frame when
        ``whole_frame``), one detection per face where tiles overlap, in frame pixels."""
        frame = _check_image(image)
        height, width = frame.shape[:2]
        tiles = ([Tile(0, 0, width, height)] if whole_frame else []) + list(regions)
        for tile in tiles:
            if tile.width <= 0 or tile.height <= 0 or tile.x < 0 or tile.y < 0 \
                    or tile.x + tile.width > width or tile.y + tile.height > height:
                raise ValueError(f"region {tile} is not inside the {width}x{height} frame")
        # Only the pixels the model will see are converted to RGB.
        found: list[Detection] = []
        with self._lock:
            task = self._task
            if task is None:
                raise RuntimeError("this MediaPipe detector is closed")
            for tile in tiles:
                found += self._detect_tile(task, frame, tile, bgr=True)
        if len(tiles) > 1:
            return merge_detections(found, self.options.nms_iou)
        return found

    def _rows(self, width: int, height: int) -> int:
        """Rows of tiles for a frame of this size (``tiles``, or chosen for ``min_face_px``)."""
        if self.options.tiles != "auto":
            return int(self.options.tiles)
        key = (width, height)
        rows = self._auto_rows.get(key)
        if rows is None:
            rows = auto_rows(width, height, self.options.min_face_px, self.options.tile_overlap)
            self._auto_rows[key] = rows
        return rows

    def refine(self, image: Image, detection: Detection) -> Detection:
        """``detection`` re-measured on a crop around it at the model's resolution (see
        :mod:`lfr_mediapipe.refine`): box, keypoints and score as the closer look sees them;
        score 0 when the closer look finds no face there; as it was when ``refine`` is off."""
        if not self.options.refine:
            return detection
        frame = _check_image(image)
        size = self.options.refine_size
        window = window_around(detection, self.options.refine_context, size)
        crop = cast(Image, cv2.cvtColor(crop_window(frame, window, size), cv2.COLOR_BGR2RGB))
        with self._lock:
            task = self._task
            if task is None:
                raise RuntimeError("this MediaPipe detector is closed")
            found = self._detect_tile(task, crop, Tile(0, 0, size, size))
        best = nearest_centre(found, size)
        if best is None:
            # Looked at closely, there is no face there: a false detection of the frame.
            return Detection(detection.box, 0.0, detection.keypoints)
        return window.to_frame(best)

    def _detect_tile(
        self, task: vision.FaceDetector, image: Image, tile: Tile, bgr: bool = False
    ) -> list[Detection]:
        height, width = image.shape[:2]
        pixels = image[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width]
        if bgr:
            pixels = cast(Image, cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB))
        elif (tile.width, tile.height) != (width, height):
            pixels = np.ascontiguousarray(pixels)
        result = task.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=pixels))
        out = []
        for found in result.detections:
            detection = _to_detection(found, tile, width, height)
            if detection is not None:
                out.append(detection)
        return out

    def close(self) -> None:
        """Release the MediaPipe task. Safe to call twice."""
        with self._lock:
            holder = [self._task] if self._task is not None else []
            self._task = None
            self._finalizer.detach()
        _LIVE.discard(self)
        if holder:
            _close_task(holder)

    def __repr__(self) -> str:
        return (
            f"MediaPipeFaceDetector(model={self.model_id!r}, "
            f"min_score={self.options.min_score}, tiles={self.options.tiles})"
        )


def _to_detection(found: Any, tile: Tile, width: int, height: int) -> Detection | None:
    """Map one MediaPipe detection in ``tile`` to frame pixels; ``None`` if it is empty."""
    box = found.bounding_box
    left = min(max(tile.x + float(box.origin_x), 0.0), float(width))
    top = min(max(tile.y + float(box.origin_y), 0.0), float(height))
    right = min(max(tile.x + float(box.origin_x + box.width), 0.0), float(width))
    bottom = min(max(tile.y + float(box.origin_y + box.height), 0.0), float(height))
    if right <= left or bottom <= top:
        return None
    score = float(found.categories[0].score) if found.categories else 0.0
    keypoints = {
        name: (tile.x + float(point.x) * tile.width, tile.y + float(point.y) * tile.height)
        for name, point in zip(KEYPOINT_NAMES, found.keypoints or [], strict=False)
        if point.x is not None and point.y is not None
    }
    return Detection(BoundingBox(left, top, right - left, bottom - top), score, keypoints)
