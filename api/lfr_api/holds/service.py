"""Placing and releasing holds: checks, the hold row and its audit entry in one transaction,
then the ``hold_changed`` event."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from lfr_api.context import AppContext, retention_of
from lfr_api.db import audit
from lfr_api.db.models import RETENTION_TABLES, Alert, AlertMedia, WatchlistImage
from lfr_api.errors import Conflict, InvalidRequest, NotFound
from lfr_api.holds.schemas import HoldIn, HoldKindIn, HoldOut
from lfr_api.retention.store import alert_item_id
from lfr_api.security.roles import Principal
from lfr_framework.retention import (
    Hold,
    HoldAlreadyReleasedError,
    HoldError,
    RecordKind,
    hold_event,
    place_hold,
    release_hold,
)
from lfr_framework.retention import sql as rsql


def hold_out(hold: Hold) -> HoldOut:
    """A hold as the API shows it."""
    return HoldOut(id=hold.hold_id, hold_type=hold.hold_type.value,
                   item_kind=hold.item_kind.value, item_id=hold.item_id,
                   reference=hold.reference, placed_by=hold.placed_by,
                   placed_at=hold.placed_at, released_by=hold.released_by,
                   released_at=hold.released_at, active=hold.active)


def _check_target(session: Session, data: HoldIn) -> None:
    """404 for an unknown item, 409 for one whose data was already deleted."""
    conn = session.connection()
    if data.item_kind is HoldKindIn.alert_biometrics:
        if session.get(Alert, data.item_id) is None:
            raise NotFound(f"no alert {data.item_id}")
        if session.get(AlertMedia, data.item_id) is not None:
            return
        ids = [alert_item_id(data.item_id, p) for p in ("probe_crop", "probe_template")]
        if rsql.is_logged(conn, RETENTION_TABLES, RecordKind.ALERT_BIOMETRICS, ids):
            raise Conflict(f"the biometric data of alert {data.item_id} was already deleted; "
                           f"a hold cannot bring it back")
        raise NotFound(f"alert {data.item_id} has no biometric data to hold")
    if session.get(WatchlistImage, data.item_id) is not None:
        return
    if rsql.is_logged(conn, RETENTION_TABLES, RecordKind.WATCHLIST_IMAGE, [data.item_id]):
        raise Conflict(f"watchlist image {data.item_id} was already deleted; a hold cannot "
                       f"bring it back")
    raise NotFound(f"no watchlist image {data.item_id}")


def place(ctx: AppContext, who: Principal, data: HoldIn) -> HoldOut:
    """Place a hold on an item that still exists."""
    now = retention_of(ctx).clock()
    with ctx.db.session() as session:
        _check_target(session, data)
        try:
            hold = place_hold(hold_type=data.hold_type.value, item_kind=data.item_kind.value,
                              item_id=data.item_id, reference=data.reference,
                              placed_by=who.actor, at=now, item_exists=True)
        except HoldError as exc:
            raise InvalidRequest(str(exc)) from None
        rsql.save_hold(session.connection(), RETENTION_TABLES, hold)
        audit.record(session, actor=who.actor, action="hold.placed",
                     subject=f"hold:{hold.hold_id}", details=_details(hold))
    ctx.host.hold_changed(hold_event(hold))
    return hold_out(hold)


def release(ctx: AppContext, who: Principal, hold_id: str) -> HoldOut:
    """Release a hold; a second release is a 409. The item is then deleted by the next
    sweep if its normal period has passed."""
    now = retention_of(ctx).clock()
    with ctx.db.session() as session:
        conn = session.connection()
        hold = rsql.load_hold(conn, RETENTION_TABLES, hold_id)
        if hold is None:
            raise NotFound(f"no hold {hold_id}")
        try:
            released = release_hold(hold, released_by=who.actor, at=now)
        except HoldAlreadyReleasedError as exc:
            raise Conflict(str(exc)) from None
        except HoldError as exc:
            raise InvalidRequest(str(exc)) from None
        rsql.save_hold(conn, RETENTION_TABLES, released)
        audit.record(session, actor=who.actor, action="hold.released",
                     subject=f"hold:{hold_id}", details=_details(released))
    ctx.host.hold_changed(hold_event(released))
    return hold_out(released)


def _details(hold: Hold) -> dict[str, str]:
    return {"hold_type": hold.hold_type.value, "item_kind": hold.item_kind.value,
            "item_id": hold.item_id, "reference": hold.reference}


def list_holds(ctx: AppContext, item_id: str | None, active: bool | None) -> list[HoldOut]:
    """Holds, newest first, optionally of one item or only active / released ones."""
    table = RETENTION_TABLES.holds
    query = sa.select(table.c.hold_id).order_by(table.c.placed_at.desc())
    if item_id is not None:
        query = query.where(table.c.item_id == item_id)
    if active is not None:
        query = query.where(table.c.released_at.is_(None) if active
                            else table.c.released_at.is_not(None))
    with ctx.db.engine.connect() as conn:
        holds = [rsql.load_hold(conn, RETENTION_TABLES, r[0]) for r in conn.execute(query)]
    return [hold_out(h) for h in holds if h is not None]


def get(ctx: AppContext, hold_id: str) -> HoldOut:
    """One hold, or 404."""
    with ctx.db.engine.connect() as conn:
        hold = rsql.load_hold(conn, RETENTION_TABLES, hold_id)
    if hold is None:
        raise NotFound(f"no hold {hold_id}")
    return hold_out(hold)
