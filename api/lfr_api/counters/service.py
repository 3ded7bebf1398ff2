"""Storing pipeline counts (from camera nodes and in-process pipelines), and turning a
pipeline's running totals into per-period reports."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from lfr_api.context import AppContext
from lfr_api.counters.schemas import CountsIn, CountsOut
from lfr_api.db.models import Camera, PipelineCount
from lfr_api.db.types import new_id, utcnow
from lfr_api.deployments.service import get_deployment
from lfr_api.errors import Unprocessable
from lfr_framework.types import PipelineCounters

log = logging.getLogger(__name__)
FIELDS = ("faces_seen", "faces_discarded", "faces_rejected_quality", "frames_processed",
          "alerts")


def _existing(session: Session, deployment_id: str, key: str) -> PipelineCount | None:
    return session.exec(select(PipelineCount).where(
        PipelineCount.deployment_id == deployment_id,
        PipelineCount.idempotency_key == key)).first()


def record_counts(ctx: AppContext, deployment_id: str, source: str, data: CountsIn,
                  idempotency_key: str) -> tuple[CountsOut, bool]:
    """Store one report (the same key again returns the stored one, ``created`` False) and
    add its discards to the compliance plugin's counts per camera and time bucket."""
    try:
        with ctx.db.session() as session:
            found = _existing(session, deployment_id, idempotency_key)
            if found is not None:
                return CountsOut.model_validate(found), False
            get_deployment(session, deployment_id)
            camera = session.exec(select(Camera).where(
                Camera.deployment_id == deployment_id,
                Camera.camera_id == data.camera_id)).first()
            if camera is None:
                raise Unprocessable(
                    f"camera_id {data.camera_id!r} is not a camera of this deployment",
                    errors=[{"field": "camera_id", "message": "unknown camera"}])
            row = PipelineCount(deployment_id=deployment_id, idempotency_key=idempotency_key,
                                source=source, **data.model_dump())
            session.add(row)
            session.flush()
            out = CountsOut.model_validate(row)
    except sa.exc.IntegrityError:
        with ctx.db.session() as session:
            found = _existing(session, deployment_id, idempotency_key)
            if found is None:
                raise
            return CountsOut.model_validate(found), False
    if ctx.compliance is not None and data.faces_discarded:
        ctx.compliance.record_discards(deployment_id, data.camera_id, data.period_end,
                                       data.faces_discarded)
    return out, True


Send = Callable[[CountsIn, str], None]


class CounterReporter:
    """Turns a pipeline's running totals per camera into reports of what changed since the
    last one. Call :meth:`report` periodically (and once at the end) with each camera's
    counters; ``send(counts, idempotency_key)`` stores or posts each report. A report whose
    send raised is sent again, with the same key, before the next one: counted once."""

    def __init__(self, send: Send, clock: Callable[[], datetime] = utcnow) -> None:
        self._send = send
        self._clock = clock
        self._last: dict[str, tuple[datetime, dict[str, int]]] = {}
        self._pending: dict[str, tuple[CountsIn, str, dict[str, int]]] = {}
        self._lock = threading.Lock()

    def _deliver(self, camera_id: str) -> None:
        counts, key, totals = self._pending[camera_id]
        self._send(counts, key)
        self._last[camera_id] = (counts.period_end, totals)
        del self._pending[camera_id]

    def report(self, camera_id: str, counters: PipelineCounters) -> CountsIn | None:
        """Send the change since the camera's last report (nothing if nothing changed)."""
        with self._lock:
            if camera_id in self._pending:
                self._deliver(camera_id)
            now = self._clock()
            totals = {f: int(getattr(counters, f)) for f in FIELDS}
            since, before = self._last.get(camera_id, (now, dict.fromkeys(FIELDS, 0)))
            delta = {f: totals[f] - before[f] for f in FIELDS}
            if any(v < 0 for v in delta.values()):  # the pipeline restarted: a new baseline
                delta = totals
            if not any(delta.values()):
                return None
            counts = CountsIn(camera_id=camera_id, period_start=since, period_end=now, **delta)
            self._pending[camera_id] = (counts, f"counts-{camera_id}-{new_id()}", totals)
            self._deliver(camera_id)
            return counts


def in_process_sender(ctx: AppContext, deployment_id: str) -> Send:
    """A ``send`` for :class:`CounterReporter` that stores reports directly (``lfr serve``
    running the pipeline in the service's own process)."""

    def send(counts: CountsIn, key: str) -> None:
        record_counts(ctx, deployment_id, "in-process", counts, key)

    return send
