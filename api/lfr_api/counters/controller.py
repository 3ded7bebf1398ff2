"""``POST /ingest/counters``: camera nodes report what their pipelines counted."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.params import HeaderParameter, JSONBody

from lfr_api.context import ctx_of
from lfr_api.counters import service
from lfr_api.counters.schemas import CountsIn, CountsOut
from lfr_api.errors import InvalidRequest
from lfr_api.security.guards import allow, principal
from lfr_api.security.roles import Role


class CountersController(Controller):
    """Counts per camera and period (faces seen, non-match discards, …); no face data."""

    path = "/ingest"
    tags = ["ingest"]  # noqa: RUF012  (Litestar reads it per class)

    @post("/counters", guards=allow(Role.service), sync_to_thread=True)
    def ingest_counts(
        self, request: Request[Any, Any, Any], data: JSONBody[CountsIn],
        idempotency_key: Annotated[str | None, HeaderParameter(
            name="Idempotency-Key", max_length=200)] = None,
    ) -> Response[CountsOut]:
        """Store what one camera counted since its last report. Retry with the same
        ``Idempotency-Key``: it is counted once (200 with the stored report)."""
        if not idempotency_key:
            raise InvalidRequest("the Idempotency-Key header is required", errors=[
                {"field": "Idempotency-Key", "message": "missing header"}])
        who = principal(request)
        assert who.deployment_id is not None
        out, created = service.record_counts(ctx_of(request), who.deployment_id, who.actor,
                                             data, idempotency_key)
        return Response(out, status_code=201 if created else 200)
