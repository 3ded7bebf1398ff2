"""Service settings, read once from the environment into a frozen dataclass."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lfr_framework.errors import ConfigurationError
from lfr_framework.models.store import default_home

if TYPE_CHECKING:
    from lfr_api.biometrics.crypto import Keyring
    from lfr_api.feed.push import FcmSettings

DEV_JWT_SECRET = "lfr-dev-secret-not-for-production-use-0123456789"


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class PasswordHashing:
    """argon2id cost parameters (the defaults are argon2-cffi's RFC 9106 low-memory profile)."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service needs to start; build with :meth:`from_env` or directly."""

    home: Path
    database_url: str
    jwt_secret: str
    redis_url: str | None = None
    dev_mode: bool = False
    upload_limit_bytes: int = 10 * 1024 * 1024
    access_token_seconds: int = 15 * 60
    refresh_token_seconds: int = 12 * 60 * 60
    jwt_issuer: str = "lfr"
    password_hashing: PasswordHashing = field(default_factory=PasswordHashing)
    run_pipelines: bool = False
    expiry_check_seconds: float = 30.0
    #: Push alerts to phones through FCM (``LFR_FCM_CREDENTIALS``); ``None``: no push.
    fcm: FcmSettings | None = None
    #: How often ``lfr serve`` looks for deployments that went live or closed.
    pipeline_poll_seconds: float = 1.0
    #: Data keys for biometric data at rest (``LFR_DATA_KEY[_FILE]``, ``LFR_OLD_DATA_KEY``);
    #: ``None`` refuses to start unless ``dev_mode`` (then the public development key).
    data_keys: Keyring | None = None
    #: Retention: the policy plugin and how often the server sweeps
    #: (``LFR_RETENTION_POLICY``, ``LFR_RETENTION_SWEEP_SECONDS``).
    retention_policy: str = "default"
    retention_sweep_seconds: float = 900.0
    #: Login throttling (docs/security.md): at most this many failed logins per account and
    #: per client address inside the window; then 429 with ``Retry-After``.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_seconds: int = 15 * 60
    #: How often an open feed re-checks its caller's right to the deployment (it also does
    #: before every message it sends).
    feed_recheck_seconds: float = 2.0
    #: How far a camera node's clock may be from the server's (ingest checks ``raised_at``
    #: against it; ``LFR_INGEST_CLOCK_SKEW_SECONDS``).
    ingest_clock_skew_seconds: float = 60.0
    #: How often an open feed re-reads the outbox without a hint (``LFR_FEED_POLL_SECONDS``):
    #: the bound on delivery delay while Redis is down.
    feed_poll_seconds: float = 1.0
    #: PostgreSQL connections each process keeps open (``LFR_DATABASE_POOL_SIZE``); as
    #: many again may open under a burst (docs/operations.md sizes ``max_connections``).
    database_pool_size: int = 20

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read ``LFR_*`` variables. ``LFR_JWT_SECRET`` is required unless ``LFR_DEV=1``."""
        from lfr_api.biometrics.crypto import keyring_from_env
        from lfr_api.feed.push import FcmSettings

        env = dict(os.environ if environ is None else environ)
        home = Path(env["LFR_HOME"]) if env.get("LFR_HOME") else default_home()
        dev = env.get("LFR_DEV", "") in ("1", "true", "yes")
        secret = env.get("LFR_JWT_SECRET", "")
        if not secret:
            if not dev:
                raise ConfigurationError(
                    "LFR_JWT_SECRET is not set: set it to a long random value "
                    "(or LFR_DEV=1 for a development-only default)"
                )
            secret = DEV_JWT_SECRET
        if len(secret) < 32:
            raise ConfigurationError("LFR_JWT_SECRET must be at least 32 characters long")
        database_url = env.get("LFR_DATABASE_URL") or f"sqlite:///{home / 'lfr.db'}"
        return cls(
            home=home,
            database_url=database_url,
            jwt_secret=secret,
            redis_url=env.get("LFR_REDIS_URL") or None,
            dev_mode=dev,
            upload_limit_bytes=_int(env, "LFR_UPLOAD_LIMIT_BYTES", 10 * 1024 * 1024),
            access_token_seconds=_int(env, "LFR_ACCESS_TOKEN_SECONDS", 15 * 60),
            refresh_token_seconds=_int(env, "LFR_REFRESH_TOKEN_SECONDS", 12 * 60 * 60),
            fcm=FcmSettings.from_env(env),
            data_keys=keyring_from_env(env, dev),
            retention_policy=env.get("LFR_RETENTION_POLICY") or "default",
            retention_sweep_seconds=_int(env, "LFR_RETENTION_SWEEP_SECONDS", 900),
            login_failures_per_account=_int(env, "LFR_LOGIN_FAILURES_PER_ACCOUNT", 5),
            login_failures_per_address=_int(env, "LFR_LOGIN_FAILURES_PER_ADDRESS", 20),
            login_window_seconds=_int(env, "LFR_LOGIN_WINDOW_SECONDS", 15 * 60),
            feed_recheck_seconds=_int(env, "LFR_FEED_RECHECK_SECONDS", 2),
            ingest_clock_skew_seconds=_int(env, "LFR_INGEST_CLOCK_SKEW_SECONDS", 60),
            feed_poll_seconds=_int(env, "LFR_FEED_POLL_SECONDS", 1),
            database_pool_size=_int(env, "LFR_DATABASE_POOL_SIZE", 20),
        )
