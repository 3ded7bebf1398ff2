"""Data-key rotation: re-encrypt every stored biometric item under a new key, one item per
transaction, so an interrupted rotation leaves each item readable under either key and
running it again finishes the job."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from lfr_api.biometrics import storage
from lfr_api.biometrics.crypto import DataKey, Keyring
from lfr_api.db.audit import record_on
from lfr_framework.audit.sql import SqlAuditTrail

TABLES = ("watchlist_images", "alert_media")
#: Called after each committed item (``table``, ``row id``): progress, or a test's crash.
OnItem = Callable[[str, str], None]


@dataclass(slots=True)
class RotationReport:
    """What a rotation did."""

    new_key_id: str
    rotated: Counter[str] = field(default_factory=Counter)
    from_key_ids: Counter[str] = field(default_factory=Counter)
    in_use_after: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {"new_key_id": self.new_key_id, "rotated": dict(self.rotated),
                "from_key_ids": dict(self.from_key_ids), "in_use_after": self.in_use_after}


def rotate(engine: sa.Engine, trail: SqlAuditTrail, new: DataKey, old: Sequence[DataKey],
           *, actor: str, on_item: OnItem | None = None) -> RotationReport:
    """Re-encrypt every item not under ``new`` (decrypting with ``old`` or ``new``; rows
    stored before encryption at rest are encrypted). Raises ``DataKeyError`` naming the
    first item no key given can decrypt; items done so far stay under the new key, the rest
    under their old one: nothing is lost, and running it again goes on from there."""
    read, write = Keyring(new, old), Keyring(new)
    report = RotationReport(new.key_id)
    with engine.begin() as conn:
        record_on(conn, trail, actor=actor, action="keys.rotation_started",
                  details={"new_key_id": new.key_id, "old_key_ids": [k.key_id for k in old]})
    for table in TABLES:
        with engine.connect() as conn:
            ids = storage.rows_to_rotate(conn, table, new.key_id)
        for row_id in ids:
            with engine.begin() as conn:
                previous = storage.reencrypt_row(conn, table, row_id, read, write)
            if previous is not None:
                report.rotated[table] += 1
                report.from_key_ids[previous] += 1
            if on_item is not None:
                on_item(table, row_id)
    with engine.begin() as conn:
        report.in_use_after = storage.key_ids_in_use(conn)
        record_on(conn, trail, actor=actor, action="keys.rotated",
                  details={"new_key_id": new.key_id, "rotated": dict(report.rotated),
                           "from_key_ids": dict(report.from_key_ids),
                           "in_use_after": report.in_use_after})
    return report
