"""``/deployments``: lifecycle, cameras, assignments and service accounts; ``/public``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from sqlmodel import col, select

from lfr_api.context import ctx_of, retention_of
from lfr_api.db import audit
from lfr_api.db.models import Assignment, Camera, Deployment, DeploymentTransition, ServiceAccount
from lfr_api.db.types import utcnow
from lfr_api.deployments import operating_point as points
from lfr_api.deployments import service
from lfr_api.deployments.camera_health import camera_health
from lfr_api.deployments.schemas import (
    AssignmentIn,
    AssignmentOut,
    Authorisation,
    CameraIn,
    CameraOut,
    DeploymentCreate,
    DeploymentOut,
    DeploymentUpdate,
    NodeConfiguration,
    OperatingPointOut,
    PublicNotice,
    RetentionNotice,
    ServiceAccountIn,
    ServiceAccountOut,
    TransitionNote,
    TransitionOut,
)
from lfr_api.errors import InvalidRequest, NotFound
from lfr_api.retention.periods import EffectivePeriods
from lfr_api.security.guards import allow, principal, public
from lfr_api.security.middleware import API_KEY_PREFIX
from lfr_api.security.passwords import new_secret, secret_digest
from lfr_api.security.roles import Role
from lfr_framework.events import DeploymentStateChanged

A, AO, OFC, S, C, SVC = (Role.admin, Role.authorising_officer, Role.officer, Role.supervisor,
                       Role.compliance, Role.service)
STAFF = (A, AO, OFC, S, C)
Req = Request[Any, Any, Any]


def _out(d: Deployment) -> DeploymentOut:
    out = DeploymentOut.model_validate(d)
    if out.operating_point is not None:
        out.operating_point.recorded_at = d.operating_point_at
    return out


def _published_prediction(d: Deployment) -> float | None:
    """The predicted FPIR's upper edge, if the force chose to publish it."""
    band = (d.operating_point or {}).get("predicted_fpir_ci95")
    return float(band[1]) if d.publish_prediction and band else None


def _notice(periods: EffectivePeriods) -> RetentionNotice:
    return RetentionNotice(alert_biometrics_days=periods.alert_biometrics_days,
                           watchlist_hours_after_end=periods.watchlist_hours_after_end)


class DeploymentController(Controller):
    """Deployments and what belongs to them."""

    path = "/deployments"
    tags = ["deployments"]  # noqa: RUF012  (Litestar reads it per class)

    @post("/", guards=allow(A), sync_to_thread=True)
    def create(self, request: Req, data: JSONBody[DeploymentCreate]) -> DeploymentOut:
        """Create a draft deployment."""
        ctx = ctx_of(request)
        with ctx.db.session() as session:
            return _out(service.create(ctx, session, principal(request), data))

    @get("/", guards=allow(*STAFF), sync_to_thread=True)
    def list_deployments(self, request: Req) -> list[DeploymentOut]:
        """Deployments the caller may see (officers: those they are assigned to)."""
        with ctx_of(request).db.session() as session:
            return [_out(d) for d in service.visible_deployments(session, principal(request))]

    @get("/{deployment_id:str}", guards=allow(*STAFF), sync_to_thread=True)
    def get_one(self, request: Req, deployment_id: FromPath[str]) -> DeploymentOut:
        """One deployment."""
        with ctx_of(request).db.session() as session:
            return _out(service.visible_deployment(session, principal(request), deployment_id))

    @patch("/{deployment_id:str}", guards=allow(A), sync_to_thread=True)
    def update(self, request: Req, deployment_id: FromPath[str],
               data: JSONBody[DeploymentUpdate]) -> DeploymentOut:
        """Change a draft deployment."""
        ctx = ctx_of(request)
        with ctx.db.session() as session:
            deployment = service.get_deployment(session, deployment_id)
            return _out(service.update(ctx, session, principal(request), deployment, data))

    def _transition(self, request: Req, deployment_id: str, action: str,
                    note: str = "", data: Authorisation | None = None) -> DeploymentOut:
        ctx = ctx_of(request)
        who = principal(request)
        event: DeploymentStateChanged
        with ctx.db.session() as session:
            deployment = service.get_deployment(session, deployment_id)
            if action == "authorise":
                assert data is not None
                event = service.authorise(ctx, session, deployment, who, data)
            elif action == "start":
                event = service.start(ctx, session, deployment, who, note)
            else:
                event = service.close(ctx, session, deployment, who, note)
            out = _out(deployment)
        if action == "close":
            retention_of(ctx).deliver_after_commit()
        ctx.host.deployment_state_changed(event)
        return out

    @post("/{deployment_id:str}/authorise", guards=allow(AO), sync_to_thread=True,
          status_code=200)
    def authorise(self, request: Req, deployment_id: FromPath[str],
                  data: JSONBody[Authorisation]) -> DeploymentOut:
        """Authorise a draft (authorising officers only): purpose, legal basis, window, …"""
        return self._transition(request, deployment_id, "authorise", data=data)

    @post("/{deployment_id:str}/publish", guards=allow(A, AO), sync_to_thread=True,
          status_code=200)
    def publish(self, request: Req, deployment_id: FromPath[str]) -> DeploymentOut:
        """Publish the deployment's public notice."""
        with ctx_of(request).db.session() as session:
            return _out(service.publish(session, service.get_deployment(session, deployment_id),
                                        principal(request)))

    @post("/{deployment_id:str}/start", guards=allow(A), sync_to_thread=True, status_code=200)
    def start(self, request: Req, deployment_id: FromPath[str],
              data: JSONBody[TransitionNote | None] = None) -> DeploymentOut:
        """Go live (only inside the authorised window)."""
        return self._transition(request, deployment_id, "start", data.note if data else "")

    @post("/{deployment_id:str}/close", guards=allow(A, AO, S), sync_to_thread=True,
          status_code=200)
    def close(self, request: Req, deployment_id: FromPath[str],
              data: JSONBody[TransitionNote | None] = None) -> DeploymentOut:
        """Close the deployment; its watchlist images and templates are destroyed."""
        return self._transition(request, deployment_id, "close", data.note if data else "")

    @get("/{deployment_id:str}/operating-point", guards=allow(A, AO, S, C),
         sync_to_thread=True)
    def operating_point(self, request: Req, deployment_id: FromPath[str],
                        expected_faces: FromQuery[int | None] = None) -> OperatingPointOut:
        """The threshold the deployment's policy gives for its watchlist now and what it
        predicts (FPIR per passer-by with its 95% band; with ``expected_faces``, the false
        alerts to expect): what the authorising officer weighs before authorising."""
        ctx = ctx_of(request)
        if expected_faces is not None and not 0 <= expected_faces <= 10**9:
            raise InvalidRequest("expected_faces must be between 0 and 1,000,000,000",
                                 errors=[{"field": "expected_faces", "message": "out of range"}])
        with ctx.db.session() as session:
            deployment = service.get_deployment(session, deployment_id)
            point = points.compute(ctx, session, deployment, expected_faces)
            return OperatingPointOut.model_validate(point.to_dict())

    @get("/{deployment_id:str}/transitions", guards=allow(A, AO, S, C), sync_to_thread=True)
    def transitions(self, request: Req, deployment_id: FromPath[str]) -> list[TransitionOut]:
        """Every lifecycle step, who made it and when."""
        with ctx_of(request).db.session() as session:
            service.get_deployment(session, deployment_id)
            rows = session.exec(select(DeploymentTransition)
                                .where(DeploymentTransition.deployment_id == deployment_id)
                                .order_by(col(DeploymentTransition.id))).all()
            return [TransitionOut.model_validate(r) for r in rows]

    # -- cameras ---------------------------------------------------------------

    @post("/{deployment_id:str}/cameras", guards=allow(A), sync_to_thread=True)
    def add_camera(self, request: Req, deployment_id: FromPath[str],
                   data: JSONBody[CameraIn]) -> CameraOut:
        """Add a camera (its source plugin and options are checked)."""
        ctx = ctx_of(request)
        with ctx.db.session() as session:
            deployment = service.get_deployment(session, deployment_id)
            return CameraOut.model_validate(service.save_camera(ctx, session, deployment, data,
                                                                principal(request)))

    @get("/{deployment_id:str}/cameras", guards=allow(A, AO, S, C, OFC), sync_to_thread=True)
    def cameras(self, request: Req, deployment_id: FromPath[str]) -> list[CameraOut]:
        """The deployment's cameras, each with its health (connected, outage since,
        frames)."""
        with ctx_of(request).db.session() as session:
            deployment = service.visible_deployment(session, principal(request), deployment_id)
            rows = session.exec(select(Camera).where(Camera.deployment_id == deployment_id)
                                .order_by(col(Camera.camera_id))).all()
            health = camera_health(session, deployment, [c.camera_id for c in rows],
                                   request.app.state.get("pipelines"), utcnow())
            return [CameraOut.model_validate(c).model_copy(
                update={"health": health[c.camera_id]}) for c in rows]

    @put("/{deployment_id:str}/cameras/{camera_id:str}", guards=allow(A), sync_to_thread=True)
    def replace_camera(self, request: Req, deployment_id: FromPath[str], camera_id: FromPath[str],
                       data: JSONBody[CameraIn]) -> CameraOut:
        """Replace a camera's settings."""
        ctx = ctx_of(request)
        with ctx.db.session() as session:
            deployment = service.get_deployment(session, deployment_id)
            camera = service.get_camera(session, deployment_id, camera_id)
            return CameraOut.model_validate(
                service.save_camera(ctx, session, deployment, data, principal(request),
                                    replace=camera))

    @delete("/{deployment_id:str}/cameras/{camera_id:str}", guards=allow(A),
            sync_to_thread=True)
    def remove_camera(self, request: Req, deployment_id: FromPath[str],
                      camera_id: FromPath[str]) -> None:
        """Remove a camera (a draft's only: 409 once authorised)."""
        with ctx_of(request).db.session() as session:
            service.require_camera_change(service.get_deployment(session, deployment_id))
            session.delete(service.get_camera(session, deployment_id, camera_id))
            audit.record(session, actor=principal(request).actor, action="camera.removed",
                         subject=f"deployment:{deployment_id}",
                         details={"camera_id": camera_id})

    # -- assignments -------------------------------------------------------------

    @post("/{deployment_id:str}/assignments", guards=allow(A), sync_to_thread=True)
    def assign(self, request: Req, deployment_id: FromPath[str],
               data: JSONBody[AssignmentIn]) -> AssignmentOut:
        """Assign an officer or supervisor (they then see the deployment's alerts)."""
        with ctx_of(request).db.session() as session:
            deployment = service.get_deployment(session, deployment_id)
            return AssignmentOut.model_validate(
                service.assign(session, deployment, data.user_id, principal(request)))

    @get("/{deployment_id:str}/assignments", guards=allow(A, S, C), sync_to_thread=True)
    def assignments(self, request: Req, deployment_id: FromPath[str]) -> list[AssignmentOut]:
        """Who is assigned."""
        with ctx_of(request).db.session() as session:
            service.get_deployment(session, deployment_id)
            rows = session.exec(select(Assignment)
                                .where(Assignment.deployment_id == deployment_id)).all()
            return [AssignmentOut.model_validate(r) for r in rows]

    @delete("/{deployment_id:str}/assignments/{user_id:str}", guards=allow(A),
            sync_to_thread=True)
    def unassign(self, request: Req, deployment_id: FromPath[str], user_id: FromPath[str]) -> None:
        """Remove an assignment."""
        with ctx_of(request).db.session() as session:
            row = session.get(Assignment, (deployment_id, user_id))
            if row is None:
                raise NotFound(f"user {user_id} is not assigned to deployment {deployment_id}")
            session.delete(row)
            audit.record(session, actor=principal(request).actor,
                         action="deployment.user_unassigned",
                         subject=f"deployment:{deployment_id}", details={"user_id": user_id})

    # -- service accounts ----------------------------------------------------------

    @post("/{deployment_id:str}/service-accounts", guards=allow(A), sync_to_thread=True)
    def add_service_account(self, request: Req, deployment_id: FromPath[str],
                            data: JSONBody[ServiceAccountIn]) -> ServiceAccountOut:
        """Create a camera node's account; the API key is in this response only."""
        with ctx_of(request).db.session() as session:
            service.get_deployment(session, deployment_id)
            key = new_secret(API_KEY_PREFIX)
            account = ServiceAccount(name=data.name, deployment_id=deployment_id,
                                     key_hash=secret_digest(key),
                                     created_by=principal(request).actor)
            session.add(account)
            audit.record(session, actor=principal(request).actor,
                         action="service_account.created", subject=f"deployment:{deployment_id}",
                         details={"account_id": account.id, "name": data.name})
            out = ServiceAccountOut.model_validate(account)
            out.api_key = key
            return out

    @delete("/{deployment_id:str}/service-accounts/{account_id:str}", guards=allow(A),
            sync_to_thread=True)
    def revoke_service_account(self, request: Req, deployment_id: FromPath[str],
                               account_id: FromPath[str]) -> None:
        """Disable a service account's key."""
        with ctx_of(request).db.session() as session:
            account = session.get(ServiceAccount, account_id)
            if account is None or account.deployment_id != deployment_id:
                raise NotFound(f"no service account {account_id} in this deployment")
            account.active = False
            session.add(account)
            audit.record(session, actor=principal(request).actor,
                         action="service_account.revoked", subject=f"deployment:{deployment_id}",
                         details={"account_id": account_id})


class PublicController(Controller):
    """What anyone may read: published deployment notices."""

    path = "/public"
    tags = ["public"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/deployments", guards=public, sync_to_thread=True)
    def notices(self, request: Req) -> list[PublicNotice]:
        """Published notices: place, times and purpose (never watchlist content)."""
        with ctx_of(request).db.session() as session:
            rows = session.exec(select(Deployment)
                                .where(col(Deployment.published_at).is_not(None))
                                .order_by(col(Deployment.authorised_start))).all()
            retention = retention_of(ctx_of(request))
            return [PublicNotice(id=d.id, name=d.name, location=d.location, purpose=d.purpose,
                                 legal_basis=d.legal_basis, state=d.state,
                                 starts=d.authorised_start, ends=d.authorised_end,
                                 published_at=d.published_at,
                                 retention=_notice(retention.periods_of(d.retention_periods)),
                                 predicted_false_alert_rate=_published_prediction(d))
                    for d in rows]


class NodeController(Controller):
    """What a camera node (service account) reads about its own deployment."""

    path = "/ingest"
    tags = ["ingest"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/configuration", guards=allow(SVC), sync_to_thread=True)
    def configuration(self, request: Req) -> NodeConfiguration:
        """The service account's deployment and cameras."""
        who = principal(request)
        assert who.deployment_id is not None
        with ctx_of(request).db.session() as session:
            deployment = service.get_deployment(session, who.deployment_id)
            cams = session.exec(select(Camera)
                                .where(Camera.deployment_id == deployment.id)).all()
            return NodeConfiguration(deployment=_out(deployment),
                                     cameras=[CameraOut.model_validate(c) for c in cams])
