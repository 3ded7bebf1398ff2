"""``/compliance/logs``: the deletion, hold, discard and activity logs as CSV or JSON."""

from __future__ import annotations

from typing import Annotated, Any

from lfr_compliance.export import LOGS
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from lfr_api.compliance.wiring import export_text
from lfr_api.context import ctx_of
from lfr_api.errors import NotFound
from lfr_api.security.guards import allow
from lfr_api.security.roles import Role

MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class ComplianceController(Controller):
    """What compliance staff export; none of it holds biometric data."""

    path = "/compliance"
    tags = ["compliance"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/logs/{log_name:str}", guards=allow(Role.compliance), sync_to_thread=True)
    def export(self, request: Request[Any, Any, Any], log_name: FromPath[str],
               fmt: Annotated[str, QueryParameter(name="format", pattern="^(csv|json)$")]
               = "json",
               deployment_id: Annotated[str | None, QueryParameter(
                   name="deployment_id", max_length=36)] = None,
               ) -> Response[str]:
        """``deletions`` (one row per deleted item: kind, id, rule, when, by whom),
        ``holds`` (placements and releases with reference and actor), ``discards``
        (non-match discards per camera and 15-minute bucket) or ``activity`` (alert facts,
        decisions, state changes). ``deployment_id`` filters all but ``holds``."""
        if log_name not in LOGS:
            raise NotFound(f"no compliance log {log_name!r}; known: {', '.join(LOGS)}")
        text, count = export_text(ctx_of(request).db.engine, log_name, fmt, deployment_id)
        return Response(text, media_type=MEDIA[fmt], headers={
            "Content-Disposition": f'attachment; filename="{log_name}.{fmt}"',
            "X-Record-Count": str(count), "Cache-Control": "no-store"})
