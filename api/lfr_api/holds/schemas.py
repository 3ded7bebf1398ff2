"""Hold schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from lfr_api.schemas import Schema


class HoldTypeIn(StrEnum):
    """Why the data must be kept beyond its normal period."""

    evidential = "evidential"
    complaint = "complaint"
    judicial_investigation = "judicial_investigation"


class HoldKindIn(StrEnum):
    """What a hold names: an alert's biometrics (``item_id`` = the alert id: its probe crop
    and template) or one watchlist image (``item_id`` = the image id, with its template)."""

    alert_biometrics = "alert_biometrics"
    watchlist_image = "watchlist_image"


class HoldIn(Schema):
    """Place a hold."""

    hold_type: HoldTypeIn
    item_kind: HoldKindIn
    item_id: str = Field(min_length=1, max_length=255)
    reference: str = Field(min_length=1, max_length=255,
                           description="the case, complaint or investigation reference")


class HoldOut(Schema):
    """A hold, active or released."""

    id: str
    hold_type: str
    item_kind: str
    item_id: str
    reference: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    active: bool
