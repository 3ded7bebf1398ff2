"""The in-process alert path: a core ``Alert`` from ``Pipeline(on_alert=...)`` is persisted
and published exactly like one posted to ``/ingest/alerts``, under the core's alert id (the
one the pipeline logs and the compliance plugin records).

While the database cannot be reached, storing is retried with back-off for up to
``retry_for_s`` (the pipeline's alert dispatch waits; a live camera drops frames meanwhile
rather than the alert) under the same idempotency key, so an attempt that did commit before
its connection broke is not stored twice.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from lfr_api.alerts.service import NewAlert, record_alert
from lfr_api.biometrics.storage import encode_jpeg
from lfr_api.context import AppContext
from lfr_api.errors import database_unavailable
from lfr_framework.types import Alert

log = logging.getLogger(__name__)


class InProcessAlerts:
    """Callable for ``Pipeline(on_alert=...)``; runs on the pipeline's thread."""

    def __init__(self, ctx: AppContext, retry_for_s: float = 120.0,
                 backoff_s: tuple[float, float] = (0.25, 5.0)) -> None:
        self.ctx = ctx
        self.retry_for_s = retry_for_s
        self.backoff_s = backoff_s

    def __call__(self, alert: Alert) -> None:
        crop = encode_jpeg(alert.probe_crop) if alert.probe_crop is not None else None
        template = (None if alert.probe_template is None else
                    np.ascontiguousarray(alert.probe_template, dtype=np.float32).tobytes())
        new = NewAlert(
            deployment_id=alert.deployment_id, idempotency_key=alert.alert_id,
            camera_id=alert.camera_id, entry_id=alert.entry_id, score=alert.score,
            threshold=alert.threshold, model_id=alert.model_id, track_id=alert.track_id,
            raised_at=alert.raised_at, frame_timestamp=alert.frame_timestamp,
            source="in-process", probe_crop_jpeg=crop, probe_template=template,
            notify_host=False, alert_id=alert.alert_id)
        deadline = time.monotonic() + self.retry_for_s
        delay = self.backoff_s[0]
        while True:
            try:
                record_alert(self.ctx, new)
                return
            except Exception as exc:
                if not database_unavailable(exc) or time.monotonic() + delay > deadline:
                    raise
                log.warning("alert on camera %s not stored yet (database unavailable: %s); "
                            "retrying in %.2f s", alert.camera_id, type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, self.backoff_s[1])
