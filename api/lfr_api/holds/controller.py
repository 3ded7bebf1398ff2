"""``/holds``: compliance staff place and release holds on biometric data."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from lfr_api.context import ctx_of
from lfr_api.holds import service
from lfr_api.holds.schemas import HoldIn, HoldOut
from lfr_api.security.guards import allow, principal
from lfr_api.security.roles import Role

Req = Request[Any, Any, Any]


class HoldController(Controller):
    """Evidential, complaint and judicial-investigation holds."""

    path = "/holds"
    tags = ["compliance"]  # noqa: RUF012  (Litestar reads it per class)

    @post("/", guards=allow(Role.compliance), sync_to_thread=True)
    def place(self, request: Req, data: JSONBody[HoldIn]) -> HoldOut:
        """Hold an alert's biometrics or a watchlist image beyond its normal period: it is
        kept until the last hold on it is released. 404 unknown item, 409 already deleted."""
        return service.place(ctx_of(request), principal(request), data)

    @post("/{hold_id:str}/release", guards=allow(Role.compliance), sync_to_thread=True,
          status_code=200)
    def release(self, request: Req, hold_id: FromPath[str]) -> HoldOut:
        """Release a hold (409 if it was already released)."""
        return service.release(ctx_of(request), principal(request), hold_id)

    @get("/", guards=allow(Role.compliance), sync_to_thread=True)
    def list_holds(self, request: Req,
                   item_id: Annotated[str | None, QueryParameter(name="item_id")] = None,
                   active: Annotated[bool | None, QueryParameter(name="active")] = None,
                   ) -> list[HoldOut]:
        """Holds, newest first."""
        return service.list_holds(ctx_of(request), item_id, active)

    @get("/{hold_id:str}", guards=allow(Role.compliance), sync_to_thread=True)
    def get_hold(self, request: Req, hold_id: FromPath[str]) -> HoldOut:
        """One hold."""
        return service.get(ctx_of(request), hold_id)
