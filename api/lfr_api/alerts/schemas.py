"""Alert, decision and ingest schemas."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from lfr_api.alerts.assessment import Assessment
from lfr_api.schemas import Schema


class DecisionKind(StrEnum):
    """What the officer decided."""

    engage = "engage"
    no_engage = "no_engage"


class Outcome(StrEnum):
    """What came of it."""

    arrested = "arrested"
    words_of_advice = "words_of_advice"
    no_further_action = "no_further_action"
    false_alert_not_the_person = "false_alert_not_the_person"
    not_located = "not_located"
    other = "other"


class DecisionIn(Schema):
    """An officer's decision on an alert."""

    decision: DecisionKind
    outcome: Outcome
    note: str = Field("", max_length=2000)
    assessment: Assessment | None = Field(
        None, description="South Wales Police's classification: true_alert (judged the "
        "person, not engaged), confirmed_true_alert (engaged: it was), false_alert (judged "
        "not the person, not engaged), confirmed_false_alert (engaged: it was not). Must "
        "agree with decision and outcome; left out, it is derived from the outcome where "
        "the outcome says it.")


class AmendmentIn(DecisionIn):
    """A supervisor's amendment of a decision; the reason is required."""

    reason: str = Field(min_length=1, max_length=2000)


class IngestAlert(Schema):
    """An alert posted by a camera node (the ``Idempotency-Key`` header is required)."""

    camera_id: str = Field(min_length=1, max_length=64)
    entry_id: str = Field(min_length=1, max_length=36)
    score: float = Field(ge=-1, le=1)
    threshold: float = Field(ge=-1, le=1)
    model_id: str = Field(min_length=1, max_length=100)
    track_id: int = Field(0, ge=0)
    raised_at: AwareDatetime
    frame_timestamp: AwareDatetime
    probe_crop_jpeg_base64: str | None = Field(
        None, max_length=4_000_000, description="the matched face crop, JPEG, base64")


class DecisionOut(Schema):
    """The current decision on an alert."""

    decision: str
    outcome: str
    note: str
    decided_by: str
    decided_at: str
    amended: bool
    reason: str | None
    assessment: str | None = Field(
        None, description="true_alert, confirmed_true_alert, false_alert, "
        "confirmed_false_alert, or null when the decision did not say")


class CameraRef(Schema):
    """Where the alert came from."""

    id: str
    location: str


class EntryRef(Schema):
    """Why the person is on the watchlist (no biometric data)."""

    id: str | None
    reference: str
    category: str
    reason: str


class Links(Schema):
    """Links to the alert's images (each needs an authorised caller)."""

    probe_crop: str | None
    watchlist_image: str | None


class ProbeQuality(Schema):
    """How good the probe crop is, measured when the alert was stored (no biometric data)."""

    width: int = Field(description="crop width, pixels")
    height: int = Field(description="crop height, pixels")
    face_px: float = Field(description="the face's height in the frame, pixels (about)")
    sharpness: float = Field(description="variance of the Laplacian of the crop; the "
                             "pipeline's quality gate needs 20 or more")


class AlertOut(Schema):
    """An alert as officers see it."""

    id: str
    deployment_id: str
    camera: CameraRef
    raised_at: str
    frame_timestamp: str
    received_at: str
    score: float
    threshold: float
    model_id: str
    watchlist_entry: EntryRef
    links: Links
    state: str
    decision: DecisionOut | None
    probe_quality: ProbeQuality | None = None


class FeedMessage(Schema):
    """One WebSocket feed message; ``cursor`` resumes the feed (``?after=<cursor>``)."""

    type: str
    cursor: int
    alert: AlertOut
