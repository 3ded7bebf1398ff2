"""Pipeline counter schemas: numbers only, never a face."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field, model_validator

from lfr_api.schemas import Schema


class CountsIn(Schema):
    """What one camera's pipeline counted during one period (counts since its last report).

    ``faces_discarded`` are the non-matching faces dropped at once (invariant 2): only this
    number reaches the service."""

    camera_id: str = Field(min_length=1, max_length=64)
    period_start: AwareDatetime
    period_end: AwareDatetime
    faces_seen: int = Field(0, ge=0)
    faces_discarded: int = Field(0, ge=0)
    faces_rejected_quality: int = Field(0, ge=0)
    frames_processed: int = Field(0, ge=0)
    alerts: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _period(self) -> CountsIn:
        if self.period_end < self.period_start:
            raise ValueError("period_end must not be before period_start")
        return self


class CountsOut(Schema):
    """A stored counter report."""

    id: int
    deployment_id: str
    camera_id: str
    period_start: datetime
    period_end: datetime
    faces_seen: int
    faces_discarded: int
    faces_rejected_quality: int
    frames_processed: int
    alerts: int
    source: str
