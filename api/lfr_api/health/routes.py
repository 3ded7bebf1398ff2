"""``GET /ready`` (readiness, per dependency) and ``GET /metrics`` (Prometheus).

Both are open routes without credentials: readiness is for load balancers and
orchestrators, metrics for the monitoring system, and neither holds personal data. Who may
reach ``/metrics`` is decided at the network: the reverse proxy that terminates TLS does not
route it from outside (``docs/operations.md``).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lfr_api.context import ctx_of
from lfr_api.health.readiness import DOWN, migration_head, readiness
from lfr_api.security.guards import public

Req = Request[Any, Any, Any]


async def _state(request: Req) -> dict[str, Any]:
    ctx = ctx_of(request)
    state = request.app.state
    if "migration_head" not in state:  # read from the shipped scripts once
        state["migration_head"] = await anyio.to_thread.run_sync(migration_head, ctx)
    return await readiness(state, ctx, state["migration_head"])


@get("/ready", guards=public, tags=["public"])
async def ready(request: Req) -> Response[dict[str, Any]]:
    """Readiness: ``ready`` (200) when the database answers, its schema is at the code's
    migration head, Redis answers (when configured) and the pipelines run (when this
    replica runs them); otherwise ``not_ready`` (503, ``Retry-After``), with each check's
    status (``ok``, ``down`` and why, ``disabled``)."""
    state = await _state(request)
    if state["status"] == "ready":
        return Response(state, headers={"Cache-Control": "no-store"})
    return Response(state, status_code=503,
                    headers={"Retry-After": "5", "Cache-Control": "no-store"})


@get("/metrics", guards=public, include_in_schema=False)
async def metrics(request: Req) -> Response[bytes]:
    """Prometheus text format (see :mod:`lfr_api.health.metrics`)."""
    ctx = ctx_of(request)
    state = await _state(request)
    app_metrics = ctx.metrics
    if app_metrics is None:
        return Response(b"", media_type=CONTENT_TYPE_LATEST)
    app_metrics.dependencies = {name: check["status"] != DOWN
                                for name, check in state["checks"].items()
                                if check["status"] != "disabled"}
    pipelines = request.app.state.get("pipelines")
    if pipelines is not None:
        app_metrics.pipelines_of = lambda: list(pipelines.running.items())
    body = await anyio.to_thread.run_sync(generate_latest, app_metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


ROUTES: list[Any] = [ready, metrics]
