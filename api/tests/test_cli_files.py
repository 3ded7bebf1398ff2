"""Files and the command line, through the real ``lfr`` process: a new ``$LFR_HOME`` is
0700 and its database 0600; ``lfr keys generate --out`` creates missing folders (0700) and
a 0600 key; a short password in ``lfr users create`` is a one-line error that does not echo
it (no traceback); an unexpected failure is one line too."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from lfr_api.testing.live import free_port

GOOD = "correct horse battery staple"


def _lfr(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lfr_framework.cli", *args], input=stdin,
                          text=True, capture_output=True, env=env, timeout=120)


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "LFR_HOME": str(home), **extra}
    env.pop("LFR_DATABASE_URL", None)
    return env


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_home_is_0700_and_its_database_0600(tmp_path: Path) -> None:
    home = tmp_path / "new" / "lfr-home"
    r = _lfr("users", "create", "--role", "admin", "--password-stdin", "boss",
             env=_env(home), stdin=GOOD + "\n")
    assert r.returncode == 0, r.stderr
    assert _mode(home) == 0o700 and _mode(tmp_path / "new") == 0o700
    database = home / "lfr.db"
    assert _mode(database) == 0o600
    for side in home.glob("lfr.db-*"):  # SQLite's WAL and shared-memory files
        assert _mode(side) == 0o600, side


def test_keys_generate_creates_missing_folders_and_a_private_key(tmp_path: Path) -> None:
    out = tmp_path / "config" / "lfr" / "data.key"
    r = _lfr("keys", "generate", "--out", str(out), env=_env(tmp_path / "home"))
    assert r.returncode == 0, r.stderr
    assert _mode(out) == 0o600
    assert _mode(out.parent) == 0o700 and _mode(out.parent.parent) == 0o700
    key = out.read_text().strip()
    assert len(key) >= 40 and key not in r.stdout + r.stderr  # never echoed
    again = _lfr("keys", "generate", "--out", str(out), env=_env(tmp_path / "home"))
    assert again.returncode != 0
    assert again.stderr.strip().count("\n") == 0 and "exists" in again.stderr
    assert out.read_text().strip() == key  # not overwritten


def test_a_short_password_is_one_line_without_the_password(tmp_path: Path) -> None:
    secret = "Short-Pw-9"
    r = _lfr("users", "create", "--role", "officer", "--password-stdin", "pc-smith",
             env=_env(tmp_path / "home"), stdin=secret + "\n")
    assert r.returncode != 0
    message = r.stderr.strip()
    assert message.count("\n") == 0, message
    assert "password" in message and "12 characters" in message
    assert secret not in r.stdout + r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "home" / "lfr.db").exists()  # nothing created


def test_an_unexpected_failure_is_one_line(tmp_path: Path) -> None:
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    r = _lfr("users", "create", "--role", "admin", "--password-stdin", "boss",
             env={**_env(tmp_path / "home"), "LFR_DATABASE_URL": unreachable},
             stdin=GOOD + "\n")
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0, r.stderr
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr
    assert GOOD not in r.stderr


def test_a_database_left_world_readable_is_made_private(tmp_path: Path) -> None:
    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)
    for name in ("lfr.db", "lfr.db-wal"):  # as an older version left them
        (home / name).write_bytes(b"")
        (home / name).chmod(0o644)
    r = _lfr("users", "create", "--role", "admin", "--password-stdin", "boss",
             env=_env(home), stdin=GOOD + "\n")
    assert r.returncode == 0, r.stderr
    assert _mode(home / "lfr.db") == 0o600
    for side in home.glob("lfr.db-*"):
        assert _mode(side) == 0o600, side
