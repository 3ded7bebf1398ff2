"""The ``jsonl`` sink appends alert facts, durably and from several threads, never biometrics."""

from __future__ import annotations

import json
import re
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from lfr_sinks import JsonlAlertSink

from lfr_framework.errors import ConfigurationError, PipelineError
from lfr_framework.interfaces import AlertSink
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Alert

WHERE = "alert_sinks[0].options"


def make(host: PluginHost, **options: object) -> AlertSink:
    return host.alert_sinks.create("jsonl", options, WHERE)


def read_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_alerts_are_written_as_facts_without_biometrics(
    host: PluginHost, make_alert: Callable[..., Alert], tmp_path: Path
) -> None:
    path = tmp_path / "logs" / "2024" / "alerts.jsonl"  # parent directories are created
    sink = make(host, path=str(path))
    assert isinstance(sink, AlertSink)
    alerts = [make_alert(track_id=i) for i in range(3)]
    for alert in alerts:
        sink.emit(alert)
    # Each line is on disk before emit returns, without closing the sink.
    records = read_lines(path)
    sink.close()
    sink.close()  # idempotent

    assert records == [a.facts() for a in alerts]
    for record in records:
        assert "probe_crop" not in record and "probe_template" not in record
        assert record["raised_at"] == "2024-05-01T09:30:02.250000+00:00"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_appends_to_an_existing_file(
    host: PluginHost, make_alert: Callable[..., Alert], tmp_path: Path
) -> None:
    path = tmp_path / "alerts.jsonl"
    first = make(host, path=str(path))
    first.emit(make_alert(track_id=1))
    first.close()
    second = make(host, path=str(path))
    second.emit(make_alert(track_id=2))
    second.close()
    assert [r["track_id"] for r in read_lines(path)] == [1, 2]


def test_threads_emitting_at_once_write_whole_lines(
    host: PluginHost, make_alert: Callable[..., Alert], tmp_path: Path
) -> None:
    path = tmp_path / "alerts.jsonl"
    sink = make(host, path=str(path))
    threads_n, per_thread = 8, 25
    alerts = [[make_alert(track_id=t * 1000 + i) for i in range(per_thread)]
              for t in range(threads_n)]
    barrier = threading.Barrier(threads_n)

    def worker(batch: list[Alert]) -> None:
        barrier.wait()
        for alert in batch:
            sink.emit(alert)

    threads = [threading.Thread(target=worker, args=(batch,)) for batch in alerts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    sink.close()

    records = read_lines(path)  # every line parses: none interleaved
    assert len(records) == threads_n * per_thread
    assert sorted(r["alert_id"] for r in records) == sorted(
        a.alert_id for batch in alerts for a in batch)
    for t in range(threads_n):  # each thread's alerts keep their order
        mine = [r["track_id"] for r in records if r["track_id"] // 1000 == t]
        assert mine == sorted(mine)


def test_emit_after_close_fails(
    host: PluginHost, make_alert: Callable[..., Alert], tmp_path: Path
) -> None:
    sink = make(host, path=str(tmp_path / "alerts.jsonl"))
    sink.close()
    with pytest.raises(PipelineError, match="is closed"):
        sink.emit(make_alert())


def test_a_directory_is_rejected_at_start(host: PluginHost, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError,
                       match=f"path {re.escape(str(tmp_path))} is a directory"):
        make(host, path=str(tmp_path))


def test_a_path_under_a_file_is_rejected_at_start(host: PluginHost, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    path = blocker / "alerts.jsonl"
    with pytest.raises(ConfigurationError, match=f"cannot append to {re.escape(str(path))}: "):
        make(host, path=str(path))


def test_an_unwritable_file_is_rejected_at_start(host: PluginHost, tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    path.write_text("")
    path.chmod(0o400)
    try:
        with open(path, "a"):
            pytest.skip("running with privileges that ignore file permissions (root)")
    except PermissionError:
        pass
    with pytest.raises(ConfigurationError,
                       match=f"cannot append to {re.escape(str(path))}: Permission denied"):
        make(host, path=str(path))


def test_a_read_only_filesystem_is_rejected_at_start(host: PluginHost) -> None:
    path = Path("/proc/lfr-sinks-test/alerts.jsonl")  # /proc accepts no new files
    with pytest.raises(ConfigurationError, match=f"cannot append to {re.escape(str(path))}: "):
        make(host, path=str(path))


@pytest.mark.parametrize(("options", "key"), [
    ({}, "path"),
    ({"path": None}, "path"),
    ({"path": "a.jsonl", "include_biometrics": True}, "include_biometrics"),
])
def test_invalid_options_fail_naming_the_key(
    host: PluginHost, options: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigurationError, match=rf"'jsonl'.*{re.escape(WHERE)}\.{key}"):
        host.alert_sinks.validate_options("jsonl", options, WHERE)


def test_sink_class_can_be_used_directly(
    make_alert: Callable[..., Alert], tmp_path: Path
) -> None:
    sink = JsonlAlertSink(tmp_path / "direct.jsonl")
    sink.emit(make_alert())
    sink.close()
    assert len(read_lines(tmp_path / "direct.jsonl")) == 1
