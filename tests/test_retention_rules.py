"""The retention rules without storage: ceilings, policy checks, holds and their events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lfr_framework.errors import ConfigurationError
from lfr_framework.interfaces import RetentionPolicy
from lfr_framework.retention import (
    Deadline,
    DeploymentTimes,
    HoldAlreadyReleasedError,
    HoldError,
    HoldType,
    RecordKind,
    RetentionItem,
    ShortenedPolicy,
    ceiling,
    hold_event,
    place_hold,
    release_hold,
    validate_policy,
)
from lfr_framework.retention.kinds import parse_kind

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
TIMES = DeploymentTimes("dep-1", T0, T0 + timedelta(hours=8))


class Policy:
    name = "test"

    def __init__(self, alert: timedelta | None = timedelta(days=31),
                 non_match: timedelta | None = timedelta(0)) -> None:
        self.alert, self.non_match = alert, non_match

    def max_age(self, record_kind: str) -> timedelta | None:
        return {"alert_biometrics": self.alert, "non_match_data": self.non_match}.get(
            record_kind)

    def deadline(self, item: RetentionItem) -> Deadline | None:
        return None


def _hold(**changes: object) -> dict[str, object]:
    args: dict[str, object] = dict(hold_type="complaint", item_kind="alert_biometrics",
                                   item_id="a1/probe_crop", reference="CMP-1",
                                   placed_by="pc-1", at=T0, item_exists=True)
    args.update(changes)
    return args


def test_ceilings_follow_invariant_4() -> None:
    alert = RetentionItem(RecordKind.ALERT_BIOMETRICS, "a1/clip", T0)
    assert ceiling(alert) == Deadline(T0 + timedelta(days=31), "")
    assert ceiling(RetentionItem(RecordKind.NON_MATCH_DATA, "x", T0)) == Deadline(T0, "")
    watchlist = RetentionItem(RecordKind.WATCHLIST_IMAGE, "w", T0, TIMES)
    found = ceiling(watchlist)
    assert found is not None and found.at == T0 + timedelta(hours=32)
    closed = RetentionItem(RecordKind.WATCHLIST_TEMPLATE, "w", T0, DeploymentTimes(
        "dep-1", T0, T0 + timedelta(hours=8), closed_at=T0 + timedelta(hours=3)))
    assert ceiling(closed) == Deadline(T0 + timedelta(hours=3), "")
    for kind in (RecordKind.ALERT_RECORD, RecordKind.DECISION, RecordKind.LOG):
        assert ceiling(RetentionItem(kind, "k", T0)) is None


def test_policies_are_checked_against_the_ceilings() -> None:
    validate_policy(Policy())
    with pytest.raises(ConfigurationError, match="non_match_data may be kept at most 0 days"):
        validate_policy(Policy(non_match=timedelta(seconds=1)))
    with pytest.raises(ConfigurationError, match="says not limited"):
        validate_policy(Policy(alert=None))


def test_a_shortened_policy_is_still_a_retention_policy() -> None:
    short = ShortenedPolicy(Policy(), {"alert_biometrics": timedelta(days=3)})
    assert isinstance(short, RetentionPolicy)
    assert short.max_age("alert_biometrics") == timedelta(days=3)
    assert short.max_age("decision") is None
    item = RetentionItem(RecordKind.ALERT_BIOMETRICS, "a", T0)
    assert short.deadline(item) == Deadline(T0 + timedelta(days=3), "")


def test_naive_times_and_empty_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RetentionItem(RecordKind.ALERT_BIOMETRICS, "a", datetime(2024, 5, 1))
    with pytest.raises(ValueError, match="empty id"):
        RetentionItem(RecordKind.ALERT_BIOMETRICS, "", T0)
    with pytest.raises(ValueError, match="authorised_end is before"):
        DeploymentTimes("d", T0, T0 - timedelta(hours=1))
    with pytest.raises(ValueError, match="unknown record kind 'faces'; known: non_match_data"):
        parse_kind("faces")


def test_placing_and_releasing_a_hold() -> None:
    hold = place_hold(**_hold())  # type: ignore[arg-type]
    assert hold.active and hold.hold_type is HoldType.COMPLAINT
    placed = hold_event(hold)
    assert (placed.action, placed.actor, placed.at, placed.reference) == (
        "placed", "pc-1", T0, "CMP-1")
    released = release_hold(hold, released_by="insp-2", at=T0 + timedelta(days=1))
    assert not released.active
    event = hold_event(released)
    assert (event.action, event.actor, event.at) == ("released", "insp-2", T0 + timedelta(days=1))


def test_releasing_a_hold_twice_is_a_conflict() -> None:
    released = release_hold(place_hold(**_hold()),  # type: ignore[arg-type]
                            released_by="insp-2", at=T0)
    with pytest.raises(HoldAlreadyReleasedError, match="was already released by insp-2"):
        release_hold(released, released_by="insp-3", at=T0)


@pytest.mark.parametrize(("changes", "message"), [
    ({"hold_type": "forever"}, "unknown hold type 'forever'; known: evidential"),
    ({"item_kind": "faces"}, "unknown record kind 'faces'"),
    ({"reference": "  "}, "non-empty reference"),
    ({"placed_by": ""}, "non-empty actor"),
    ({"at": datetime(2024, 5, 1)}, "timezone-aware"),
])
def test_bad_holds_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(HoldError, match=message):
        place_hold(**_hold(**changes))  # type: ignore[arg-type]


def test_a_hold_cannot_be_released_before_it_was_placed_or_by_nobody() -> None:
    hold = place_hold(**_hold())  # type: ignore[arg-type]
    with pytest.raises(HoldError, match="before it was placed"):
        release_hold(hold, released_by="x", at=T0 - timedelta(seconds=1))
    with pytest.raises(HoldError, match="non-empty actor"):
        release_hold(hold, released_by=" ", at=T0)
