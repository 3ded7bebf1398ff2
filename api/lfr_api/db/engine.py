"""The database engine, sessions and schema migrations (Alembic, run programmatically)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lfr_api.biometrics.crypto import Keyring
from lfr_framework.audit import audit_key_from_env
from lfr_framework.audit.sql import SqlAuditTrail
from lfr_framework.errors import ConfigurationError
from lfr_framework.private_files import private_file

#: Keys of ``Session.info``: the data keyring (for :mod:`lfr_api.biometrics.storage`) and the audit
#: trail (for :mod:`lfr_api.db.audit`), set by :meth:`Database.session`.
VAULT_INFO, AUDIT_INFO = "lfr_vault", "lfr_audit"
#: Seconds a new PostgreSQL connection may take before it fails.
PG_CONNECT_TIMEOUT_S = 5


def migrations_dir() -> Path:
    """The Alembic script folder: ``$LFR_MIGRATIONS_DIR`` or ``migrations/`` of the checkout."""
    env = os.environ.get("LFR_MIGRATIONS_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[3] / "migrations"
    if not (path / "env.py").is_file():
        raise ConfigurationError(
            f"Alembic migrations not found at {path}: set LFR_MIGRATIONS_DIR to the "
            "repository's migrations/ folder")
    return path


def make_engine(url: str, pool_size: int | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on and a busy timeout. On PostgreSQL
    ``pool_size`` connections are kept open (as many again may open under a burst)."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            # 0600 in a 0700 folder when new; SQLite gives its -wal/-shm files the same mode.
            database = private_file(Path(url.removeprefix("sqlite:///").split("?", 1)[0]))
            for side in (database.with_name(database.name + "-wal"),
                         database.with_name(database.name + "-shm")):
                if side.exists():  # left by an older version, perhaps world-readable
                    side.chmod(0o600)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                                  **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # Freed pages (deleted biometric ciphertext) are overwritten with zeros.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    # A server that does not answer (stalled, or its host gone) fails the connection after
    # a few seconds, which the service answers with 503, instead of hanging the request.
    connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S, **kwargs.pop("connect_args", {})}
    if pool_size is not None:
        # Connections beyond the pool are closed when given back: a pool smaller than the
        # worker threads that use it at once means a new connection per request.
        kwargs = {"pool_size": pool_size, "max_overflow": pool_size, **kwargs}
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs on ``engine``'s connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the schema up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the schema down to ``revision``."""
    command.downgrade(alembic_config(engine), revision)


def audit_trail(clock: Any = None) -> SqlAuditTrail:
    """The service's audit trail (key from ``LFR_AUDIT_KEY`` / ``LFR_AUDIT_KEY_FILE``)."""
    from lfr_api.db.models import AUDIT_TABLES

    return SqlAuditTrail(AUDIT_TABLES, key=audit_key_from_env(), clock=clock)


class Database:
    """The engine plus a session factory; one per app.

    ``vault`` encrypts and decrypts biometric data (``None``: storage refuses to touch it);
    ``audit`` is the hash-chained trail every state change is appended to. Both reach the
    code that needs them through ``session.info``.
    """

    def __init__(self, engine: Engine, vault: Keyring | None = None,
                 audit: SqlAuditTrail | None = None) -> None:
        self.engine = engine
        self.vault = vault
        self.audit = audit or audit_trail()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with Session(self.engine, expire_on_commit=False,
                     info={VAULT_INFO: self.vault, AUDIT_INFO: self.audit}) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
