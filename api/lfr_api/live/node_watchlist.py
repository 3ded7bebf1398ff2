"""``GET /ingest/watchlist``: a camera node reads its live deployment's templates.

Templates are biometric data: only a service account of the deployment may read them, only
while the deployment is live, never cached (``Cache-Control: no-store``), and the node keeps
them in memory only. Images are never served to nodes.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import numpy as np
from litestar import Controller, Request, Response, get
from pydantic import Field
from sqlmodel import select

from lfr_api.biometrics import storage
from lfr_api.context import ctx_of
from lfr_api.db.models import WatchlistEntry
from lfr_api.deployments.operating_point import operating_threshold
from lfr_api.deployments.service import LIVE, get_deployment
from lfr_api.errors import Conflict
from lfr_api.schemas import Schema
from lfr_api.security.guards import allow, principal
from lfr_api.security.roles import Role

log = logging.getLogger(__name__)


class NodeEntry(Schema):
    """One watchlist entry's templates: rows of ``dimension`` float32 (little-endian),
    each base64-encoded. No image, no name, no reason: the service adds those to alerts."""

    entry_id: str
    model_id: str
    dimension: int
    templates_f32le_base64: list[str]


class NodeWatchlist(Schema):
    """The live deployment's watchlist as a node matches against it."""

    deployment_id: str
    operating_threshold: float = Field(
        description="The score a match must reach to raise an alert: the deployment's "
        "operating point, re-derived when the watchlist changes; alerts carry it.")
    entries: list[NodeEntry]


def encode_rows(templates: Any) -> list[str]:
    """Each template row as base64 of little-endian float32."""
    rows = np.ascontiguousarray(templates, dtype="<f4")
    return [base64.b64encode(row.tobytes()).decode("ascii") for row in rows]


class NodeWatchlistController(Controller):
    """Templates for the node's own deployment."""

    path = "/ingest"
    tags = ["ingest"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/watchlist", guards=allow(Role.service), sync_to_thread=True)
    def watchlist(self, request: Request[Any, Any, Any]) -> Response[NodeWatchlist]:
        """The templates of the service account's deployment, only while it is live
        (409 otherwise). Poll it to see additions and removals."""
        who = principal(request)
        assert who.deployment_id is not None
        with ctx_of(request).db.session() as session:
            deployment = get_deployment(session, who.deployment_id)
            if deployment.state != LIVE:
                raise Conflict(f"deployment {deployment.id} is {deployment.state}, not live: "
                               "its watchlist is served to nodes only while it is live",
                               state=deployment.state)
            models = dict(session.exec(select(WatchlistEntry.id, WatchlistEntry.model_id)
                                       .where(WatchlistEntry.deployment_id == deployment.id))
                          .all())
            templates = storage.deployment_templates(session, deployment.id)
            threshold = operating_threshold(ctx_of(request), deployment)
        entries = [NodeEntry(entry_id=entry_id, model_id=models.get(entry_id, ""),
                             dimension=int(rows.shape[1]), templates_f32le_base64=encode_rows(rows))
                   for entry_id, rows in sorted(templates.items()) if rows.size]
        log.info("node %s read the watchlist of deployment %s (%d entries)", who.actor,
                 deployment.id, len(entries))
        return Response(NodeWatchlist(deployment_id=deployment.id,
                                      operating_threshold=threshold, entries=entries),
                        headers={"Cache-Control": "no-store"})
