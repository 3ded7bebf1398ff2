"""Deployment, camera, assignment and service-account schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field, model_validator

from lfr_api.deployments.camera_health import CameraHealth
from lfr_api.schemas import Schema

SLUG = r"^[A-Za-z0-9._-]{1,64}$"


class RetentionPeriods(Schema):
    """A deployment's own retention periods: each may only be SHORTER than the service
    policy's (a longer one is a 400 naming ``retention_periods.<key>``); left out or
    ``null``, the policy's period applies. Set on a draft only: once authorised they are
    part of what was authorised and cannot change."""

    alert_biometrics_days: float | None = Field(
        None, ge=0, le=36500, description="Delete each alert's probe crop and template this "
        "many days after the alert (holds aside); at most the policy's (31 by default).")
    watchlist_hours_after_end: float | None = Field(
        None, ge=0, le=876000, description="Destroy the watchlist at close, at the latest "
        "this many hours after the authorised end; at most the policy's (24 by default).")

    def stored(self) -> dict[str, float]:
        """The periods that are set, as the deployment stores them."""
        return self.model_dump(exclude_none=True)


class RetentionNotice(Schema):
    """The retention periods that govern a deployment (the public may read them)."""

    alert_biometrics_days: float = Field(
        description="Alert probe crops and templates are deleted this many days after the "
        "alert, unless an evidential, complaint or investigation hold is in force.")
    watchlist_hours_after_end: float = Field(
        description="The watchlist is destroyed at close, at the latest this many hours "
        "after the authorised end.")
    non_match_data: str = Field(
        "deleted immediately", description="Faces that match no one are never stored.")


TARGET_FPIR_TEXT = (
    "The false positive identification rate per passer-by the deployment accepts, in "
    "(0, 0.1] (0.001 = 1 in 1,000); the threshold follows from the recogniser's calibration "
    "and the watchlist's size. Out of range: 422.")
PUBLISH_PREDICTION_TEXT = (
    "Whether the public notice shows the predicted false alert rate per passer-by (the "
    "upper end of its 95% band, recorded at authorisation).")
TARGET_FPIR_RANGE: dict[str, Any] = {"exclusiveMinimum": 0, "maximum": 0.1}
EXPECTED_FACES_FIELD = Field(
    None, ge=0, le=10**9, description="Expected footfall (faces seen) over the deployment: "
    "the predicted false alerts are computed from it.")


class CalibrationOut(Schema):
    """Which calibration an operating point comes from."""

    model_id: str
    model_sha256: str
    dataset_digest: str
    identities: int
    photos: int
    pairs: int
    created_at: str
    max_watchlist_size: int = Field(
        description="The most templates for which the calibration vouches for the target.")


class OperatingPointOut(Schema):
    """The threshold a deployment runs at and what it predicts, shown before authorising."""

    policy: str = Field(description="target_fpir or fixed_threshold")
    target_fpir: float | None
    threshold: float
    model_id: str
    watchlist_entries: int
    watchlist_templates: int
    predicted_fpir: float | None = Field(description="Predicted false positive "
                                         "identification rate per passer-by.")
    predicted_fpir_ci95: list[float] | None
    expected_faces: int | None
    expected_false_alerts: float | None
    expected_false_alerts_ci95: list[float] | None
    calibration: CalibrationOut | None
    warnings: list[str]
    recorded_at: datetime | None = Field(
        None, description="When it was recorded (at authorisation, and at every watchlist "
        "change after it); null for a preview.")


class DeploymentCreate(Schema):
    """A draft deployment: what an admin prepares before authorisation."""

    name: str = Field(min_length=1, max_length=200)
    location: str = Field("", max_length=500)
    purpose: str = ""
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None
    threshold: float | None = Field(
        None, gt=-1, le=1, description="Experts only: a fixed score threshold instead of "
        "target_fpir (the predicted FPIR is shown for it).")
    target_fpir: float = Field(0.001, description=TARGET_FPIR_TEXT,
                               json_schema_extra=TARGET_FPIR_RANGE)
    expected_faces: int | None = EXPECTED_FACES_FIELD
    publish_prediction: bool = Field(False, description=PUBLISH_PREDICTION_TEXT)
    detector: str = Field("mediapipe", min_length=1, max_length=100)
    detector_options: dict[str, Any] = Field(default_factory=dict)
    recogniser: str = Field("arcface_onnx", min_length=1, max_length=100)
    recogniser_options: dict[str, Any] = Field(default_factory=dict)
    matcher: str = Field("usearch", min_length=1, max_length=100)
    matcher_options: dict[str, Any] = Field(default_factory=dict)
    retention_periods: RetentionPeriods = Field(default_factory=RetentionPeriods)


class DeploymentUpdate(Schema):
    """Changes to a draft (any field left out stays as it is)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    location: str | None = Field(None, max_length=500)
    purpose: str | None = None
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None
    threshold: float | None = Field(None, gt=-1, le=1)
    target_fpir: float | None = Field(None, description=TARGET_FPIR_TEXT,
                                      json_schema_extra=TARGET_FPIR_RANGE)
    expected_faces: int | None = EXPECTED_FACES_FIELD
    publish_prediction: bool | None = Field(None, description=PUBLISH_PREDICTION_TEXT)
    retention_periods: RetentionPeriods | None = None


class Authorisation(Schema):
    """What the authorising officer records when authorising a deployment."""

    purpose: str = Field(min_length=1)
    legal_basis: str = Field(min_length=1)
    necessity: str = Field(min_length=1)
    proportionality: str = Field(min_length=1)
    watchlist_criteria: str = Field(min_length=1)
    community_impact_ref: str = Field(min_length=1, max_length=200)
    location: str = Field(min_length=1, max_length=500)
    authorised_start: AwareDatetime
    authorised_end: AwareDatetime
    expected_faces: int | None = Field(
        None, ge=0, le=10**9, description="Expected footfall, if the admin's estimate is to "
        "be replaced: the predicted false alerts recorded with the authorisation use it.")

    @model_validator(mode="after")
    def _window(self) -> Authorisation:
        if self.authorised_end <= self.authorised_start:
            raise ValueError("authorised_end must be after authorised_start")
        return self


class TransitionNote(Schema):
    """An optional note on a lifecycle step."""

    note: str = Field("", max_length=2000)


class DeploymentOut(Schema):
    """A deployment as staff see it."""

    id: str
    name: str
    state: str
    location: str
    purpose: str
    legal_basis: str
    necessity: str
    proportionality: str
    watchlist_criteria: str
    community_impact_ref: str
    planned_start: datetime | None
    planned_end: datetime | None
    authorised_start: datetime | None
    authorised_end: datetime | None
    authorised_by: str | None
    authorised_at: datetime | None
    published_at: datetime | None
    threshold: float | None
    target_fpir: float
    expected_faces: int | None
    publish_prediction: bool
    operating_point: OperatingPointOut | None = Field(
        description="Recorded at authorisation and at every watchlist change after it.")
    detector: str
    detector_options: dict[str, Any]
    recogniser: str
    recogniser_options: dict[str, Any]
    matcher: str
    matcher_options: dict[str, Any]
    retention_periods: RetentionPeriods
    created_by: str
    created_at: datetime


class PublicNotice(Schema):
    """A published deployment notice: place, times, purpose; never watchlist content."""

    id: str
    name: str
    location: str
    purpose: str
    legal_basis: str
    state: str
    starts: datetime | None
    ends: datetime | None
    published_at: datetime | None
    retention: RetentionNotice
    predicted_false_alert_rate: float | None = Field(
        None, description="At most this share of passers-by is expected to be falsely "
        "alerted on (95%), when the force publishes its prediction.")


class TransitionOut(Schema):
    """One recorded lifecycle step."""

    from_state: str
    to_state: str
    actor: str
    at: datetime
    note: str


class CameraIn(Schema):
    """A camera of the deployment: source plugin name, URI, where it is, plugin options."""

    camera_id: str = Field(pattern=SLUG)
    source: str = Field(min_length=1, max_length=100)
    uri: str = Field(min_length=1, max_length=2000)
    location_name: str = Field("", max_length=500)
    options: dict[str, Any] = Field(default_factory=dict)


class CameraOut(CameraIn):
    """A stored camera; ``health`` in ``GET /deployments/{id}/cameras``."""

    deployment_id: str
    health: CameraHealth | None = None


class AssignmentIn(Schema):
    """Assign a user (officer or supervisor) to a deployment."""

    user_id: str = Field(min_length=1, max_length=36)


class AssignmentOut(Schema):
    """An assignment."""

    deployment_id: str
    user_id: str
    assigned_by: str
    assigned_at: datetime


class ServiceAccountIn(Schema):
    """A camera node's account for this deployment."""

    name: str = Field(pattern=SLUG)


class ServiceAccountOut(Schema):
    """A service account; ``api_key`` is shown once, when it is created."""

    id: str
    name: str
    deployment_id: str
    active: bool
    created_at: datetime
    api_key: str | None = None


class NodeConfiguration(Schema):
    """What a camera node needs to run its deployment's pipeline."""

    deployment: DeploymentOut
    cameras: list[CameraOut]


