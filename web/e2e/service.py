"""A real ``lfr serve`` for the browser tests: its own SQLite database, data key and secret,
on a loopback port; started, stopped (by its PID) and restarted by the tests."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

PASSWORD = "correct horse battery staple"


def lfr_command() -> list[str]:
    """The installed ``lfr`` console script (what a user runs), next to this Python."""
    script = Path(sys.executable).with_name("lfr")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lfr_framework.cli"]


class Service:
    """One ``lfr serve`` process at a time on ``port``, over ``database``."""

    def __init__(self, home: Path, port: int) -> None:
        self.home = home
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[str] | None = None
        self.log_path = home / "serve.log"
        self.env = {
            **os.environ,
            "LFR_DATABASE_URL": f"sqlite:///{home / 'lfr.db'}",
            "LFR_JWT_SECRET": secrets.token_urlsafe(48),
            "LFR_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "LFR_RETENTION_SWEEP_SECONDS": "3600",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("LFR_DEV", None)
        self.first_line = ""

    def lfr(self, *args: str, stdin: str | None = None) -> str:
        """Run an ``lfr`` command against this service's database."""
        done = subprocess.run([*lfr_command(), *args], input=stdin,
                              capture_output=True, text=True, env=self.env, timeout=120,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"lfr {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def start(self, *, port: int | None = None, pipelines: bool = True,
              timeout_s: float = 90.0) -> str:
        """Start ``lfr serve`` and wait for ``/health``; returns the line it printed first."""
        assert self.process is None, "already running"
        port = port or self.port
        log: IO[str] = self.log_path.open("a")
        args = [*lfr_command(), "serve", "--port", str(port)]
        if not pipelines:
            args.append("--no-pipelines")
        self.process = subprocess.Popen(args, env=self.env, stdout=subprocess.PIPE,
                                        stderr=log, text=True, start_new_session=True)
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline().strip()
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{port}/health"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"lfr serve exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return self.first_line
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"lfr serve did not answer on {url}")

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the process we started (SIGTERM to its PID, then SIGKILL)."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
