"""The hash chain as pure functions: hashing is canonical, and verify names the bad entry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from lfr_framework.audit import (
    GENESIS_HASH,
    Anchor,
    AuditEntry,
    canonical_json,
    entry_hash,
    next_entry,
    verify,
)

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def chain(n: int, key: bytes | None = None) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        entries.append(next_entry(entries[-1] if entries else None,
                                  at=T0 + timedelta(minutes=i), actor=f"user-{i % 3}",
                                  action="alert.decision", subject=f"alert/{i}",
                                  details={"decision": "engage", "n": i}, key=key))
    return entries


def test_canonical_json_has_one_spelling() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_each_entry_commits_to_the_one_before() -> None:
    entries = chain(3)
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].hash == entry_hash(entries[1].hash, 3, entries[2].at, "user-2",
                                         "alert.decision", "alert/2", entries[2].details)
    assert entries[0].at == "2024-05-01T09:00:00.000000+00:00"


def test_an_untouched_chain_verifies() -> None:
    entries = chain(5)
    result = verify(entries, head=Anchor(5, entries[-1].hash))
    assert result.ok and result.checked == 5 and result.head == Anchor(5, entries[-1].hash)
    assert verify([]).ok


@pytest.mark.parametrize(("tamper", "bad_seq", "reason"), [
    (lambda e: [e[0], e[1], dataclasses.replace(e[2], actor="someone-else"), *e[3:]], 3,
     "entry 3 was altered"),
    (lambda e: [*e[:2], *e[3:]], 3, "entry 3 is missing"),
    (lambda e: [*e[:3], dataclasses.replace(e[2], details="{}"), *e[3:]], 3,
     "entry 3 appears again"),
    (lambda e: [e[0], dataclasses.replace(e[3], seq=2), dataclasses.replace(e[1], seq=3),
                *e[4:]], 2, "entry 2"),
], ids=["altered", "removed", "inserted", "reordered"])
def test_verify_names_the_first_bad_entry(
        tamper: Callable[[list[AuditEntry]], list[AuditEntry]], bad_seq: int, reason: str,
) -> None:
    result = verify(tamper(chain(6)))
    assert not result.ok
    assert result.first_bad_seq == bad_seq
    assert reason in result.reason


def test_a_rewritten_and_rehashed_entry_is_caught_by_its_successor() -> None:
    entries = chain(4)
    forged = next_entry(entries[0], at=T0, actor="forger", action="alert.decision",
                        subject="alert/1", details={})
    result = verify([entries[0], forged, *entries[2:]])
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "entry 2 was rewritten" in result.reason


def test_with_a_key_nobody_without_it_can_forge_an_entry() -> None:
    key = b"audit-secret"
    entries = chain(3, key)
    assert verify(entries, key=key).ok
    forged = next_entry(entries[-1], at=T0, actor="forger", action="x", subject="")
    result = verify([*entries, forged], key=key)
    assert (result.ok, result.first_bad_seq) == (False, 4)
    wrong = verify(entries, key=b"wrong")
    assert wrong.first_bad_seq == 1 and "audit key is wrong" in wrong.reason


def test_a_cut_tail_is_caught_only_by_an_anchor() -> None:
    entries = chain(6)
    assert verify(entries[:4]).ok  # without an anchor a shorter chain looks whole
    result = verify(entries[:4], head=Anchor(6, entries[-1].hash))
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "cut short after entry 4" in result.reason
    checkpoint = verify(entries[:4], checkpoints=[Anchor(5, entries[4].hash)])
    assert checkpoint.first_bad_seq == 5


def test_a_whole_rewrite_is_caught_by_a_published_checkpoint() -> None:
    original = chain(5)
    rewritten = chain(3)
    for _ in range(3, 5):
        rewritten.append(next_entry(rewritten[-1], at=T0, actor="forger", action="x",
                                    subject=""))
    assert verify(rewritten).ok  # self-consistent without a key
    result = verify(rewritten, checkpoints=[Anchor(4, original[3].hash)])
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "differs from the published checkpoint" in result.reason


def test_entries_need_an_actor_an_action_and_an_aware_time() -> None:
    with pytest.raises(ValueError, match="actor and an action"):
        next_entry(None, at=T0, actor="", action="x", subject="")
    with pytest.raises(ValueError, match="timezone-aware"):
        next_entry(None, at=datetime(2024, 5, 1), actor="a", action="x", subject="")
