"""The kinds of record the retention rules apply to."""

from __future__ import annotations

from enum import StrEnum


class RecordKind(StrEnum):
    """A kind of record; each has its own retention rule (docs/privacy-and-retention.md)."""

    #: Embeddings, crops and frames of faces that did not match. Never stored by the
    #: pipeline; the engine only counts them, and deletes at once any it is shown.
    NON_MATCH_DATA = "non_match_data"
    #: An alert's probe crop, probe template or clip (``RetentionItem.part`` says which).
    ALERT_BIOMETRICS = "alert_biometrics"
    #: An alert's facts without its biometric parts (time, camera, score, decision, outcome).
    ALERT_RECORD = "alert_record"
    WATCHLIST_IMAGE = "watchlist_image"
    WATCHLIST_TEMPLATE = "watchlist_template"
    #: An officer's decision on an alert, and its amendments.
    DECISION = "decision"
    #: Deletion, hold and audit logs (they hold no biometric data).
    LOG = "log"


#: Kinds whose items are biometric data: deleting one fires ``biometric_data_deleted``.
BIOMETRIC_KINDS = frozenset({
    RecordKind.NON_MATCH_DATA,
    RecordKind.ALERT_BIOMETRICS,
    RecordKind.WATCHLIST_IMAGE,
    RecordKind.WATCHLIST_TEMPLATE,
})

#: Kinds that are destroyed with the deployment's watchlist.
WATCHLIST_KINDS = frozenset({RecordKind.WATCHLIST_IMAGE, RecordKind.WATCHLIST_TEMPLATE})


def parse_kind(value: str) -> RecordKind:
    """The ``RecordKind`` called ``value``; an unknown name is a ``ValueError`` listing them."""
    try:
        return RecordKind(value)
    except ValueError:
        known = ", ".join(k.value for k in RecordKind)
        raise ValueError(f"unknown record kind {value!r}; known: {known}") from None
