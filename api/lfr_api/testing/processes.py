"""PostgreSQL and Redis servers of one's own, on spare loopback ports, for fault tests and the
cluster harness: started, stopped, paused (SIGSTOP) and resumed by their own PID, so the
shared services are never touched."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port nothing listens on now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 20.0) -> None:
    """Wait until something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def postgres_bin(name: str) -> str:
    """A PostgreSQL server binary (``initdb``, ``pg_ctl``, ``postgres``)."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(
        f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install PostgreSQL's server binaries")
    return found


def have_postgres() -> bool:
    """Whether PostgreSQL's server binaries are installed."""
    try:
        postgres_bin("initdb")
    except FileNotFoundError:
        return False
    return True


def have_servers() -> bool:
    """Whether ``redis-server`` and PostgreSQL's server binaries are installed."""
    return have_postgres() and shutil.which("redis-server") is not None


class RedisServer:
    """``redis-server`` on a spare port, no persistence."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start it and wait until it listens."""
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: run its commands as the ``postgres`` user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PostgresServer:
    """A PostgreSQL cluster of its own: ``initdb`` into a new temporary folder, served on a
    spare port; :meth:`destroy` stops it and removes the folder."""

    def __init__(self, port: int | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lfr-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "pgdata"
        self.port = port or free_port()
        self.pid: int | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> PostgresServer:
        """``initdb`` (trust authentication on loopback; this is a test cluster)."""
        subprocess.run([*_as_postgres(), postgres_bin("initdb"), "-D", str(self.data), "-U",
                        "postgres", "-A", "trust", "--no-sync"], check=True, capture_output=True)
        settings = (f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                    f"unix_socket_directories = '{self.root}'\nfsync = off\n"
                    "max_connections = 300\n")
        subprocess.run([*_as_postgres(), "sh", "-c",
                        f"cat >> '{self.data / 'postgresql.conf'}'"], input=settings.encode(),
                       check=True)
        return self

    def start(self) -> PostgresServer:
        """Start the server and wait until it accepts connections."""
        subprocess.run([*_as_postgres(), postgres_bin("pg_ctl"), "-D", str(self.data), "-l",
                        str(self.root / "postgres.log"), "-w", "-t", "30", "start"],
                       check=True, capture_output=True)
        self.pid = int(subprocess.run([*_as_postgres(), "head", "-1",
                                       str(self.data / "postmaster.pid")],
                                      capture_output=True, text=True, check=True).stdout)
        wait_for_port(self.port)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: clients are disconnected; ``immediate``: a crash)."""
        if self.pid is not None:
            os.kill(self.pid, signal.SIGCONT)
            subprocess.run([*_as_postgres(), postgres_bin("pg_ctl"), "-D", str(self.data),
                            "-m", mode, "-w",
                            "stop"], check=False, capture_output=True)
        self.pid = None

    def destroy(self) -> None:
        """Stop it at once and remove its folder."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.init().start()

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def pause(self) -> None:
        """SIGSTOP the postmaster and its backends: queries hang, nothing is refused."""
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        for pid in self._pids():
            os.kill(pid, signal.SIGCONT)

    def _pids(self) -> list[int]:
        assert self.pid is not None
        children = subprocess.run(["pgrep", "-P", str(self.pid)], capture_output=True,
                                  text=True).stdout.split()
        return [self.pid, *map(int, children)]
