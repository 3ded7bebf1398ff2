"""Test helpers for retention, encryption, audit and reports: an injectable clock, alerts
with real biometric parts, and a byte search over the files the service writes."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import select

from lfr_api.db.models import Alert as AlertRow
from lfr_api.live.inprocess import InProcessAlerts
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, enrol, now
from lfr_framework.imaging import decode_image
from lfr_framework.types import Alert, new_alert_id


@dataclass
class Clock:
    """A clock the test moves by hand (the retention service reads it at each sweep)."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at


@dataclass
class LiveDeployment:
    """A live deployment with one enrolled entry and a camera node's key."""

    id: str
    entry: dict[str, Any]
    key: dict[str, str]

    @property
    def image_id(self) -> str:
        return str(self.entry["images"][0]["id"])


def live_deployment(api: Api, photo: bytes, *, published: bool = True,
                    cameras: tuple[str, ...] = ("cam-1",),
                    fields: dict[str, Any] | None = None) -> LiveDeployment:
    """Create (with ``fields`` in the draft's body), authorise, publish, start and enrol one
    person; assign the test officer."""
    dep = api.deployment(live=True, published=published, cameras=cameras, fields=fields)
    r = enrol(api, dep, [("person.jpg", photo)])
    assert r.status_code == 201, r.text
    api.assign(dep)
    api.assign(dep, Role.supervisor)
    return LiveDeployment(dep, r.json(), api.service_key(dep))


def crop_of(photo: bytes, size: int = 96) -> bytes:
    """JPEG bytes of a real face-photo crop (distinctive enough to search files for)."""
    import cv2

    image = decode_image(photo, "photo")[:size, :size].copy()
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return bytes(buf.tobytes())


def as_stored(image: bytes) -> bytes:
    """The bytes the service stores (and serves) for an uploaded image: the image gate's
    re-encoded JPEG."""
    from lfr_api.biometrics.image_gate import admit

    return admit(image, "image").jpeg


def ingest_alert(api: Api, live: LiveDeployment, *, crop: bytes | None = None,
                 raised_at: datetime | None = None, camera: str = "cam-1") -> str:
    """POST an alert from the camera node (with a probe crop if given); its id."""
    t = (raised_at or now()).isoformat()
    body: dict[str, Any] = {"camera_id": camera, "entry_id": live.entry["id"], "score": 0.71,
                            **api.operating(live.id), "raised_at": t, "frame_timestamp": t}
    if crop is not None:
        body["probe_crop_jpeg_base64"] = base64.b64encode(crop).decode()
    r = api.client.post("/ingest/alerts", json=body,
                        headers={**live.key, "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def in_process_alert(api: Api, live: LiveDeployment, photo: bytes,
                     template: np.ndarray[Any, Any], raised_at: datetime | None = None) -> str:
    """An alert from an in-process pipeline, with a probe crop and a probe template."""
    crop = decode_image(photo, "photo")[:96, :96].copy()
    t = raised_at or now()
    alert = Alert(alert_id=new_alert_id(), deployment_id=live.id, camera_id="cam-1",
                  track_id=1, entry_id=live.entry["id"], score=0.7, threshold=0.5,
                  model_id="sface", raised_at=t, frame_timestamp=t, first_seen_at=t,
                  probe_crop=crop, probe_template=template)
    InProcessAlerts(api.ctx)(alert)
    with api.ctx.db.session() as session:
        row = session.exec(select(AlertRow).where(
            AlertRow.idempotency_key == alert.alert_id)).one()
        return row.id


def files_containing(folder: Path, needle: bytes) -> list[str]:
    """Every file under ``folder`` whose bytes contain ``needle``."""
    hits = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and needle in path.read_bytes():
            hits.append(str(path))
    return hits


def sample(data: bytes, length: int = 48) -> bytes:
    """A slice from the middle of ``data`` (long enough never to match by chance)."""
    start = max(0, len(data) // 2 - length // 2)
    return data[start:start + length]


def sweep(api: Api) -> Any:
    """Run the service's retention sweep now (at its clock's time); the sweep report."""
    assert api.ctx.retention is not None
    return api.ctx.retention.sweep()
