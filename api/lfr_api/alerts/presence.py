"""Who else is looking at an alert: each open card refreshes its viewer row while it is open
(``PUT /alerts/{id}/viewers``), and says when the officer is going to engage, so two
officers do not walk up to the same person. Rows older than :data:`FRESH_SECONDS` are
ignored and pruned; the table is shared by every API replica."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from litestar import Controller, Request, delete, get, put
from litestar.params import FromPath, JSONBody
from pydantic import Field
from sqlmodel import Session, col, select

from lfr_api.alerts.service import visible_alert
from lfr_api.context import ctx_of
from lfr_api.db.models import AlertViewer
from lfr_api.db.types import utcnow
from lfr_api.schemas import Schema
from lfr_api.security.guards import allow, principal
from lfr_api.security.roles import Principal, Role

#: A card refreshes every 10 s; a viewer not heard from for this long has gone.
FRESH_SECONDS = 30.0
Req = Request[Any, Any, Any]


class Activity(StrEnum):
    """What the viewer is doing with the alert."""

    viewing = "viewing"
    engaging = "engaging"


class ViewingIn(Schema):
    """The caller has the alert's card open."""

    activity: Activity = Activity.viewing


class ViewerOut(Schema):
    """Someone with the alert's card open."""

    user_id: str
    username: str
    role: str
    activity: str
    seen_at: datetime
    me: bool = Field(description="the caller")


def _fresh(session: Session, alert_id: str, who: Principal, now: datetime) -> list[ViewerOut]:
    cutoff = now - timedelta(seconds=FRESH_SECONDS)
    session.exec(sa.delete(AlertViewer).where(
        col(AlertViewer.seen_at) < cutoff))
    rows = session.exec(select(AlertViewer).where(AlertViewer.alert_id == alert_id)
                        .order_by(col(AlertViewer.seen_at))).all()
    return [ViewerOut(user_id=r.user_id, username=r.username, role=r.role,
                      activity=r.activity, seen_at=r.seen_at, me=r.user_id == who.id)
            for r in rows]


class PresenceController(Controller):
    """``/alerts/{id}/viewers``: who has the alert's card open."""

    path = "/alerts/{alert_id:str}/viewers"
    tags = ["alerts"]  # noqa: RUF012  (Litestar reads it per class)

    @put("/", guards=allow(Role.admin, Role.officer, Role.supervisor), sync_to_thread=True)
    def viewing(self, request: Req, alert_id: FromPath[str],
                data: JSONBody[ViewingIn]) -> list[ViewerOut]:
        """The caller has the card open (send again every 10 s while it is, and with
        ``engaging`` when going to the person); answers everyone who has it open."""
        who = principal(request)
        now = utcnow()
        with ctx_of(request).db.session() as session:
            visible_alert(session, who, alert_id)
            row = session.get(AlertViewer, (alert_id, who.id))
            if row is None:
                row = AlertViewer(alert_id=alert_id, user_id=who.id, username=who.name,
                                  role=who.role.value)
            row.activity, row.seen_at = data.activity.value, now
            session.add(row)
            session.flush()
            return _fresh(session, alert_id, who, now)

    @get("/", guards=allow(Role.admin, Role.officer, Role.supervisor), sync_to_thread=True)
    def viewers(self, request: Req, alert_id: FromPath[str]) -> list[ViewerOut]:
        """Everyone who has the alert's card open now."""
        who = principal(request)
        with ctx_of(request).db.session() as session:
            visible_alert(session, who, alert_id)
            return _fresh(session, alert_id, who, utcnow())

    @delete("/", guards=allow(Role.admin, Role.officer, Role.supervisor),
            sync_to_thread=True)
    def closed(self, request: Req, alert_id: FromPath[str]) -> None:
        """The caller closed the card."""
        who = principal(request)
        with ctx_of(request).db.session() as session:
            visible_alert(session, who, alert_id)
            row = session.get(AlertViewer, (alert_id, who.id))
            if row is not None:
                session.delete(row)
