"""The default retention policy: published practice, with shorter periods where configured."""

from __future__ import annotations

from datetime import timedelta

from lfr_framework.retention import Deadline, RecordKind, RetentionItem, watchlist_deadline
from lfr_retention_default.options import DefaultRetentionOptions


class DefaultRetentionPolicy:
    """Alert biometrics ≤ 31 days after the alert; the watchlist at close or ≤ 24 h after the
    authorised end; alert facts and decisions six years; logs not limited; non-match data
    never kept."""

    name = "default"

    def __init__(self, options: DefaultRetentionOptions | None = None) -> None:
        self.options = options or DefaultRetentionOptions()
        o = self.options
        self._ages: dict[RecordKind, timedelta | None] = {
            RecordKind.NON_MATCH_DATA: timedelta(0),
            RecordKind.ALERT_BIOMETRICS: timedelta(days=o.alert_biometrics_days),
            RecordKind.ALERT_RECORD: timedelta(days=o.alert_record_days),
            RecordKind.DECISION: timedelta(days=o.decision_days),
            RecordKind.LOG: None if o.log_days is None else timedelta(days=o.log_days),
            RecordKind.WATCHLIST_IMAGE: None,  # relative to the deployment, see deadline()
            RecordKind.WATCHLIST_TEMPLATE: None,
        }
        self._grace = timedelta(hours=o.watchlist_hours_after_end)

    def max_age(self, record_kind: str) -> timedelta | None:
        """The period of ``record_kind`` counted from the record's creation."""
        return self._ages[RecordKind(record_kind)]

    def deadline(self, item: RetentionItem) -> Deadline | None:
        """When ``item`` must be gone under this policy."""
        if item.kind in (RecordKind.WATCHLIST_IMAGE, RecordKind.WATCHLIST_TEMPLATE):
            return watchlist_deadline(
                item, self._grace, "default:watchlist_deployment_closed",
                f"default:watchlist_{self.options.watchlist_hours_after_end:g}h_after_end")
        age = self._ages[item.kind]
        if age is None:
            return None
        return Deadline(item.created_at + age, f"default:{item.kind.value}_{_days(age)}")


def _days(age: timedelta) -> str:
    return f"{age / timedelta(days=1):g}_days"
