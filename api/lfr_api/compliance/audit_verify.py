"""``GET /compliance/audit/verify``: what ``lfr audit verify`` says, for compliance staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get
from pydantic import Field

from lfr_api.context import ctx_of
from lfr_api.db.types import utcnow
from lfr_api.schemas import Schema
from lfr_api.security.guards import allow
from lfr_api.security.roles import Role


class AuditVerification(Schema):
    """The audit trail's hash chain, checked entry by entry from the first."""

    ok: bool = Field(description="every entry is intact and the chain ends at its head")
    checked: int = Field(description="entries checked")
    first_bad_seq: int | None = Field(description="the first entry at fault, if any")
    reason: str = Field(description="what is wrong, in words; empty when ok")
    head_seq: int | None = Field(description="the last entry as recorded apart from the trail")
    head_hash: str | None
    verified_at: datetime


class AuditController(Controller):
    """The tamper-evident audit trail."""

    path = "/compliance/audit"
    tags = ["compliance"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/verify", guards=allow(Role.compliance), sync_to_thread=True)
    def verify(self, request: Request[Any, Any, Any]) -> Response[AuditVerification]:
        """Check every entry of the chain and name the first one altered, removed,
        inserted or reordered (the same check as ``lfr audit verify``)."""
        db = ctx_of(request).db
        with db.engine.connect() as conn:
            result = db.audit.verify(conn)
            head = db.audit.head(conn)
        out = AuditVerification(ok=result.ok, checked=result.checked,
                                first_bad_seq=result.first_bad_seq, reason=result.reason,
                                head_seq=head.seq if head else None,
                                head_hash=head.hash if head else None,
                                verified_at=utcnow())
        return Response(out, headers={"Cache-Control": "no-store"})
