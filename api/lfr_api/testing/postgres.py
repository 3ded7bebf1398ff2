"""A PostgreSQL server of the test's own (initdb in a temporary folder, a spare loopback
port), for fault tests that stop the database: never the shared one."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from lfr_api.testing.live import free_port


def available() -> bool:
    """Whether ``initdb`` and ``pg_ctl`` are on the PATH."""
    return shutil.which("initdb") is not None and shutil.which("pg_ctl") is not None


class OwnPostgres:
    """``initdb`` + ``pg_ctl``; :meth:`stop` and :meth:`start` simulate an outage. As root,
    the server runs as the ``postgres`` user (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lfr-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync")

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> OwnPostgres:
        """Start (or restart) the server and wait until it answers."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")
        engine = sa.create_engine(self.url)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with engine.connect():
                        return self
                except sa.exc.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        finally:
            engine.dispose()

    def stop(self) -> None:
        """Stop the server at once (the outage)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop if running, and delete its files."""
        subprocess.run([*self._as, "pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
