"""The one module that reads and writes biometric data: watchlist images and templates,
alert probe crops and probe templates. Each is stored AES-256-GCM encrypted
(:mod:`lfr_api.biometrics.crypto`) under the session's data keyring, bound to its table, row
and part; plaintext never reaches the database. Deleting a part sets its column to NULL (SQLite runs
with ``secure_delete``), and the row goes with its last part.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, select

from lfr_api.biometrics.crypto import DataKeyError, Keyring
from lfr_api.db.engine import VAULT_INFO
from lfr_api.db.models import AlertMedia, WatchlistEntry, WatchlistImage
from lfr_api.db.types import new_id
from lfr_framework.types import Image, Templates

WATCHLIST = WatchlistImage.__table__  # type: ignore[attr-defined]
ALERT_MEDIA = AlertMedia.__table__  # type: ignore[attr-defined]
#: The parts of each table: part name -> column. The part is part of each item's identity.
WATCHLIST_PARTS = {"image": "data", "template": "template"}
ALERT_PARTS = {"probe_crop": "data", "probe_template": "template"}


def _vault(session: Session) -> Keyring:
    vault = session.info.get(VAULT_INFO)
    if not isinstance(vault, Keyring):
        raise DataKeyError("no data key is configured for this session: biometric data "
                           "is never stored or read without one")
    return vault


def aad(table: str, row_id: str, part: str) -> bytes:
    """The associated data binding a ciphertext to its table, row and part."""
    return f"lfr:{table}:{row_id}:{part}".encode()


def _open(vault: Keyring, blob: bytes, key_id: str | None, table: str, row_id: str,
          part: str) -> bytes:
    what = f"{table} {row_id} ({part})"
    if key_id is None:
        raise DataKeyError(f"{what} was stored before encryption at rest: run 'lfr keys "
                           f"rotate' to encrypt it before it can be read")
    return vault.decrypt(blob, aad(table, row_id, part), what)


def _template_bytes(template: Templates) -> tuple[bytes, int]:
    row = np.ascontiguousarray(template, dtype=np.float32).reshape(-1)
    return row.tobytes(), int(row.shape[0])


# -- watchlist ---------------------------------------------------------------------------

def save_watchlist_image(session: Session, entry_id: str, position: int, filename: str,
                         content_type: str, data: bytes, template: Templates) -> WatchlistImage:
    """Store one enrolled image and its template (one row of ``template``), encrypted."""
    vault = _vault(session)
    image_id = new_id()
    raw, dimension = _template_bytes(template)
    image = WatchlistImage(
        id=image_id, entry_id=entry_id, position=position, filename=filename,
        content_type=content_type, dimension=dimension, key_id=vault.current.key_id,
        data=vault.encrypt(data, aad("watchlist_images", image_id, "image")),
        template=vault.encrypt(raw, aad("watchlist_images", image_id, "template")))
    session.add(image)
    return image


def _templates(vault: Keyring, rows: Iterable[tuple[str, bytes, int, str | None]]) -> Templates:
    arrays = []
    for image_id, blob, dim, key_id in rows:
        raw = _open(vault, blob, key_id, "watchlist_images", image_id, "template")
        arrays.append(np.frombuffer(raw, dtype=np.float32).reshape(1, dim))
    if not arrays:
        return np.zeros((0, 0), dtype=np.float32)
    stacked: Templates = np.vstack(arrays).astype(np.float32)
    return stacked


def entry_templates(session: Session, entry_id: str) -> Templates:
    """The templates of one entry, one row per image (deleted templates left out)."""
    return entry_watchlist(session, entry_id)[1]


def entry_watchlist(session: Session, entry_id: str) -> tuple[tuple[str, ...], Templates]:
    """An entry's templates and, from the same rows, the ids of the images they belong to
    (what a live matcher records of the entry)."""
    rows = session.exec(select(WatchlistImage.id, WatchlistImage.template,
                               WatchlistImage.dimension, WatchlistImage.key_id)
                        .where(WatchlistImage.entry_id == entry_id,
                               col(WatchlistImage.template).is_not(None))
                        .order_by(col(WatchlistImage.position))).all()
    ids = tuple(str(r[0]) for r in rows)
    return ids, _templates(_vault(session), rows)  # type: ignore[arg-type]


def deployment_templates(session: Session, deployment_id: str) -> dict[str, Templates]:
    """Every entry's templates for one deployment's watchlist."""
    return deployment_watchlist(session, deployment_id)[0]


def _watchlist_rows(session: Session, deployment_id: str, *columns: sa.ColumnElement[object]
                    ) -> list[tuple[Any, ...]]:
    entries = WatchlistEntry.__table__  # type: ignore[attr-defined]
    return [tuple(row) for row in session.connection().execute(
        sa.select(WATCHLIST.c.entry_id, WATCHLIST.c.id, *columns)
        .join(entries, entries.c.id == WATCHLIST.c.entry_id)
        .where(entries.c.deployment_id == deployment_id, WATCHLIST.c.template.is_not(None))
        .order_by(WATCHLIST.c.entry_id, WATCHLIST.c.position)).all()]


def deployment_watchlist(session: Session, deployment_id: str
                         ) -> tuple[dict[str, Templates], dict[str, tuple[str, ...]]]:
    """Every entry's templates for one deployment's watchlist and, from the same rows, the
    ids of the images each entry's templates belong to."""
    rows = _watchlist_rows(session, deployment_id, WATCHLIST.c.template, WATCHLIST.c.dimension,
                           WATCHLIST.c.key_id)
    grouped: dict[str, list[tuple[str, bytes, int, str | None]]] = {}
    for entry_id, image_id, blob, dim, key_id in rows:
        grouped.setdefault(str(entry_id), []).append((str(image_id), blob, dim, key_id))
    vault = _vault(session)
    return ({entry_id: _templates(vault, items) for entry_id, items in grouped.items()},
            {entry_id: tuple(i[0] for i in items) for entry_id, items in grouped.items()})


def template_images(session: Session, deployment_id: str) -> dict[str, tuple[str, ...]]:
    """Which images of each entry of a deployment's watchlist hold a template: ids only,
    nothing decrypted (what its live matchers must hold)."""
    out: dict[str, list[str]] = {}
    for entry_id, image_id in _watchlist_rows(session, deployment_id):
        out.setdefault(str(entry_id), []).append(str(image_id))
    return {entry_id: tuple(ids) for entry_id, ids in out.items()}


def watchlist_image(session: Session, image_id: str) -> tuple[WatchlistImage, bytes] | None:
    """An enrolled image's row and decrypted bytes, or ``None`` (unknown or deleted)."""
    image = session.get(WatchlistImage, image_id)
    if image is None or image.data is None:
        return None
    return image, _open(_vault(session), image.data, image.key_id, "watchlist_images",
                        image.id, "image")


def first_image_id(session: Session, entry_id: str) -> str | None:
    """The id of an entry's first image that still exists."""
    return session.exec(select(WatchlistImage.id)
                        .where(WatchlistImage.entry_id == entry_id,
                               col(WatchlistImage.data).is_not(None))
                        .order_by(col(WatchlistImage.position))).first()


# -- alerts ------------------------------------------------------------------------------

def encode_jpeg(image: Image) -> bytes:
    """JPEG bytes of a BGR crop."""
    import cv2

    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise ValueError("the probe crop could not be encoded")
    return bytes(buf.tobytes())


def save_probe_crop(session: Session, alert_id: str, data: bytes | None,
                    content_type: str = "image/jpeg",
                    template: Templates | bytes | None = None) -> None:
    """Store an alert's biometrics, encrypted: the probe crop and (if given) the probe
    template (float32). Nothing is stored when both are missing."""
    if data is None and template is None:
        return
    vault = _vault(session)
    raw = template if isinstance(template, bytes | None) else _template_bytes(template)[0]
    session.add(AlertMedia(
        alert_id=alert_id, content_type=content_type, key_id=vault.current.key_id,
        data=None if data is None else vault.encrypt(
            data, aad("alert_media", alert_id, "probe_crop")),
        template=None if raw is None else vault.encrypt(
            raw, aad("alert_media", alert_id, "probe_template"))))


def probe_crop(session: Session, alert_id: str) -> tuple[str, bytes] | None:
    """An alert's probe crop as ``(content_type, bytes)``, or ``None`` (none, or deleted)."""
    media = session.get(AlertMedia, alert_id)
    if media is None or media.data is None:
        return None
    return media.content_type, _open(_vault(session), media.data, media.key_id, "alert_media",
                                     alert_id, "probe_crop")


def probe_template(session: Session, alert_id: str) -> Templates | None:
    """An alert's probe template (1 × d float32), or ``None`` (none, or deleted)."""
    media = session.get(AlertMedia, alert_id)
    if media is None or media.template is None:
        return None
    raw = _open(_vault(session), media.template, media.key_id, "alert_media", alert_id,
                "probe_template")
    return np.frombuffer(raw, dtype=np.float32).reshape(1, -1).copy()


def has_probe_crop(session: Session, alert_id: str) -> bool:
    """Whether an alert still has its probe crop."""
    found = session.exec(select(AlertMedia.alert_id).where(
        AlertMedia.alert_id == alert_id, col(AlertMedia.data).is_not(None))).first()
    return found is not None


# -- deletion (the retention store and the close path call these) ------------------------

def _table(table: str) -> tuple[sa.Table, str, dict[str, str]]:
    if table == "watchlist_images":
        return WATCHLIST, "id", WATCHLIST_PARTS
    if table == "alert_media":
        return ALERT_MEDIA, "alert_id", ALERT_PARTS
    raise ValueError(f"no biometric table {table!r}")


def erase_part(conn: sa.Connection, table: str, row_id: str, part: str) -> bool:
    """Delete one part's ciphertext on the caller's transaction; the row goes with its last
    part. ``False`` (nothing written) when the part is already gone."""
    t, key, parts = _table(table)
    column = parts[part]
    updated = conn.execute(t.update().where(t.c[key] == row_id, t.c[column].is_not(None))
                           .values({column: None}))
    if updated.rowcount == 0:
        return False
    conn.execute(t.delete().where(t.c[key] == row_id, t.c.data.is_(None),
                                  t.c.template.is_(None)))
    return True


# -- key rotation --------------------------------------------------------------------------

def rows_to_rotate(conn: sa.Connection, table: str, new_key_id: str) -> list[str]:
    """Ids of the rows of ``table`` not yet under ``new_key_id`` (legacy plaintext too)."""
    t, key, _ = _table(table)
    query = sa.select(t.c[key]).where(sa.or_(t.c.key_id.is_(None), t.c.key_id != new_key_id))
    return [r[0] for r in conn.execute(query.order_by(t.c[key]))]


def reencrypt_row(conn: sa.Connection, table: str, row_id: str, read: Keyring,
                  write: Keyring) -> str | None:
    """Decrypt one row's parts with ``read`` and encrypt them under ``write``'s current key
    on the caller's transaction; return the old key id (``"plaintext"`` for legacy rows),
    or ``None`` if the row is gone or already under the new key. Raises ``DataKeyError``
    (writing nothing) if a part cannot be decrypted."""
    t, key, parts = _table(table)
    if conn.dialect.name == "sqlite":  # hold the write lock before reading (see lfr_api.db.audit)
        conn.execute(t.update().where(t.c[key] == row_id).values(key_id=t.c.key_id))
    row = conn.execute(sa.select(t).where(t.c[key] == row_id).with_for_update()).first()
    if row is None or row.key_id == write.current.key_id:
        return None
    values: dict[str, object] = {"key_id": write.current.key_id}
    for part, column in parts.items():
        blob = row._mapping[column]
        if blob is None:
            continue
        plain = blob if row.key_id is None else read.decrypt(
            blob, aad(table, row_id, part), f"{table} {row_id} ({part})")
        values[column] = write.encrypt(plain, aad(table, row_id, part))
    conn.execute(t.update().where(t.c[key] == row_id).values(values))
    return row.key_id or "plaintext"


def key_ids_in_use(conn: sa.Connection) -> dict[str, int]:
    """How many stored rows name each key id (``plaintext``: not encrypted yet)."""
    out: dict[str, int] = {}
    for t in (WATCHLIST, ALERT_MEDIA):
        for key_id, count in conn.execute(sa.select(t.c.key_id, sa.func.count())
                                          .group_by(t.c.key_id)):
            name = key_id or "plaintext"
            out[name] = out.get(name, 0) + count
    return out
