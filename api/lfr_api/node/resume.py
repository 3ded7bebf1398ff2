"""A finite source (a video file) that resumes where the node left it instead of replaying.

The node persists, per camera, the source's start time (the capture time of its first
frame, so every frame keeps its timestamp across restarts) and how many frames were read.
On the next start the same file is opened with the same start time and the frames already
read are skipped, less a margin for the frames that were read but still queued in the
pipeline when the node died (those are looked at again; an alert among them is the same
pass and is not raised twice, see :mod:`lfr_api.node.outbox`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from lfr_api.node.store import NodeStore, Position
from lfr_framework.interfaces import CameraSource
from lfr_framework.types import Frame

log = logging.getLogger(__name__)
#: How often (frames) the position is written; a crash re-reads at most this many more.
SAVE_EVERY = 5


class ResumingSource:
    """Wraps a finite :class:`CameraSource`; see the module docstring."""

    live = False

    def __init__(self, source: CameraSource, store: NodeStore, deployment_id: str, uri: str,
                 start_time: datetime, skip: int, rewind: int) -> None:
        self.source = source
        self.camera_id = source.camera_id
        self.store = store
        self.deployment_id = deployment_id
        self.uri = uri
        self.start_time = start_time
        self._skip = max(0, skip - rewind)
        self._read = 0

    def open(self) -> None:
        """Open the source and skip what an earlier run already read."""
        self.source.open()
        self._read = 0
        while self._read < self._skip:
            if self.source.read() is None:
                break
            self._read += 1
        self._save()
        if self._skip:
            log.info("camera %s: resumed at frame %d of %s", self.camera_id, self._read,
                     self.uri)

    def read(self) -> Frame | None:
        """The next frame (the position is saved every few frames and at the end)."""
        frame = self.source.read()
        if frame is None:
            self._save()
            return None
        self._read += 1
        if self._read % SAVE_EVERY == 0:
            self._save()
        return frame

    def _save(self) -> None:
        self.store.set_position(self.deployment_id, self.camera_id,
                                Position(self.uri, self.start_time, self._read))

    def close(self) -> None:
        """Release the source. Safe to call twice."""
        self.source.close()


def resume_plan(store: NodeStore, deployment_id: str, camera_id: str,
                uri: str) -> tuple[datetime, int]:
    """The start time and frames to skip for a camera: where it was if it read this same
    ``uri`` before, else now and nothing."""
    known = store.position(deployment_id, camera_id)
    if known is not None and known.uri == uri:
        return known.start_time, known.frames
    return datetime.now(UTC), 0
