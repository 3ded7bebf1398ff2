"""CSV and JSON export of the compliance logs (the CLI and the API call these)."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from lfr_compliance.records import ActivityRecord, DeletionRecord, DiscardCount, HoldRecord
from lfr_compliance.store import ComplianceStore

LOGS: dict[str, type[Any]] = {
    "deletions": DeletionRecord,
    "holds": HoldRecord,
    "discards": DiscardCount,
    "activity": ActivityRecord,
}
FORMATS = ("csv", "json")


def as_rows(records: Sequence[Any]) -> list[dict[str, Any]]:
    """Records as plain dicts with ISO 8601 times."""
    rows = []
    for record in records:
        row = dataclasses.asdict(record)
        rows.append({k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()})
    return rows


def write_csv(records: Sequence[Any], record_type: type[Any], stream: TextIO) -> None:
    """Write ``records`` as CSV with a header row (the header even when there are none)."""
    writer = csv.DictWriter(stream, fieldnames=[f.name for f in dataclasses.fields(record_type)])
    writer.writeheader()
    writer.writerows(as_rows(records))


def write_json(records: Sequence[Any], stream: TextIO) -> None:
    """Write ``records`` as a JSON array."""
    json.dump(as_rows(records), stream, ensure_ascii=False, indent=1)
    stream.write("\n")


def export_log(store: ComplianceStore, log: str, fmt: str, stream: TextIO,
               deployment_id: str | None = None) -> int:
    """Write one log (``deletions``, ``holds``, ``discards``, ``activity``) as CSV or JSON;
    return the number of records. ``deployment_id`` filters all but the hold log."""
    if log not in LOGS:
        raise ValueError(f"unknown compliance log {log!r}; known: {', '.join(LOGS)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    records: Sequence[Any]
    if log == "deletions":
        records = store.deletions(deployment_id)
    elif log == "holds":
        records = store.holds()
    elif log == "discards":
        records = store.discards(deployment_id)
    else:
        records = store.activity(deployment_id)
    if fmt == "csv":
        write_csv(records, LOGS[log], stream)
    else:
        write_json(records, stream)
    return len(records)
