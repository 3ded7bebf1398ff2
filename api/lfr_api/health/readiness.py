"""Readiness: whether this replica can do its work now, per dependency.

``/ready`` checks the database (a ``SELECT 1``), its schema (migrations at head), Redis (when
configured) and the live pipelines (when ``lfr serve`` runs them), each within a bound so a
stalled dependency makes the answer "not ready", never a hung request; blocking calls run
on worker threads. Each check says ``ok``, ``down`` (with a one-line reason that names no
host and no secret) or ``disabled``; any ``down`` makes the answer 503.

Redis: pinged here, and the feed's fan-out asked whether its subscription is up (it is
restarted with back-off after Redis comes back): Redis answering while the subscription is
still down is "down" too, so readiness shows a blip until the fan-out has recovered.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio
import anyio.to_thread
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from lfr_api.context import AppContext
from lfr_api.db.engine import alembic_config
from lfr_api.feed.fanout import FanOutStatus

#: The longest one check may take before it counts as down.
CHECK_TIMEOUT_S = 2.0
OK, DOWN, DISABLED = "ok", "down", "disabled"


@dataclass(slots=True)
class Check:
    """One dependency's state."""

    status: str
    detail: str | None = None
    latency_ms: float | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without empty fields; the facts beside the status."""
        out = {k: v for k, v in asdict(self).items() if k != "facts" and v is not None}
        return {**out, **self.facts}


def _reason(exc: BaseException) -> str:
    # The exception's class only: driver messages name hosts and users.
    return f"{type(exc).__name__}" + (" (timed out)" if isinstance(exc, TimeoutError) else "")


async def _timed(probe: Callable[[], Awaitable[Check]]) -> Check:
    start = time.perf_counter()
    try:
        with anyio.fail_after(CHECK_TIMEOUT_S):
            check = await probe()
    except BaseException as exc:
        if not isinstance(exc, Exception):
            raise
        check = Check(DOWN, _reason(exc))
    check.latency_ms = round((time.perf_counter() - start) * 1000, 1)
    return check


def probe_threads(app_state: Any) -> anyio.CapacityLimiter:
    """The app's own threads for probes: a probe of a stalled database may hang until it
    wakes, and must never take the request handlers' threads."""
    limiter: anyio.CapacityLimiter | None = app_state.get("readiness_threads")
    if limiter is None:
        limiter = app_state["readiness_threads"] = anyio.CapacityLimiter(4)
    return limiter


def migration_head(ctx: AppContext) -> str | None:
    """The newest revision of the migrations shipped with this code."""
    return ScriptDirectory.from_config(alembic_config(ctx.db.engine)).get_current_head()


async def database_check(ctx: AppContext, threads: anyio.CapacityLimiter) -> Check:
    """``SELECT 1`` on the service's database."""

    def probe() -> None:
        with ctx.db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    await anyio.to_thread.run_sync(probe, abandon_on_cancel=True, limiter=threads)
    return Check(OK)


async def migrations_check(ctx: AppContext, head: str | None,
                           threads: anyio.CapacityLimiter) -> Check:
    """The schema's revision is the code's head."""

    def probe() -> str | None:
        with ctx.db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
            return None if row is None else str(row[0])

    current = await anyio.to_thread.run_sync(probe, abandon_on_cancel=True, limiter=threads)
    facts = {"current": current, "head": head}
    if current != head:
        return Check(DOWN, "the database schema is not at the code's migration head: run "
                     "the migrations (lfr serve does at start-up)", facts=facts)
    return Check(OK, facts=facts)


async def redis_ping(url: str) -> Check:
    """PING the Redis at ``url`` (the fan-out's own status is preferred when present)."""
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S,
                            socket_timeout=CHECK_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return Check(OK)


def fanout_check(ping: Check, fanout: FanOutStatus) -> Check:
    """Redis's ping, with the fan-out's subscription beside it (down while not restored)."""
    check = ping
    if ping.status == OK and fanout.backend == "redis" and not fanout.healthy:
        check = Check(DOWN, "Redis answers but the feed's fan-out has not subscribed again "
                      "yet (it retries with back-off)", latency_ms=ping.latency_ms)
    check.facts.update({"fanout_subscribed": fanout.healthy,
                        "fanout_since": fanout.since.isoformat(),
                        "fanout_restarts": fanout.restarts,
                        "dropped_hints": fanout.dropped})
    return check


def pipelines_check(pipelines: Any) -> Check:
    """The pipeline watcher runs; how many deployments run here, elsewhere, or failed."""
    if pipelines is None:
        return Check(DISABLED, "this replica runs no pipelines (lfr serve --pipelines does)")
    alive = bool(pipelines.alive())
    failed = sum(1 for why in pipelines.done.values() if why.startswith("not started"))
    facts = {"running": len(pipelines.running), "elsewhere": len(pipelines.elsewhere),
             "failed_to_start": failed}
    if not alive:
        return Check(DOWN, "the pipeline watcher is not running", facts=facts)
    return Check(OK, facts=facts)


async def readiness(app_state: Any, ctx: AppContext, head: str | None) -> dict[str, Any]:
    """Every check, and ``ready`` when none is down."""
    threads = probe_threads(app_state)
    checks: dict[str, Check] = {
        "database": await _timed(lambda: database_check(ctx, threads)),
    }
    if checks["database"].status == OK:
        checks["migrations"] = await _timed(lambda: migrations_check(ctx, head, threads))
    else:
        checks["migrations"] = Check(DOWN, "unknown while the database is down")
    redis_url = ctx.settings.redis_url
    if redis_url:
        checks["redis"] = fanout_check(await _timed(lambda: redis_ping(redis_url)),
                                       ctx.delivery.fanout_status())
    else:
        checks["redis"] = Check(DISABLED, "no LFR_REDIS_URL: in-process fan-out (one replica)")
    checks["pipelines"] = pipelines_check(app_state.get("pipelines"))
    ready = all(c.status != DOWN for c in checks.values())
    return {"status": "ready" if ready else "not_ready",
            "checks": {name: c.as_dict() for name, c in checks.items()}}
