"""The one module that reads and writes biometric data (watchlist images and templates,
alert probe crops). Encryption at rest goes here later; nothing else touches those columns."""

from __future__ import annotations

import numpy as np
from sqlmodel import Session, col, delete, select

from lfr_api.db.models import AlertMedia, WatchlistEntry, WatchlistImage
from lfr_framework.types import Image, Templates


def save_watchlist_image(session: Session, entry_id: str, position: int, filename: str,
                         content_type: str, data: bytes, template: Templates) -> WatchlistImage:
    """Store one enrolled image and its template (one row of ``template``)."""
    row = np.ascontiguousarray(template, dtype=np.float32).reshape(-1)
    image = WatchlistImage(entry_id=entry_id, position=position, filename=filename,
                           content_type=content_type, data=data, template=row.tobytes(),
                           dimension=int(row.shape[0]))
    session.add(image)
    return image


def entry_templates(session: Session, entry_id: str) -> Templates:
    """The templates of one entry, one row per image."""
    rows = session.exec(select(WatchlistImage.template, WatchlistImage.dimension)
                        .where(WatchlistImage.entry_id == entry_id)
                        .order_by(col(WatchlistImage.position))).all()
    return _stack(rows)


def deployment_templates(session: Session, deployment_id: str) -> dict[str, Templates]:
    """Every entry's templates for one deployment's watchlist."""
    rows = session.exec(
        select(WatchlistImage.entry_id, WatchlistImage.template, WatchlistImage.dimension)
        .join(WatchlistEntry, col(WatchlistEntry.id) == col(WatchlistImage.entry_id))
        .where(WatchlistEntry.deployment_id == deployment_id)
        .order_by(col(WatchlistImage.entry_id), col(WatchlistImage.position))).all()
    grouped: dict[str, list[tuple[bytes, int]]] = {}
    for entry_id, blob, dim in rows:
        grouped.setdefault(entry_id, []).append((blob, dim))
    return {entry_id: _stack(items) for entry_id, items in grouped.items()}


def _stack(rows: object) -> Templates:
    arrays = [np.frombuffer(blob, dtype=np.float32).reshape(1, dim)
              for blob, dim in rows]  # type: ignore[attr-defined]
    if not arrays:
        return np.zeros((0, 0), dtype=np.float32)
    stacked: Templates = np.vstack(arrays).astype(np.float32)
    return stacked


def watchlist_image(session: Session, image_id: str) -> tuple[WatchlistImage, bytes] | None:
    """An enrolled image's row and bytes, or ``None``."""
    image = session.get(WatchlistImage, image_id)
    return None if image is None else (image, image.data)


def destroy_watchlist(session: Session, deployment_id: str) -> int:
    """Delete every image and template of a deployment's watchlist; return how many images."""
    entry_ids = select(WatchlistEntry.id).where(WatchlistEntry.deployment_id == deployment_id)
    count = len(session.exec(select(WatchlistImage.id)
                             .where(col(WatchlistImage.entry_id).in_(entry_ids))).all())
    session.exec(delete(WatchlistImage).where(
        col(WatchlistImage.entry_id).in_(entry_ids)))
    return count


def encode_jpeg(image: Image) -> bytes:
    """JPEG bytes of a BGR crop."""
    import cv2

    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise ValueError("the probe crop could not be encoded")
    return bytes(buf.tobytes())


def save_probe_crop(session: Session, alert_id: str, data: bytes,
                    content_type: str = "image/jpeg") -> None:
    """Store an alert's probe crop (alert biometrics)."""
    session.add(AlertMedia(alert_id=alert_id, content_type=content_type, data=data))


def probe_crop(session: Session, alert_id: str) -> tuple[str, bytes] | None:
    """An alert's probe crop as ``(content_type, bytes)``, or ``None``."""
    media = session.get(AlertMedia, alert_id)
    return None if media is None else (media.content_type, media.data)
