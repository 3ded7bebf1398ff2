"""``GET /alerts/{id}/deliveries``: what the push channels did with an alert."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath

from lfr_api.alerts.service import visible_alert
from lfr_api.context import ctx_of
from lfr_api.feed.push import deliveries
from lfr_api.schemas import Schema
from lfr_api.security.guards import allow, principal
from lfr_api.security.roles import Role


class DeviceDelivery(Schema):
    """One phone: its token shortened to six characters, its officer, and the outcome."""

    token: str
    officer_id: str | None
    outcome: str
    attempts: int
    error: str | None


class DeliveryOut(Schema):
    """One push of an alert: ``delivered`` (every device), ``partial``, ``undelivered``
    (429/5xx still failing after the retries, or every token unregistered) or
    ``no_devices``; unregistered tokens were removed from the officers' devices."""

    channel: str
    status: str
    at: str
    delivered: int
    failed: int
    unregistered: int
    devices: list[DeviceDelivery]


class AlertDeliveryController(Controller):
    """Push delivery records (supervisors, admins, compliance)."""

    path = "/alerts"
    tags = ["alerts"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/{alert_id:str}/deliveries", guards=allow(Role.admin, Role.supervisor,
                                                     Role.compliance), sync_to_thread=True)
    def deliveries(self, request: Request[Any, Any, Any],
                   alert_id: FromPath[str]) -> list[DeliveryOut]:
        """How the alert was pushed to phones, oldest first (empty without FCM)."""
        ctx = ctx_of(request)
        with ctx.db.session() as session:
            visible_alert(session, principal(request), alert_id)
        return [DeliveryOut.model_validate(d) for d in deliveries(ctx.db, alert_id)]
