"""The default retention policy through the plugin host and the core's retention engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from lfr_retention_default import plugin

from lfr_framework.errors import ConfigurationError
from lfr_framework.interfaces import RetentionPolicy
from lfr_framework.plugins import PluginHost
from lfr_framework.retention import (
    DeletionEntry,
    DeploymentTimes,
    RecordKind,
    RetentionEngine,
    RetentionItem,
    place_hold,
)

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
TIMES = DeploymentTimes("dep-1", T0, T0 + timedelta(hours=8))


class NoStore:
    """The engine is only asked to judge items here; nothing is listed or deleted."""

    def candidates(self) -> Sequence[RetentionItem]:
        return []

    def delete(self, item: RetentionItem, entry: DeletionEntry) -> bool:
        raise AssertionError("not called")

    def undelivered(self) -> Sequence[DeletionEntry]:
        return []

    def mark_delivered(self, entry_id: str) -> None:
        raise AssertionError("not called")


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost(load_entry_points=False)
    host.register_plugin(plugin, name="retention_default")
    return host


def policy(host: PluginHost, **options: object) -> RetentionPolicy:
    return host.retention_policies.create("default", options, where="retention.options")


def due_at(p: RetentionPolicy, item: RetentionItem) -> tuple[datetime | None, str]:
    verdict = RetentionEngine(NoStore(), p).judge(item, T0)
    return (None, "") if verdict.deadline is None else (verdict.deadline.at,
                                                        verdict.deadline.rule)


def test_the_plugin_registers_the_default_policy(host: PluginHost) -> None:
    assert host.retention_policies.names() == ["default"]
    p = policy(host)
    assert isinstance(p, RetentionPolicy) and p.name == "default"


def test_published_practice_periods(host: PluginHost) -> None:
    p = policy(host)
    alert = RetentionItem(RecordKind.ALERT_BIOMETRICS, "a1/probe_crop", T0, TIMES)
    assert due_at(p, alert) == (T0 + timedelta(days=31), "default:alert_biometrics_31_days")
    image = RetentionItem(RecordKind.WATCHLIST_IMAGE, "w1", T0, TIMES)
    assert due_at(p, image) == (T0 + timedelta(hours=32), "default:watchlist_24h_after_end")
    closed = DeploymentTimes("dep-1", T0, T0 + timedelta(hours=8), T0 + timedelta(hours=5))
    template = RetentionItem(RecordKind.WATCHLIST_TEMPLATE, "w1t", T0, closed)
    assert due_at(p, template) == (T0 + timedelta(hours=5),
                                   "default:watchlist_deployment_closed")
    for kind in (RecordKind.ALERT_RECORD, RecordKind.DECISION):
        record = RetentionItem(kind, "r", T0, TIMES)
        assert due_at(p, record) == (T0 + timedelta(days=2192), f"default:{kind}_2192_days")
    assert due_at(p, RetentionItem(RecordKind.LOG, "l", T0)) == (None, "")
    assert p.max_age("non_match_data") == timedelta(0)


def test_shorter_periods_per_deployment(host: PluginHost) -> None:
    p = policy(host, alert_biometrics_days=7, watchlist_hours_after_end=0, log_days=365)
    alert = RetentionItem(RecordKind.ALERT_BIOMETRICS, "a1/clip", T0, TIMES)
    assert due_at(p, alert)[0] == T0 + timedelta(days=7)
    image = RetentionItem(RecordKind.WATCHLIST_IMAGE, "w1", T0, TIMES)
    assert due_at(p, image) == (T0 + timedelta(hours=8), "default:watchlist_0h_after_end")
    assert due_at(p, RetentionItem(RecordKind.LOG, "l", T0))[0] == T0 + timedelta(days=365)


def test_a_hold_keeps_an_item_past_its_period(host: PluginHost) -> None:
    hold = place_hold(hold_type="evidential", item_kind="alert_biometrics", item_id="a1/clip",
                      reference="CRIM-1", placed_by="pc-1", at=T0, item_exists=True)
    item = RetentionItem(RecordKind.ALERT_BIOMETRICS, "a1/clip", T0, TIMES, (hold,))
    verdict = RetentionEngine(NoStore(), policy(host)).judge(item, T0 + timedelta(days=90))
    assert not verdict.due and verdict.held_by == (hold,)


@pytest.mark.parametrize(("options", "message"), [
    ({"alert_biometrics_days": 32}, r"retention\.options\.alert_biometrics_days: Value error, "
                                    r"a deployment may only shorten retention periods: 32 days "
                                    r"is longer than the default 31 days"),
    ({"watchlist_hours_after_end": 48}, r"watchlist_hours_after_end: .*48 hours is longer"),
    ({"decision_days": 3000}, r"decision_days: .*3000 days is longer than the default 2192"),
    ({"alert_record_days": -1}, r"alert_record_days: Input should be greater than or equal"),
    ({"log_days": 0}, r"log_days: Input should be greater than 0"),
    ({"keep_forever": True}, r"keep_forever: Extra inputs are not permitted"),
])
def test_longer_or_bad_periods_are_refused_naming_the_key(
        host: PluginHost, options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        policy(host, **options)
