"""The README's service walkthrough runs as written: its three ``sh`` blocks (setup and
``lfr serve``; the deployment through the API; closing it) in bash, with a temporary
``$HOME`` (so ``~/.local/share/lfr`` and ``~/.config/lfr`` are new) on a spare port. The
two interactive ``lfr officer`` lines (``watch`` runs until Ctrl-C) are left out: the same
client is run by ``test_end_to_end.py``."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from lfr_api.testing.live import free_port

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def walkthrough_blocks() -> list[str]:
    """The ``sh`` blocks of the README's "Running the service" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Running the service", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def _logical_lines(block: str) -> list[str]:
    return block.replace("\\\n", "\x00").splitlines()


def test_the_readme_walkthrough_runs_as_written(tmp_path: Path,
                                                photo_bytes: dict[str, bytes]) -> None:
    blocks = walkthrough_blocks()
    assert len(blocks) == 3, "the walkthrough has three sh blocks"
    setup, api_calls, officer = blocks
    closing = [line for line in _logical_lines(officer) if not line.startswith("lfr officer")]
    port = str(free_port())
    script = "\n".join([
        "set -euo pipefail", setup, api_calls, "\n".join(closing).replace("\x00", "\\\n"),
        'echo "WALKTHROUGH DEP=$DEP"', 'echo "WALKTHROUGH A=$A"',
    ]).replace("8000", port)
    work = tmp_path / "work"
    home = tmp_path / "home"
    work.mkdir()
    home.mkdir()
    (work / ".venv").symlink_to(REPO / ".venv")
    (work / "suspect.jpg").write_bytes(photo_bytes["obama"])
    pip_conf = Path.home() / ".config" / "pip" / "pip.conf"
    if pip_conf.is_file():  # this machine's package index, for 'lfr models fetch'
        (home / ".config" / "pip").mkdir(parents=True)
        shutil.copy(pip_conf, home / ".config" / "pip" / "pip.conf")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LFR_") and k not in ("VIRTUAL_ENV",)}
    env["HOME"] = str(home)
    log = tmp_path / "walkthrough.log"
    with log.open("w") as sink:  # a file, not a pipe: 'lfr serve &' keeps its end open
        proc = subprocess.Popen(["bash", "-c", script], cwd=work, env=env, stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        proc.wait(timeout=600)
        out = log.read_text()
        assert proc.returncode == 0, out[-4000:]
        found = dict(re.findall(r"WALKTHROUGH (\w+)=(\S+)", out))
        bearer = {"Authorization": f"Bearer {found['A']}"}
        base = f"http://127.0.0.1:{port}"
        deployment = httpx.get(f"{base}/deployments/{found['DEP']}", headers=bearer).json()
        assert deployment["state"] == "closed", out[-4000:]  # it went live, then closed
        transitions = httpx.get(f"{base}/deployments/{found['DEP']}/transitions",
                                headers=bearer)
        if transitions.status_code == 200:
            states = [t["to_state"] for t in transitions.json()]
            assert {"authorised", "live", "closed"} <= set(states), states
        assert "Traceback" not in out
    finally:
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)  # the 'lfr serve &' the script started
    lfr_home = home / ".local" / "share" / "lfr"
    assert (lfr_home / "lfr.db").stat().st_mode & 0o777 == 0o600
    assert (home / ".config" / "lfr" / "data.key").stat().st_mode & 0o777 == 0o600
