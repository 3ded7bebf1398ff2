"""The SQLModel tables. Biometric columns (image bytes, templates, probe crops and templates)
hold AES-GCM ciphertext and are read and written only through :mod:`lfr_api.biometrics.storage`.

The core's retention (deletion log, holds), audit trail and compliance log tables are added
to the same metadata at the end, so one Alembic history covers them all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from lfr_compliance.store import compliance_tables
from sqlmodel import Field, SQLModel

from lfr_api.db.types import UTCDateTime, new_id, utcnow
from lfr_framework.audit.sql import audit_tables
from lfr_framework.retention.sql import retention_tables

metadata = SQLModel.metadata
metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _fk(target: str, ondelete: str = "CASCADE", nullable: bool = False, index: bool = True) -> Any:
    return Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey(target, ondelete=ondelete),
                                     nullable=nullable, index=index))


class User(SQLModel, table=True):
    """A person who logs in; ``role`` is one of :data:`lfr_api.security.roles.USER_ROLES`."""

    __tablename__ = "users"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=32)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: Bumped by logout, deactivation, a role or password change: every access token
    #: issued before (its ``ver`` claim) stops working at once.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class RefreshToken(SQLModel, table=True):
    """A refresh token (stored as its sha256 only), rotated on each use."""

    __tablename__ = "refresh_tokens"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = _fk("users.id")
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: The login this token descends from by rotation; a revoked token presented again
    #: revokes the whole family (a stolen token was used). NULL: issued before 0008.
    family_id: str | None = Field(default=None, max_length=36, index=True)


class LoginFailure(SQLModel, table=True):
    """A failed login (never the password): the throttle counts these per account and per
    address. A successful login clears the account's rows; old rows age out of the window."""

    __tablename__ = "login_failures"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    #: sha256 of the username as typed (a password typed into the username box is not kept).
    account: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64, index=True)
    failed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Deployment(SQLModel, table=True):
    """An LFR deployment and its authorisation; ``state`` is draft/authorised/live/closed."""

    __tablename__ = "deployments"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    state: str = Field(default="draft", max_length=16, index=True)
    location: str = Field(default="", max_length=500)
    purpose: str = Field(default="")
    legal_basis: str = Field(default="")
    necessity: str = Field(default="")
    proportionality: str = Field(default="")
    watchlist_criteria: str = Field(default="")
    community_impact_ref: str = Field(default="", max_length=200)
    planned_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    planned_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    authorised_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    authorised_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    authorised_by: str | None = _fk("users.id", ondelete="RESTRICT", nullable=True, index=False)
    authorised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: An expert's fixed score threshold; ``None`` derives it from ``target_fpir``.
    threshold: float | None = Field(default=None)
    #: The false positive identification rate per passer-by the deployment accepts.
    target_fpir: float = Field(default=0.001, sa_column_kwargs={"server_default": "0.001"})
    #: Expected footfall (faces seen) over the deployment, for the predicted false alerts.
    expected_faces: int | None = Field(default=None)
    #: The operating point recorded at authorisation and on every watchlist change after.
    operating_point: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    operating_point_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: Whether the public notice shows the predicted false alert rate (the force's choice).
    publish_prediction: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    detector: str = Field(default="mediapipe", max_length=100)
    detector_options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    recogniser: str = Field(default="arcface_onnx", max_length=100)
    recogniser_options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    matcher: str = Field(default="usearch", max_length=100)
    matcher_options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    #: Shorter retention periods of this deployment (``alert_biometrics_days``,
    #: ``watchlist_hours_after_end``); a key left out keeps the service policy's period.
    retention_periods: dict[str, float] = Field(
        default_factory=dict, sa_type=sa.JSON, sa_column_kwargs={"server_default": "{}"})
    created_by: str = _fk("users.id", ondelete="RESTRICT", index=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeploymentTransition(SQLModel, table=True):
    """One lifecycle step of a deployment: who moved it, from what, to what, when."""

    __tablename__ = "deployment_transitions"
    id: int | None = Field(default=None, primary_key=True)
    deployment_id: str = _fk("deployments.id")
    from_state: str = Field(max_length=16)
    to_state: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    note: str = Field(default="")


class Assignment(SQLModel, table=True):
    """An officer (or supervisor) assigned to a deployment: they see its alerts."""

    __tablename__ = "deployment_assignments"
    deployment_id: str = Field(sa_column=sa.Column(
        sa.String(36), sa.ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True))
    user_id: str = Field(sa_column=sa.Column(
        sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True))
    assigned_by: str = Field(max_length=64)
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ServiceAccount(SQLModel, table=True):
    """A camera node's identity: an API key (sha256 at rest) bound to one deployment."""

    __tablename__ = "service_accounts"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=100)
    deployment_id: str = _fk("deployments.id")
    key_hash: str = Field(max_length=64, unique=True)
    active: bool = Field(default=True)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Camera(SQLModel, table=True):
    """A camera of a deployment: which source plugin, its URI, location and options."""

    __tablename__ = "cameras"
    __table_args__ = (sa.UniqueConstraint("deployment_id", "camera_id",
                                          name="uq_cameras_deployment_camera"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    deployment_id: str = _fk("deployments.id")
    camera_id: str = Field(max_length=64)
    source: str = Field(max_length=100)
    uri: str = Field(max_length=2000)
    location_name: str = Field(default="", max_length=500)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class WatchlistEntry(SQLModel, table=True):
    """A person on one deployment's bespoke watchlist (metadata; images are separate)."""

    __tablename__ = "watchlist_entries"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    deployment_id: str = _fk("deployments.id")
    reference: str = Field(max_length=200)
    category: str = Field(max_length=40)
    reason: str = Field(default="")
    image_source: str = Field(max_length=500)
    lawfully_held: bool
    added_by: str = Field(max_length=64)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    model_id: str = Field(max_length=100)


class WatchlistImage(SQLModel, table=True):
    """One enrolled image of an entry and its template (biometric: see lfr_api.biometrics.storage).

    ``data`` (the image) and ``template`` are ciphertext under data key ``key_id``; each
    becomes NULL when the retention engine deletes it, and the row goes with the last one.
    ``key_id`` NULL: stored before encryption at rest (``lfr keys rotate`` encrypts it)."""

    __tablename__ = "watchlist_images"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    entry_id: str = _fk("watchlist_entries.id")
    position: int
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    data: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    template: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    dimension: int
    key_id: str | None = Field(default=None, max_length=16, index=True)


class WatchlistVersion(SQLModel, table=True):
    """A deployment's watchlist version: moved in the transaction of every change to the
    templates it matches against; replicas follow it (``lfr_api.watchlists.version``)."""

    __tablename__ = "watchlist_versions"
    deployment_id: str = Field(sa_column=sa.Column(
        sa.String(36), sa.ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True))
    version: int = Field(default=0, sa_type=sa.BigInteger)


class Alert(SQLModel, table=True):
    """A possible match for an officer to judge, persisted before it is delivered."""

    __tablename__ = "alerts"
    __table_args__ = (sa.UniqueConstraint("deployment_id", "idempotency_key",
                                          name="uq_alerts_deployment_idempotency"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    deployment_id: str = _fk("deployments.id")
    idempotency_key: str = Field(max_length=200)
    camera_id: str = Field(max_length=64)
    camera_location: str = Field(default="", max_length=500)
    entry_id: str | None = _fk("watchlist_entries.id", ondelete="SET NULL", nullable=True,
                               index=False)
    entry_reference: str = Field(max_length=200)
    entry_category: str = Field(max_length=40)
    entry_reason: str = Field(default="")
    score: float
    threshold: float
    model_id: str = Field(max_length=100)
    track_id: int = Field(default=0)
    raised_at: datetime = Field(sa_type=UTCDateTime)
    frame_timestamp: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    state: str = Field(default="pending", max_length=16)
    source: str = Field(max_length=64)
    #: The probe crop's measurements (pixels, variance of the Laplacian), not biometric data:
    #: what the officer's card shows as the probe's quality (``lfr_api.alerts.probe_quality``).
    probe_width: int | None = Field(default=None)
    probe_height: int | None = Field(default=None)
    probe_sharpness: float | None = Field(default=None)


class AlertMedia(SQLModel, table=True):
    """An alert's biometrics, kept at most 31 days unless held (see lfr_api.biometrics.storage): the
    probe crop (``data``) and the probe template (``template``), each ciphertext under data
    key ``key_id`` and set to NULL when deleted; the row goes with the last part."""

    __tablename__ = "alert_media"
    alert_id: str = Field(sa_column=sa.Column(
        sa.String(36), sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True))
    content_type: str = Field(max_length=100)
    data: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    template: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    key_id: str | None = Field(default=None, max_length=16, index=True)


class Decision(SQLModel, table=True):
    """An officer's engage / no-engage decision, or a supervisor's amendment of one."""

    __tablename__ = "decisions"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    alert_id: str = _fk("alerts.id")
    decision: str = Field(max_length=16)
    outcome: str = Field(max_length=40)
    note: str = Field(default="")
    decided_by: str = Field(max_length=64)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    amended: bool = Field(default=False)
    reason: str | None = Field(default=None)
    current: bool = Field(default=True)
    #: South Wales Police's classification of the alert (``lfr_api.alerts.assessment``).
    assessment: str | None = Field(default=None, max_length=32)


class AlertViewer(SQLModel, table=True):
    """Who has an alert's card open (``lfr_api.alerts.presence``): refreshed while it is."""

    __tablename__ = "alert_viewers"
    alert_id: str = Field(sa_column=sa.Column(
        sa.String(36), sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True))
    user_id: str = Field(sa_column=sa.Column(
        sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True))
    username: str = Field(max_length=64)
    role: str = Field(max_length=32)
    activity: str = Field(default="viewing", max_length=16)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PushSend(SQLModel, table=True):
    """One alert pushed to one device (``lfr_api.feed.push``); ``device`` is a digest of
    the FCM token."""

    __tablename__ = "push_sends"
    alert_id: str = Field(sa_column=sa.Column(
        sa.String(36), sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True))
    device: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    outcome: str = Field(max_length=16)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AlertEvent(SQLModel, table=True):
    """The outbox: each alert raised or changed, in order; its id is the feed's cursor."""

    __tablename__ = "alert_events"
    __table_args__ = (sa.Index("ix_alert_events_feed_order", "deployment_id", "txid", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    deployment_id: str = _fk("deployments.id")
    alert_id: str = _fk("alerts.id")
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: PostgreSQL: the writing transaction (a column default, migration 0009); the feed's
    #: commit order is ``(txid, id)`` (:mod:`lfr_api.feed.outbox`). NULL on SQLite.
    txid: int | None = Field(default=None, sa_column=sa.Column(
        sa.BigInteger, nullable=True, server_default=sa.FetchedValue()))


class Device(SQLModel, table=True):
    """An officer's phone registered for push messages (an FCM registration token)."""

    __tablename__ = "devices"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = _fk("users.id")
    token: str = Field(max_length=4096, unique=True)
    platform: str = Field(max_length=16)
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PipelineCount(SQLModel, table=True):
    """Counts a camera's pipeline reported for one period (never a face, only numbers):
    what the post-deployment report sums. One row per report, deduplicated by key."""

    __tablename__ = "pipeline_counts"
    __table_args__ = (sa.UniqueConstraint("deployment_id", "idempotency_key",
                                          name="uq_pipeline_counts_deployment_key"),)
    id: int | None = Field(default=None, primary_key=True)
    deployment_id: str = _fk("deployments.id")
    camera_id: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=200)
    period_start: datetime = Field(sa_type=UTCDateTime)
    period_end: datetime = Field(sa_type=UTCDateTime, index=True)
    faces_seen: int = Field(default=0)
    faces_discarded: int = Field(default=0)
    faces_rejected_quality: int = Field(default=0)
    frames_processed: int = Field(default=0)
    alerts: int = Field(default=0)
    source: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


#: The core's deletion log and holds, the audit trail, and the compliance plugin's logs.
RETENTION_TABLES = retention_tables(metadata)
AUDIT_TABLES = audit_tables(metadata)
COMPLIANCE_TABLES = compliance_tables(metadata)
