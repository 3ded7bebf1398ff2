"""The rows of the compliance logs. None of them carries biometric content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DeletionRecord:
    """One deleted item: kind and id, the rule that applied, when, by what or whom."""

    kind: str
    item_id: str
    deployment_id: str | None
    rule: str
    deleted_at: datetime
    deleted_by: str


@dataclass(frozen=True, slots=True)
class HoldRecord:
    """A hold placed or released, with its reference and actor."""

    hold_id: str
    action: str
    hold_type: str
    item_kind: str
    item_id: str
    reference: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DiscardCount:
    """Faces that did not match, discarded at once: only a count per camera and time bucket."""

    deployment_id: str
    camera_id: str
    bucket_start: datetime
    bucket_seconds: int
    count: int


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """An alert raised, a decision recorded or a deployment state change, as facts only."""

    kind: str
    subject_id: str
    deployment_id: str
    actor: str
    at: datetime
    facts: str  # canonical JSON
