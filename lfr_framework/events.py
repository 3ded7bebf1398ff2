"""Payloads of the event hooks that compliance and integration plugins listen to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DecisionRecorded:
    """An officer's engage / no-engage decision, or a supervisor's amendment of one."""

    alert_id: str
    deployment_id: str
    decision: str
    outcome: str | None
    decided_by: str
    decided_at: datetime
    amended: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BiometricDataDeleted:
    """One item of biometric data was deleted (never carries the data itself)."""

    kind: str
    item_id: str
    deployment_id: str | None
    rule: str
    deleted_at: datetime
    deleted_by: str


@dataclass(frozen=True, slots=True)
class HoldChanged:
    """A hold was placed on, or released from, an item."""

    hold_id: str
    hold_type: str
    item_kind: str
    item_id: str
    reference: str
    action: str  # "placed" or "released"
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DeploymentStateChanged:
    """A deployment moved from one lifecycle state to another."""

    deployment_id: str
    old_state: str
    new_state: str
    actor: str
    at: datetime
