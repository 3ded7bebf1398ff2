"""Done when: after the injected clock passes 31 days no alert biometric bytes remain anywhere
the service writes (database file, its WAL, the data directory, the log) except under a
hold; after a deployment's end + 24 h no watchlist image or template remains; plaintext
never reaches the disk at all; every deletion has exactly one log entry.

On SQLite the files themselves are searched for the plaintext and for the ciphertext of
each item; on PostgreSQL (whose files are not ours to read) the rows are checked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from lfr_api.db.models import COMPLIANCE_TABLES, RETENTION_TABLES, AlertMedia, WatchlistImage
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, now
from lfr_api.testing.data import (
    Clock,
    as_stored,
    crop_of,
    files_containing,
    in_process_alert,
    ingest_alert,
    live_deployment,
    sample,
)

MEDIA = AlertMedia.__table__  # type: ignore[attr-defined]
IMAGES = WatchlistImage.__table__  # type: ignore[attr-defined]


@pytest.fixture
def folder(database_url: str, tmp_path: Path) -> Iterator[Path]:
    """Where the service writes: the SQLite database's folder (or a temporary one for
    PostgreSQL), with the service's whole log (DEBUG) written there too."""
    path = (Path(database_url.removeprefix("sqlite:///")).parent
            if database_url.startswith("sqlite") else tmp_path)
    handler = logging.FileHandler(path / "service.log", encoding="utf-8")
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(old_level)
    handler.close()


def _ciphertexts(api: Api, alert_id: str) -> list[bytes]:
    with api.ctx.db.engine.connect() as conn:
        row = conn.execute(sa.select(MEDIA.c.data, MEDIA.c.template)
                           .where(MEDIA.c.alert_id == alert_id)).first()
    return [] if row is None else [b for b in row if b is not None]


def _on_disk(api: Api, folder: Path, needle: bytes) -> list[str]:
    """Files holding ``needle`` (SQLite: after the same purge a sweep runs)."""
    return files_containing(folder, needle)


def _sqlite(api: Api) -> bool:
    return api.ctx.db.engine.dialect.name == "sqlite"


def _one_log_entry_each(api: Api) -> None:
    log = RETENTION_TABLES.deletion_log
    comp = COMPLIANCE_TABLES["compliance_deletion_log"]
    with api.ctx.db.engine.connect() as conn:
        of_record = conn.execute(sa.select(log.c.kind, log.c.item_id)).all()
        plugin = conn.execute(sa.select(comp.c.kind, comp.c.item_id)).all()
    keys = [f"{k}:{i}" for k, i in of_record]
    assert len(keys) == len(set(keys))
    assert sorted(i for _, i in plugin) == sorted(i for _, i in of_record)


def test_after_31_days_no_alert_biometric_bytes_remain_except_under_a_hold(
        api: Api, folder: Path, clock: Clock, photo_bytes: dict[str, bytes]) -> None:
    live = live_deployment(api, photo_bytes["grace_hopper"])
    t0 = now()
    crop_gone, crop_held = crop_of(photo_bytes["obama2"]), crop_of(photo_bytes["biden"])
    template = np.random.default_rng(3).standard_normal((1, 128)).astype(np.float32)
    gone = ingest_alert(api, live, crop=crop_gone, raised_at=t0)
    with_template = in_process_alert(api, live, photo_bytes["astronaut"], template,
                                     raised_at=t0)
    held = ingest_alert(api, live, crop=crop_held, raised_at=t0)
    hold = api.client.post("/holds", headers=api.headers[Role.compliance], json={
        "hold_type": "complaint", "item_kind": "alert_biometrics", "item_id": held,
        "reference": "CMP-77"}).json()
    ct_gone = _ciphertexts(api, gone) + _ciphertexts(api, with_template)
    ct_held = _ciphertexts(api, held)
    assert len(ct_gone) == 3 and len(ct_held) == 1
    plaintexts = [as_stored(crop_gone), as_stored(crop_held), template.tobytes(),
                  as_stored(photo_bytes["grace_hopper"])]

    if _sqlite(api):
        for plain in plaintexts:  # encrypted at rest: the plaintext never reached the disk
            assert _on_disk(api, folder, sample(plain)) == []
        assert all(_on_disk(api, folder, sample(ct)) for ct in ct_gone + ct_held)

    clock.at = t0 + timedelta(days=31, seconds=1)
    assert api.ctx.retention is not None
    api.ctx.retention.sweep()  # runs purge_freed_space on SQLite

    assert _ciphertexts(api, gone) == _ciphertexts(api, with_template) == []
    assert _ciphertexts(api, held) == ct_held  # the held crop is still there, intact
    r = api.client.get(f"/alerts/{held}/probe-crop", headers=api.headers[Role.supervisor])
    assert r.content == as_stored(crop_held)
    if _sqlite(api):
        for ct in ct_gone:
            assert _on_disk(api, folder, sample(ct)) == [], "deleted ciphertext on disk"
        assert _on_disk(api, folder, sample(ct_held[0]))  # the held one, and only that
        for plain in plaintexts:
            assert _on_disk(api, folder, sample(plain)) == []

    clock.at += timedelta(days=10)
    api.client.post(f"/holds/{hold['id']}/release", headers=api.headers[Role.compliance])
    api.ctx.retention.sweep()
    assert _ciphertexts(api, held) == []
    with api.ctx.db.engine.connect() as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(MEDIA).where(
            MEDIA.c.alert_id.in_([gone, with_template, held]))).scalar_one()
    assert left == 0
    if _sqlite(api):
        assert _on_disk(api, folder, sample(ct_held[0])) == []
    _one_log_entry_each(api)


def test_after_the_end_plus_24_hours_no_watchlist_image_or_template_remains(
        api: Api, folder: Path, clock: Clock, photo_bytes: dict[str, bytes]) -> None:
    live = live_deployment(api, photo_bytes["obama3"])
    with api.ctx.db.engine.connect() as conn:
        row = conn.execute(sa.select(IMAGES.c.data, IMAGES.c.template)
                           .where(IMAGES.c.id == live.image_id)).one()
    ciphertexts = [row.data, row.template]
    dep = api.client.get(f"/deployments/{live.id}", headers=api.headers[Role.admin]).json()
    clock.at = datetime.fromisoformat(dep["authorised_end"]) + timedelta(hours=24, seconds=1)
    assert api.ctx.retention is not None
    api.ctx.retention.sweep()
    with api.ctx.db.engine.connect() as conn:
        entries = sa.table("watchlist_entries", sa.column("id"), sa.column("deployment_id"))
        remaining = conn.execute(
            sa.select(sa.func.count()).select_from(IMAGES).join(
                entries, entries.c.id == IMAGES.c.entry_id)
            .where(entries.c.deployment_id == live.id)).scalar_one()
    assert remaining == 0
    if _sqlite(api):
        for ct in ciphertexts:
            assert _on_disk(api, folder, sample(ct)) == []
        assert _on_disk(api, folder, sample(photo_bytes["obama3"])) == []
    report = api.client.get(f"/deployments/{live.id}/report",
                            headers=api.headers[Role.compliance]).json()
    assert report["deletion"]["watchlist_destroyed"] is True
    assert report["deletion"]["watchlist_images_deleted"] == 1
    _one_log_entry_each(api)


def test_closing_leaves_no_watchlist_bytes_anywhere(
        api: Api, folder: Path, photo_bytes: dict[str, bytes]) -> None:
    live = live_deployment(api, photo_bytes["astronaut"])
    with api.ctx.db.engine.connect() as conn:
        row = conn.execute(sa.select(IMAGES.c.data, IMAGES.c.template)
                           .where(IMAGES.c.id == live.image_id)).one()
    if _sqlite(api):
        assert _on_disk(api, folder, sample(row.data))
    r = api.client.post(f"/deployments/{live.id}/close", headers=api.headers[Role.admin])
    assert r.status_code == 200
    with api.ctx.db.engine.connect() as conn:
        assert conn.execute(sa.select(IMAGES).where(IMAGES.c.id == live.image_id)).first() \
            is None
    if _sqlite(api):
        for ct in (row.data, row.template):
            assert _on_disk(api, folder, sample(ct)) == []
    _one_log_entry_each(api)
