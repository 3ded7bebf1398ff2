"""The in-process alert path: a core ``Alert`` from ``Pipeline(on_alert=...)`` is persisted
and published exactly like one posted to ``/ingest/alerts``, under the core's alert id (the
one the pipeline logs and the compliance plugin records)."""

from __future__ import annotations

import numpy as np

from lfr_api.alerts.service import NewAlert, record_alert
from lfr_api.biometrics.storage import encode_jpeg
from lfr_api.context import AppContext
from lfr_framework.types import Alert


class InProcessAlerts:
    """Callable for ``Pipeline(on_alert=...)``; runs on the pipeline's thread."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def __call__(self, alert: Alert) -> None:
        crop = encode_jpeg(alert.probe_crop) if alert.probe_crop is not None else None
        template = (None if alert.probe_template is None else
                    np.ascontiguousarray(alert.probe_template, dtype=np.float32).tobytes())
        record_alert(self.ctx, NewAlert(
            deployment_id=alert.deployment_id, idempotency_key=alert.alert_id,
            camera_id=alert.camera_id, entry_id=alert.entry_id, score=alert.score,
            threshold=alert.threshold, model_id=alert.model_id, track_id=alert.track_id,
            raised_at=alert.raised_at, frame_timestamp=alert.frame_timestamp,
            source="in-process", probe_crop_jpeg=crop, probe_template=template,
            notify_host=False, alert_id=alert.alert_id))
