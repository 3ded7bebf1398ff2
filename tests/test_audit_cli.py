"""``lfr audit verify`` and ``lfr audit checkpoint`` on a real SQLite database."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lfr_framework.audit.sql import SqlAuditTrail, audit_tables
from lfr_framework.cli.audit_cmd import audit

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def make_trail(path: Path, n: int = 6, key: bytes | None = None) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata = sa.MetaData()
    trail = SqlAuditTrail(audit_tables(metadata), key=key)
    metadata.create_all(engine)
    for i in range(n):
        with engine.begin() as conn:
            trail.append(conn, actor="admin", action="deployment.step", subject="dep-1",
                         details={"i": i}, at=T0 + timedelta(minutes=i))
    engine.dispose()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LFR_HOME", str(tmp_path))
    for name in ("LFR_DATABASE_URL", "LFR_AUDIT_KEY", "LFR_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_verify_passes_on_an_untouched_trail_in_the_default_database(home: Path) -> None:
    make_trail(home / "lfr.db")
    result = CliRunner().invoke(audit, ["verify"])
    assert result.exit_code == 0, result.output
    assert "audit trail intact: 6 entries checked, head entry 6" in result.output


def test_verify_fails_with_the_entry_number_on_a_tampered_trail(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = home / "elsewhere.db"
    make_trail(path)
    monkeypatch.setenv("LFR_DATABASE_URL", f"sqlite:///{path}")
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("UPDATE audit_log SET details = '{\"i\":99}' WHERE seq = 3")
    raw.close()
    result = CliRunner().invoke(audit, ["verify"])
    assert result.exit_code == 1
    assert "audit trail broken at entry 3: entry 3 was altered" in result.output
    as_json = CliRunner().invoke(audit, ["verify", "--json"])
    assert json.loads(as_json.output.splitlines()[0])["first_bad_seq"] == 3


def test_a_checkpoint_catches_a_cut_that_also_moved_the_head(home: Path) -> None:
    path = home / "lfr.db"
    make_trail(path)
    out = home / "published" / "checkpoint.json"
    done = CliRunner().invoke(audit, ["checkpoint", "--out", str(out)])
    assert done.exit_code == 0, done.output
    raw = sqlite3.connect(path)
    with raw:
        (hash4,) = raw.execute("SELECT hash FROM audit_log WHERE seq = 4").fetchone()
        raw.execute("DELETE FROM audit_log WHERE seq > 4")
        raw.execute("UPDATE audit_head SET seq = 4, hash = ?", (hash4,))
    raw.close()
    assert CliRunner().invoke(audit, ["verify"]).exit_code == 0
    result = CliRunner().invoke(audit, ["verify", "--checkpoint", str(out)])
    assert result.exit_code == 1
    assert "broken at entry 5: the trail was cut short after entry 4" in result.output


def test_the_audit_key_comes_from_the_environment(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_trail(home / "lfr.db", key=b"k-1")
    monkeypatch.setenv("LFR_AUDIT_KEY", "k-1")
    assert CliRunner().invoke(audit, ["verify"]).exit_code == 0
    monkeypatch.setenv("LFR_AUDIT_KEY", "k-2")
    wrong = CliRunner().invoke(audit, ["verify"])
    assert wrong.exit_code == 1 and "audit key is wrong" in wrong.output
    monkeypatch.delenv("LFR_AUDIT_KEY")
    key_file = home / "audit.key"
    key_file.write_bytes(b"k-1\n")
    monkeypatch.setenv("LFR_AUDIT_KEY_FILE", str(key_file))
    assert CliRunner().invoke(audit, ["verify"]).exit_code == 0


@pytest.mark.parametrize(("setup", "args", "message"), [
    ("none", ["verify"], "no database at"),
    ("empty", ["verify"], "has no audit trail"),
    ("trail", ["verify", "--database-url", "nonsense://x"], "cannot use database URL"),
    ("bad-checkpoint", ["verify", "--checkpoint", "CHECKPOINT"], "not an audit checkpoint"),
    ("empty-trail", ["checkpoint", "--out", "x.json"], "the audit trail is empty"),
])
def test_bad_input_gives_a_clear_error(home: Path, setup: str, args: list[str],
                                       message: str) -> None:
    path = home / "lfr.db"
    if setup == "empty":
        raw = sqlite3.connect(path)
        raw.execute("CREATE TABLE other (x)")
        raw.close()
    elif setup in ("trail", "bad-checkpoint"):
        make_trail(path)
    elif setup == "empty-trail":
        make_trail(path, n=0)
    checkpoint = home / "bad.json"
    checkpoint.write_text("{\"seq\": 0}")
    args = [str(checkpoint) if a == "CHECKPOINT" else a for a in args]
    result = CliRunner().invoke(audit, args)
    assert result.exit_code != 0
    text = result.output + (str(result.exception) if result.exception else "")
    assert message in text
