"""Alert routes: ingest from camera nodes, read, decide, amend, and the live feed."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, websocket
from litestar.connection import WebSocket
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from sqlmodel import col, select

from lfr_api.alerts import ingest_checks, service
from lfr_api.alerts.schemas import AlertOut, AmendmentIn, DecisionIn, IngestAlert
from lfr_api.biometrics import image_gate, storage
from lfr_api.context import ctx_of
from lfr_api.db.models import Alert
from lfr_api.deployments.service import visible_deployment
from lfr_api.errors import (
    InvalidRequest,
    NotFound,
    ServiceError,
    Unprocessable,
)
from lfr_api.feed.entitlement import FeedEntitlement
from lfr_api.feed.session import serve_feed
from lfr_api.inputs.policy import CURSOR_PATTERN, feed_cursor
from lfr_api.security.guards import allow, principal
from lfr_api.security.roles import Role
from lfr_framework.errors import ImageDecodeError

Req = Request[Any, Any, Any]
A, OFC, S, C, SVC = Role.admin, Role.officer, Role.supervisor, Role.compliance, Role.service


class IngestController(Controller):
    """Camera nodes post alerts here."""

    path = "/ingest"
    tags = ["ingest"]  # noqa: RUF012  (Litestar reads it per class)

    @post("/alerts", guards=allow(SVC), sync_to_thread=True)
    def ingest(
        self, request: Req, data: JSONBody[IngestAlert],
        idempotency_key: Annotated[str | None, HeaderParameter(
            name="Idempotency-Key", max_length=200)] = None,
    ) -> Response[AlertOut]:
        """Store an alert, then deliver it. Retry with the same ``Idempotency-Key`` until
        acknowledged: the same key gives back the same alert (200), never a duplicate."""
        if not idempotency_key:
            raise InvalidRequest("the Idempotency-Key header is required", errors=[
                {"field": "Idempotency-Key", "message": "missing header"}])
        who = principal(request)
        assert who.deployment_id is not None
        ctx = ctx_of(request)
        try:
            new = service.NewAlert(
                deployment_id=who.deployment_id, idempotency_key=idempotency_key,
                camera_id=data.camera_id, entry_id=data.entry_id, score=data.score,
                threshold=data.threshold, model_id=data.model_id, track_id=data.track_id,
                raised_at=data.raised_at, frame_timestamp=data.frame_timestamp,
                source=who.actor, probe_crop_jpeg=_gated_crop(data.probe_crop_jpeg_base64),
                from_node=True)
            out, created = service.record_alert(ctx, new)
        except (Unprocessable, InvalidRequest) as exc:
            ingest_checks.record_refusal(ctx, who.deployment_id, who.actor, data.camera_id, exc)
            raise
        return Response(out, status_code=201 if created else 200)


def _gated_crop(encoded: str | None) -> bytes | None:
    """The probe crop through the image gate (re-encoded JPEG); 422 naming the field."""
    if not encoded:
        return None
    field = "probe_crop_jpeg_base64"
    try:
        crop = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ingest_checks.IngestRefused(f"{field} is not valid base64", errors=[
            {"field": field, "message": "not base64"}]) from None
    try:
        return image_gate.admit(crop, "the probe crop", field=field,
                                max_pixels=image_gate.CROP_MAX_PIXELS).jpeg
    except (image_gate.NotAnImage, image_gate.ImageTooLarge, ImageDecodeError) as exc:
        raise ingest_checks.IngestRefused(f"{field}: {exc}", errors=[
            {"field": field, "message": str(exc)}]) from None


class AlertController(Controller):
    """Reading alerts and deciding on them."""

    path = "/alerts"
    tags = ["alerts"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/{alert_id:str}", guards=allow(A, OFC, S, C), sync_to_thread=True)
    def get_alert(self, request: Req, alert_id: FromPath[str]) -> AlertOut:
        """One alert (officers: of deployments they are assigned to)."""
        with ctx_of(request).db.session() as session:
            return service.alert_view(session,
                                      service.visible_alert(session, principal(request),
                                                            alert_id))

    @get("/{alert_id:str}/probe-crop", guards=allow(A, OFC, S), sync_to_thread=True,
         media_type="image/jpeg")
    def probe_crop(self, request: Req, alert_id: FromPath[str]) -> Response[bytes]:
        """The matched face crop (alert biometrics; kept at most 31 days)."""
        with ctx_of(request).db.session() as session:
            service.visible_alert(session, principal(request), alert_id)
            found = storage.probe_crop(session, alert_id)
            if found is None:
                raise NotFound(f"alert {alert_id} has no probe crop (none sent, or deleted)")
            return Response(found[1], media_type=image_gate.served_type(found[0]),
                            headers=image_gate.serve_headers(f"probe-{alert_id}"))

    @post("/{alert_id:str}/decision", guards=allow(OFC, S), sync_to_thread=True,
          status_code=200)
    def decide(self, request: Req, alert_id: FromPath[str], data: JSONBody[DecisionIn]) -> AlertOut:
        """Record engage / no-engage and the outcome. Sending the same decision again is
        harmless; a different one is a 409 (a supervisor amends it instead)."""
        return service.decide(ctx_of(request), principal(request), alert_id, data)

    @post("/{alert_id:str}/amendments", guards=allow(S), sync_to_thread=True,
          status_code=200)
    def amend(self, request: Req, alert_id: FromPath[str], data: JSONBody[AmendmentIn]) -> AlertOut:
        """A supervisor replaces the decision, giving a reason (both stay on record)."""
        return service.decide(ctx_of(request), principal(request), alert_id, data,
                              amendment=data)


class DeploymentAlertsController(Controller):
    """A deployment's alerts, as a list and as a live feed."""

    path = "/deployments/{deployment_id:str}"
    tags = ["alerts"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/alerts", guards=allow(A, OFC, S, C), sync_to_thread=True)
    def list_alerts(self, request: Req, deployment_id: FromPath[str],
                    state_filter: Annotated[str | None, QueryParameter(
                        name="state", pattern="^(pending|decided)$")] = None,
                    limit: Annotated[int, QueryParameter(name="limit", ge=1, le=1000)] = 100,
                    ) -> list[AlertOut]:
        """The deployment's alerts, newest first."""
        with ctx_of(request).db.session() as session:
            visible_deployment(session, principal(request), deployment_id)
            query = select(Alert).where(Alert.deployment_id == deployment_id)
            if state_filter:
                query = query.where(Alert.state == state_filter)
            rows = session.exec(query.order_by(col(Alert.received_at).desc())
                                .limit(limit)).all()
            return [service.alert_view(session, a) for a in rows]

    @websocket("/feed", guards=allow(A, OFC, S))
    async def feed(self, socket: WebSocket[Any, Any, Any], deployment_id: FromPath[str],
                   after: Annotated[str | None, QueryParameter(
                       name="after", schema_extra={"pattern": CURSOR_PATTERN})] = None,
                   ) -> None:
        """Live alerts of a deployment as JSON messages (``type``, ``cursor``,
        ``contract_version``, ``alert``; schemas in ``mobile_contract/schemas``).
        Reconnect with ``?after=<last cursor>`` to receive what was missed first. The
        caller's right is re-checked while the feed is open; close code 1013 means "try
        again later" (the database is unavailable); the others are in docs/api.md."""
        ctx = ctx_of(socket)
        entitlement = FeedEntitlement(ctx, socket, deployment_id)
        try:
            cursor = feed_cursor(after)
        except ServiceError as exc:
            await socket.close(code=4000 + exc.status, reason=exc.detail[:120])
            return
        # The same check an open feed repeats (4404 unknown, 4403 not assigned, 1013 the
        # database away): one light read, shared with the feeds checking at that moment.
        if not await entitlement.allows():
            await entitlement.close_if_refused()
            return
        await serve_feed(socket, ctx, deployment_id, cursor, entitlement)
