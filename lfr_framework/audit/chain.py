"""The hash chain: how an audit entry commits to the one before it, and how to check it.

Pure functions over plain values; storage lives in :mod:`lfr_framework.audit.sql`.
Each entry's hash covers the previous entry's hash, its own sequence number, time, actor,
action, subject and canonical-JSON details. With a key (``LFR_AUDIT_KEY``) the hash is an
HMAC-SHA256, which nobody without the key can recompute after editing a row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: The ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def format_time(at: datetime) -> str:
    """The UTC ISO 8601 text (microseconds) that is stored and hashed."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"audit times must be timezone-aware, got {at.isoformat()}")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str,
               details_json: str, key: bytes | None = None) -> str:
    """The hex hash of one entry (HMAC-SHA256 under ``key`` if given, else SHA-256)."""
    message = canonical_json([prev_hash, seq, at, actor, action, subject, details_json])
    data = message.encode("utf-8")
    if key is not None:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the trail as stored."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str
    hash: str

    def computed_hash(self, key: bytes | None = None) -> str:
        """The hash this entry's fields give."""
        return entry_hash(self.prev_hash, self.seq, self.at, self.actor, self.action,
                          self.subject, self.details, key)


@dataclass(frozen=True, slots=True)
class Anchor:
    """A (seq, hash) pair kept apart from the trail: the head, or a published checkpoint."""

    seq: int
    hash: str


def next_entry(prev: AuditEntry | None, *, at: datetime, actor: str, action: str,
               subject: str, details: Mapping[str, Any] | None = None,
               key: bytes | None = None) -> AuditEntry:
    """The entry that follows ``prev`` (the first one when ``prev`` is ``None``)."""
    if not actor or not action:
        raise ValueError("an audit entry needs an actor and an action")
    seq = 1 if prev is None else prev.seq + 1
    prev_hash = GENESIS_HASH if prev is None else prev.hash
    at_text = format_time(at)
    details_json = canonical_json(dict(details or {}))
    digest = entry_hash(prev_hash, seq, at_text, actor, action, subject, details_json, key)
    return AuditEntry(seq, at_text, actor, action, subject, details_json, prev_hash, digest)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of :func:`verify`: ``first_bad_seq`` names the first entry at fault."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    head: Anchor | None = None


def _bad(checked: int, seq: int, reason: str) -> VerifyResult:
    return VerifyResult(False, checked, seq, reason)


def verify(entries: Iterable[AuditEntry], *, key: bytes | None = None,
           head: Anchor | None = None, checkpoints: Sequence[Anchor] = ()) -> VerifyResult:
    """Check the chain, entries in ``seq`` order, and name the first entry at fault.

    ``head`` is the last entry as recorded apart from the trail (the trail must end exactly
    there: this catches a cut tail and rows added after it); ``checkpoints`` are anchors
    published earlier (each must still be in the trail with the same hash).
    """
    prev: AuditEntry | None = None
    checked = 0
    seen_at: dict[int, str] = {}
    wanted = {a.seq for a in checkpoints}
    for entry in entries:
        expected = 1 if prev is None else prev.seq + 1
        if entry.seq > expected:
            return _bad(checked, expected, f"entry {expected} is missing (removed): the next "
                                           f"stored entry is {entry.seq}")
        if entry.seq < expected:
            return _bad(checked, entry.seq, f"entry {entry.seq} appears again after entry "
                                            f"{expected - 1} (inserted or reordered)")
        expected_prev = GENESIS_HASH if prev is None else prev.hash
        if entry.prev_hash != expected_prev:
            if prev is not None and entry.computed_hash(key) == entry.hash:
                return _bad(checked, prev.seq, f"entry {prev.seq} was rewritten: entry "
                                               f"{entry.seq} recorded a different hash for it")
            return _bad(checked, entry.seq, f"entry {entry.seq} does not follow entry "
                                            f"{entry.seq - 1} (altered, inserted or reordered)")
        if entry.computed_hash(key) != entry.hash:
            hint = " (or the audit key is wrong)" if entry.seq == 1 else ""
            return _bad(checked, entry.seq, f"entry {entry.seq} was altered: its hash does "
                                            f"not match its contents{hint}")
        if entry.seq in wanted:
            seen_at[entry.seq] = entry.hash
        prev = entry
        checked += 1
    last_seq = 0 if prev is None else prev.seq
    for anchor in sorted(checkpoints, key=lambda a: a.seq):
        if anchor.seq > last_seq:
            return _bad(checked, last_seq + 1, f"the trail was cut short after entry "
                                               f"{last_seq}: checkpoint {anchor.seq} is missing")
        if seen_at.get(anchor.seq) != anchor.hash:
            return _bad(checked, anchor.seq, f"entry {anchor.seq} differs from the published "
                                             f"checkpoint: the trail was rewritten up to it")
    if head is not None:
        if head.seq > last_seq:
            return _bad(checked, last_seq + 1, f"the trail was cut short after entry "
                                               f"{last_seq}: the recorded head is entry "
                                               f"{head.seq}")
        if head.seq < last_seq:
            return _bad(checked, head.seq + 1, f"entry {head.seq + 1} was added after the "
                                               f"recorded head (entry {head.seq})")
        if prev is not None and prev.hash != head.hash:
            return _bad(checked, head.seq, f"entry {head.seq} differs from the recorded head")
    final = None if prev is None else Anchor(prev.seq, prev.hash)
    return VerifyResult(True, checked, None, "", final)
