"""The post-deployment report and its public summary."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from lfr_api.schemas import Schema


class AuthorisationFacts(Schema):
    """Who authorised the deployment, for what, on what basis, for when."""

    purpose: str
    legal_basis: str
    necessity: str
    proportionality: str
    watchlist_criteria: str
    community_impact_ref: str
    location: str
    authorised_by: str | None
    authorised_at: datetime | None
    authorised_start: datetime | None
    authorised_end: datetime | None
    published_at: datetime | None


class CameraFacts(Schema):
    """One camera of the deployment, and whether it delivered frames while live."""

    camera_id: str
    location_name: str
    source: str
    frames_read: int = Field(0, description="frames its pipeline reported processing")
    delivered_frames: bool = Field(False, description="false: its source failed or never "
                                   "connected while live (no frames: it saw no one)")


class ResultCounts(Schema):
    """The numbers the force publishes. A true alert is one whose outcome confirmed the
    person (arrested, words of advice, no further action); a false alert one whose outcome
    is ``false_alert_not_the_person``; the rest (not located, other, no decision yet) are
    undetermined. The false alert rate is false alerts ÷ faces seen."""

    faces_seen: int
    non_match_discards: int
    faces_rejected_quality: int
    alerts: int
    true_alerts: int
    false_alerts: int
    undetermined_alerts: int
    engagements: int
    true_alert_engagements: int
    false_alert_engagements: int
    no_engagements: int
    awaiting_decision: int
    outcomes: dict[str, int]
    false_alert_rate: float | None
    false_alert_rate_text: str
    alerts_per_hour: float | None


class AccuracyFacts(Schema):
    """What the authorisation predicted beside what was observed. The observed false alert
    rate is false alerts ÷ faces seen, with its 95% Clopper–Pearson interval; with none
    observed its upper end is the one-sided 95% bound (about 3 ÷ faces seen)."""

    policy: str | None
    target_fpir: float | None
    threshold: float | None
    watchlist_templates: int | None
    predicted_fpir: float | None
    predicted_fpir_ci95: list[float] | None
    predicted_false_alerts: float | None = Field(
        description="Predicted FPIR × faces seen: the false alerts the prediction expects.")
    faces_seen: int
    false_alerts: int
    observed_false_alert_rate: float | None
    observed_ci95: list[float] | None
    consistent: bool | None = Field(
        description="Whether the observed interval overlaps the predicted band (null when "
        "nothing was predicted or observed).")
    warnings: list[str]


class TimelineBucket(Schema):
    """One time bucket of the timeline chart."""

    start: datetime
    faces_seen: int
    alerts: int
    true_alerts: int
    false_alerts: int


class DeletionStatus(Schema):
    """What biometric data of the deployment is gone, what is left, and why."""

    watchlist_images_remaining: int
    watchlist_templates_remaining: int
    watchlist_images_deleted: int
    watchlist_templates_deleted: int
    watchlist_destroyed: bool
    watchlist_deadline: datetime | None
    alert_biometric_parts_remaining: int
    alert_biometric_parts_deleted: int
    alert_biometric_parts_held: int
    active_holds: int
    alert_biometrics_deadline: datetime | None


class RetentionFacts(Schema):
    """The retention periods that governed the deployment: the service policy's, or the
    shorter ones the deployment set before it was authorised (``shortened`` names them)."""

    policy: str
    alert_biometrics_days: float
    watchlist_hours_after_end: float
    shortened: list[str]


class DeploymentReport(Schema):
    """The post-deployment report (compliance staff and admins)."""

    deployment_id: str
    name: str
    state: str
    generated_at: datetime
    authorisation: AuthorisationFacts
    cameras: list[CameraFacts]
    watchlist_size: int
    watchlist_images_enrolled: int
    live_from: datetime | None
    live_until: datetime | None
    hours_live: float
    threshold: float | None
    thresholds_used: list[float]
    recogniser: str
    model_ids: list[str]
    results: ResultCounts
    accuracy: AccuracyFacts
    timeline_bucket_minutes: int
    timeline: list[TimelineBucket]
    retention: RetentionFacts
    deletion: DeletionStatus


class PublicSummary(Schema):
    """What the public may read about a published deployment's results (no personal data:
    no names, references, images, officers or camera identifiers)."""

    deployment_id: str
    name: str
    location: str
    purpose: str
    legal_basis: str
    state: str
    authorised_start: datetime | None
    authorised_end: datetime | None
    hours_live: float
    cameras: int
    cameras_without_frames: int = Field(0, description="cameras whose source failed or "
                                        "never connected: they saw no one")
    watchlist_size: int
    faces_seen: int
    alerts: int
    true_alerts: int
    false_alerts: int
    engagements: int
    true_alert_engagements: int
    false_alert_engagements: int
    outcomes: dict[str, int]
    false_alert_rate: float | None
    false_alert_rate_text: str
    alerts_per_hour: float | None
    watchlist_destroyed: bool
    alert_biometric_parts_remaining: int
