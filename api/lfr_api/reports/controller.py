"""``GET /deployments/{id}/report`` (JSON or HTML) and the public summary."""

from __future__ import annotations

from typing import Annotated, Any, cast

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from lfr_api.context import ctx_of, retention_of
from lfr_api.deployments.service import get_deployment
from lfr_api.errors import NotFound
from lfr_api.reports.html import render_html
from lfr_api.reports.schemas import DeploymentReport, PublicSummary
from lfr_api.reports.service import build_report, public_summary
from lfr_api.security.guards import allow, public
from lfr_api.security.roles import Role

Req = Request[Any, Any, Any]


class ReportController(Controller):
    """The post-deployment report."""

    path = "/deployments/{deployment_id:str}"
    tags = ["reports"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/report", guards=allow(Role.compliance, Role.admin), sync_to_thread=True)
    def report(self, request: Req, deployment_id: FromPath[str],
               fmt: Annotated[str, QueryParameter(name="format", pattern="^(json|html)$")]
               = "json") -> Response[DeploymentReport]:
        """Authorisation facts, watchlist size, cameras, hours live, threshold and model,
        faces seen, non-match discards, alerts (true, false), engagements, outcomes, the
        false alert rate (false alerts ÷ faces seen), alerts per hour, deletion status and
        a timeline. ``?format=html``: a readable page with the timeline chart."""
        ctx = ctx_of(request)
        with ctx.db.session() as session:
            retention = retention_of(ctx)
            report = build_report(session, deployment_id, retention.clock(), retention.policy)
        if fmt == "html":
            page = Response(render_html(report), media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-store"})
            return cast(Response[DeploymentReport], page)
        return Response(report, headers={"Cache-Control": "no-store"})


class PublicSummaryController(Controller):
    """Published results, without personal data."""

    path = "/public/deployments"
    tags = ["public"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/{deployment_id:str}/summary", guards=public, sync_to_thread=True)
    def summary(self, request: Req, deployment_id: FromPath[str]) -> PublicSummary:
        """The results of a deployment whose notice is published: counts, rates, whether
        the watchlist was destroyed. No names, references, images, officers or cameras."""
        ctx = ctx_of(request)
        with ctx.db.session() as session:
            try:
                published = get_deployment(session, deployment_id).published_at is not None
            except NotFound:
                published = False
            if not published:
                raise NotFound(f"no published deployment {deployment_id}")
            retention = retention_of(ctx)
            return public_summary(build_report(session, deployment_id, retention.clock(),
                                               retention.policy))
