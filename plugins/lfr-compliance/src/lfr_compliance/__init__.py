"""The default compliance plugin: deletion log, hold log, discard counts, CSV/JSON export."""

from __future__ import annotations

from lfr_compliance.export import export_log, write_csv, write_json
from lfr_compliance.recorder import ComplianceRecorder, bucket_start
from lfr_compliance.records import ActivityRecord, DeletionRecord, DiscardCount, HoldRecord
from lfr_compliance.store import ComplianceStore, SqlComplianceStore, compliance_tables

__all__ = [
    "ActivityRecord",
    "ComplianceRecorder",
    "ComplianceStore",
    "DeletionRecord",
    "DiscardCount",
    "HoldRecord",
    "SqlComplianceStore",
    "bucket_start",
    "compliance_tables",
    "export_log",
    "write_csv",
    "write_json",
]
