"""A PostgreSQL server of a test's own (``initdb`` in a temporary folder, ``pg_ctl`` on a
spare loopback port) that the test may stop and start: fault tests never touch the shared
server."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from lfr_api.testing.live import free_port


def postgres_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (``$LFR_PG_BIN``, the PATH, or the newest
    ``/usr/lib/postgresql/*/bin``); ``None`` when PostgreSQL is not installed."""
    env = os.environ.get("LFR_PG_BIN")
    if env:
        return Path(env)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                     key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                     else 0)
    return Path(folders[-1]) if folders else None


class OwnPostgres:
    """One throw-away PostgreSQL cluster; :meth:`stop` and :meth:`start` inject outages.

    Under root the server runs as the ``postgres`` system user (``initdb`` refuses root).
    """

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or postgres_bin()
        if found is None:
            raise RuntimeError("PostgreSQL binaries not found: set LFR_PG_BIN")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="lfr-own-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(self.bin / tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)

    def start(self) -> OwnPostgres:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "server.log"), "-w", "-t", "30", "start")
        return self

    def stop(self) -> None:
        """Stop the server now (``-m fast``: open connections are cut)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def _pids(self) -> list[int]:
        """The postmaster this object started and its children (from ``/proc``)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        pids = [postmaster]
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat_file.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                pids.append(int(stat_file.parent.name))
        return pids

    def pause(self) -> None:
        """Freeze the server (SIGSTOP to its processes): queries stall instead of failing."""
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Unfreeze the server (SIGCONT)."""
        for pid in self._pids():
            os.kill(pid, signal.SIGCONT)

    def close(self) -> None:
        """Stop the server if it runs and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> OwnPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
