"""The options of the default policy: each may shorten its period, never lengthen it."""

from __future__ import annotations

import pydantic

#: Alert biometrics: at most 31 days after the alert (published practice, invariant 4).
ALERT_BIOMETRICS_DAYS = 31.0
#: Watchlist: destroyed at close, at the latest 24 hours after the authorised end.
WATCHLIST_HOURS_AFTER_END = 24.0
#: Alert records (facts only) and decisions: six years, the limitation period for civil
#: claims in England and Wales (Limitation Act 1980, s. 2 and 5), within which a person
#: engaged after an alert may bring a claim the force must be able to answer.
RECORD_DAYS = 2192.0


class DefaultRetentionOptions(pydantic.BaseModel):
    """Per-deployment periods; a value longer than the default is refused, naming the key."""

    model_config = pydantic.ConfigDict(extra="forbid")

    alert_biometrics_days: float = pydantic.Field(ALERT_BIOMETRICS_DAYS, ge=0)
    watchlist_hours_after_end: float = pydantic.Field(WATCHLIST_HOURS_AFTER_END, ge=0)
    alert_record_days: float = pydantic.Field(RECORD_DAYS, ge=0)
    decision_days: float = pydantic.Field(RECORD_DAYS, ge=0)
    log_days: float | None = pydantic.Field(
        None, gt=0, description="not limited by default; set it to delete old log entries")

    @pydantic.field_validator("alert_biometrics_days")
    @classmethod
    def _alert(cls, value: float) -> float:
        return _at_most(value, ALERT_BIOMETRICS_DAYS, "days")

    @pydantic.field_validator("watchlist_hours_after_end")
    @classmethod
    def _watchlist(cls, value: float) -> float:
        return _at_most(value, WATCHLIST_HOURS_AFTER_END, "hours")

    @pydantic.field_validator("alert_record_days", "decision_days")
    @classmethod
    def _records(cls, value: float) -> float:
        return _at_most(value, RECORD_DAYS, "days")


def _at_most(value: float, default: float, unit: str) -> float:
    if value > default:
        raise ValueError(f"a deployment may only shorten retention periods: {value:g} {unit} "
                         f"is longer than the default {default:g} {unit}")
    return value
