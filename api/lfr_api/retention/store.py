"""The core's ``RetentionStore`` over the service's tables.

Items: each part of an alert's biometrics (``<alert_id>/probe_crop``,
``<alert_id>/probe_template``; the alert's facts stay), and each watchlist image and template
(the image row's id). Deleting one erases its ciphertext, appends the deletion log entry and
an audit entry in ONE transaction (:func:`erase_and_log`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from lfr_api.biometrics import storage
from lfr_api.db.audit import lock_trail, record_on
from lfr_api.db.models import (
    RETENTION_TABLES,
    Alert,
    AlertMedia,
    Deployment,
    DeploymentTransition,
    WatchlistEntry,
    WatchlistImage,
)
from lfr_api.watchlists import version
from lfr_framework.audit.sql import SqlAuditTrail
from lfr_framework.retention import (
    DeletionEntry,
    DeploymentTimes,
    Hold,
    RecordKind,
    RetentionError,
    RetentionItem,
)
from lfr_framework.retention import sql as rsql

ALERTS = Alert.__table__  # type: ignore[attr-defined]
MEDIA = AlertMedia.__table__  # type: ignore[attr-defined]
IMAGES = WatchlistImage.__table__  # type: ignore[attr-defined]
ENTRIES = WatchlistEntry.__table__  # type: ignore[attr-defined]
DEPLOYMENTS = Deployment.__table__  # type: ignore[attr-defined]
TRANSITIONS = DeploymentTransition.__table__  # type: ignore[attr-defined]

#: Kinds a hold may name, and what its ``item_id`` is: an alert id (every part of the
#: alert's biometrics) or a watchlist image id (the image and its template).
HOLDABLE = {RecordKind.ALERT_BIOMETRICS: "alert", RecordKind.WATCHLIST_IMAGE: "watchlist image"}


def alert_item_id(alert_id: str, part: str) -> str:
    """The retention item id of one part of an alert's biometrics."""
    return f"{alert_id}/{part}"


def deployment_times(conn: sa.Connection, deployment_id: str | None = None,
                     closed_at: datetime | None = None) -> dict[str, DeploymentTimes]:
    """Each deployment's authorised window and close time. A deployment never authorised
    has a deadline only once it is closed (then its window is its close time)."""
    closed: dict[str, datetime] = {}
    query = sa.select(TRANSITIONS.c.deployment_id, TRANSITIONS.c.at).where(
        TRANSITIONS.c.to_state == "closed")
    deps = sa.select(DEPLOYMENTS.c.id, DEPLOYMENTS.c.authorised_start,
                     DEPLOYMENTS.c.authorised_end)
    if deployment_id is not None:
        query = query.where(TRANSITIONS.c.deployment_id == deployment_id)
        deps = deps.where(DEPLOYMENTS.c.id == deployment_id)
    for dep, at in conn.execute(query):
        closed[dep] = min(at, closed.get(dep, at))
    if deployment_id is not None and closed_at is not None:
        closed[deployment_id] = closed_at
    out = {}
    for dep, start, end in conn.execute(deps):
        done = closed.get(dep)
        if start is not None and end is not None:
            out[dep] = DeploymentTimes(dep, start, end, done)
        elif done is not None:
            out[dep] = DeploymentTimes(dep, done, done, done)
    return out


def _holds(conn: sa.Connection, kind: RecordKind) -> dict[str, tuple[Hold, ...]]:
    return rsql.holds_by_item(conn, RETENTION_TABLES, kind)


def alert_items(conn: sa.Connection, times: dict[str, DeploymentTimes]) -> list[RetentionItem]:
    """Every part of alert biometrics still stored, with the holds on its alert."""
    holds = _holds(conn, RecordKind.ALERT_BIOMETRICS)
    rows = conn.execute(
        sa.select(MEDIA.c.alert_id, MEDIA.c.data.is_not(None).label("crop"),
                  MEDIA.c.template.is_not(None).label("tpl"), ALERTS.c.raised_at,
                  ALERTS.c.deployment_id)
        .join(ALERTS, ALERTS.c.id == MEDIA.c.alert_id).order_by(MEDIA.c.alert_id))
    out = []
    for alert_id, crop, tpl, raised_at, dep in rows:
        for part, present in (("probe_crop", crop), ("probe_template", tpl)):
            if not present:
                continue
            item_id = alert_item_id(alert_id, part)
            out.append(RetentionItem(
                RecordKind.ALERT_BIOMETRICS, item_id, raised_at, deployment=times.get(dep),
                holds=holds.get(alert_id, ()) + holds.get(item_id, ()), part=part,
                parent_id=alert_id))
    return out


def watchlist_items(conn: sa.Connection, times: dict[str, DeploymentTimes],
                    deployment_id: str | None = None) -> list[RetentionItem]:
    """Every watchlist image and template still stored whose deployment has a deadline."""
    holds = _holds(conn, RecordKind.WATCHLIST_IMAGE)
    query = (sa.select(IMAGES.c.id, IMAGES.c.entry_id, IMAGES.c.data.is_not(None).label("img"),
                       IMAGES.c.template.is_not(None).label("tpl"), ENTRIES.c.added_at,
                       ENTRIES.c.deployment_id)
             .join(ENTRIES, ENTRIES.c.id == IMAGES.c.entry_id).order_by(IMAGES.c.id))
    if deployment_id is not None:
        query = query.where(ENTRIES.c.deployment_id == deployment_id)
    out = []
    for image_id, entry_id, img, tpl, added_at, dep in conn.execute(query):
        deployment = times.get(dep)
        if deployment is None:
            continue  # a draft never authorised nor closed: no deadline yet
        for kind, present in ((RecordKind.WATCHLIST_IMAGE, img),
                              (RecordKind.WATCHLIST_TEMPLATE, tpl)):
            if present:
                out.append(RetentionItem(kind, image_id, added_at, deployment=deployment,
                                         holds=holds.get(image_id, ()), parent_id=entry_id))
    return out


def locate(item: RetentionItem) -> tuple[str, str, str]:
    """``(table, row id, part)`` of an item's ciphertext."""
    if item.kind is RecordKind.ALERT_BIOMETRICS and item.parent_id and item.part:
        return "alert_media", item.parent_id, item.part
    if item.kind is RecordKind.WATCHLIST_IMAGE:
        return "watchlist_images", item.item_id, "image"
    if item.kind is RecordKind.WATCHLIST_TEMPLATE:
        return "watchlist_images", item.item_id, "template"
    raise RetentionError(f"the service stores no {item.kind.value} item {item.item_id!r}")


def erase_and_log(conn: sa.Connection, trail: SqlAuditTrail, item: RetentionItem,
                  entry: DeletionEntry) -> bool:
    """On the caller's transaction: erase the item's ciphertext, log the deletion and audit
    it. ``False``, writing nothing, if it is already logged or already gone."""
    lock_trail(conn, trail)  # the trail first, then the item's row: one lock order everywhere
    if rsql.is_logged(conn, RETENTION_TABLES, item.kind, [item.item_id]):
        return False
    table, row_id, part = locate(item)
    if not storage.erase_part(conn, table, row_id, part):
        return False
    rsql.log_deletion(conn, RETENTION_TABLES, entry)
    if item.kind is RecordKind.WATCHLIST_TEMPLATE and entry.deployment_id:
        version.bump(conn, entry.deployment_id)  # every replica's live matcher follows
    record_on(conn, trail, actor=entry.deleted_by, action="retention.deleted",
              subject=entry.entry_id, details={
                  "kind": entry.kind.value, "part": entry.part, "parent_id": entry.parent_id,
                  "deployment_id": entry.deployment_id, "rule": entry.rule,
                  "policy": entry.policy, "due_at": entry.due_at.isoformat()})
    return True


class ServiceRetentionStore:
    """The ``RetentionStore`` the engine sweeps: the service's database, its audit trail."""

    def __init__(self, engine: sa.Engine, trail: SqlAuditTrail) -> None:
        self.engine = engine
        self.trail = trail

    def candidates(self) -> Sequence[RetentionItem]:
        """Every alert-biometric part and watchlist image and template still stored."""
        with self.engine.connect() as conn:
            times = deployment_times(conn)
            return alert_items(conn, times) + watchlist_items(conn, times)

    def delete(self, item: RetentionItem, entry: DeletionEntry) -> bool:
        """Erase, log and audit in one transaction (see :func:`erase_and_log`)."""
        with self.engine.begin() as conn:
            return erase_and_log(conn, self.trail, item, entry)

    def undelivered(self) -> Sequence[DeletionEntry]:
        """The outbox of ``biometric_data_deleted`` events."""
        with self.engine.connect() as conn:
            return rsql.deletion_entries(conn, RETENTION_TABLES, undelivered_only=True)

    def mark_delivered(self, entry_id: str) -> None:
        """The event of ``entry_id`` reached the plugins."""
        from lfr_framework.retention import utc_now

        with self.engine.begin() as conn:
            rsql.mark_delivered(conn, RETENTION_TABLES, entry_id, utc_now())
