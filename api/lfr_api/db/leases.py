"""One owner per job across replicas: leases on PostgreSQL advisory locks.

A job (the retention sweep, a deployment's pipelines, the push of one alert) is run only by
the replica that holds its lease. On PostgreSQL a lease is a session-level advisory lock
(``pg_try_advisory_lock``) held on a connection of its own (not from the request pool): the
server releases it when that connection ends, so a replica killed with SIGKILL frees its
leases at once and another takes them over. On SQLite (one process by design) a lease is a
lock inside this process.

A holder of a long job checks :meth:`Lease.alive` now and then: after a database restart
the lock is gone, and another replica may already own the job.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from lfr_api.db.engine import PG_CONNECT_TIMEOUT_S

log = logging.getLogger(__name__)


def lease_id(name: str) -> int:
    """The advisory-lock key of a lease name (a signed 64-bit digest)."""
    digest = hashlib.sha256(b"lfr-lease\x00" + name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Lease:
    """A held lease; :meth:`release` it (or let :meth:`Leases.hold` do it)."""

    def __init__(self, name: str, conn: sa.Connection | None,
                 local: threading.Lock | None, key: int = 0) -> None:
        self.name = name
        self.key = key
        self._conn = conn
        self._local = local
        self.released = False

    def alive(self) -> bool:
        """Whether the lease is still held (its connection still open on PostgreSQL)."""
        if self.released:
            return False
        if self._conn is None:
            return True
        # A session lock lives as long as its connection: the connection answering is the
        # lock still held (nothing else here unlocks it).
        try:
            self._conn.execute(sa.text("SELECT 1"))
            self._conn.commit()
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def release(self) -> None:
        """Give the lease up (safe to call twice; a lost connection released it already)."""
        if self.released:
            return
        self.released = True
        if self._local is not None:
            self._local.release()
        if self._conn is not None:
            try:
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            except sa.exc.SQLAlchemyError:
                pass  # the connection is gone, and the lock with it
            finally:
                self._conn.close()


class Leases:
    """Leases over the service's database (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.shared = engine.dialect.name == "postgresql"
        self._engine = sa.create_engine(
            engine.url, poolclass=NullPool,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S}) if self.shared else None
        self._local: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._namespace: str | None = None

    def key(self, name: str) -> int:
        """The advisory-lock key of ``name`` in this service's schema. Advisory locks are
        per database, so the schema is part of the key: two installations (or test
        modules) in one database never share a lease."""
        if self._namespace is None:
            assert self._engine is not None
            with self._engine.connect() as conn:
                self._namespace = str(conn.execute(sa.text(
                    "SELECT current_database() || '.' || current_schema()")).scalar_one())
        return lease_id(f"{self._namespace}\x00{name}")

    def try_acquire(self, name: str) -> Lease | None:
        """The lease ``name`` if nobody (no replica, no thread) holds it, else ``None``.
        A database that cannot be reached raises (SQLAlchemy's ``OperationalError``)."""
        with self._guard:
            local = self._local.setdefault(name, threading.Lock())
        if not local.acquire(blocking=False):
            return None
        if self._engine is None:
            return Lease(name, None, local)
        conn: sa.Connection | None = None
        try:
            key = self.key(name)
            conn = self._engine.connect()
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                               {"k": key}).scalar_one()
            conn.commit()
        except BaseException:
            if conn is not None:
                conn.close()
            local.release()
            raise
        if not got:
            conn.close()
            local.release()
            return None
        return Lease(name, conn, local, key)

    def acquire(self, name: str, timeout_s: float = 30.0) -> Lease | None:
        """Wait up to ``timeout_s`` for the lease ``name``; ``None`` if it stayed taken."""
        deadline = time.monotonic() + timeout_s
        delay = 0.01
        while True:
            lease = self.try_acquire(name)
            if lease is not None or time.monotonic() >= deadline:
                return lease
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    @contextmanager
    def hold(self, name: str) -> Iterator[Lease | None]:
        """``with leases.hold(name) as lease:`` — ``None`` when another owner has it."""
        lease = self.try_acquire(name)
        try:
            yield lease
        finally:
            if lease is not None:
                lease.release()

    def close(self) -> None:
        """Release the lease engine's resources."""
        if self._engine is not None:
            self._engine.dispose()
