"""``/deployments/{id}/watchlist``: enrol (multipart), list, view, remove; image bytes."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, MultipartBody
from sqlmodel import col, select

from lfr_api.biometrics import image_gate, storage
from lfr_api.context import ctx_of
from lfr_api.db.models import WatchlistEntry
from lfr_api.deployments.service import visible_deployment
from lfr_api.errors import InvalidRequest, NotFound, PayloadTooLarge
from lfr_api.security.guards import allow, principal
from lfr_api.security.roles import Role
from lfr_api.watchlists import service
from lfr_api.watchlists.schemas import EntryOut

Req = Request[Any, Any, Any]
A, OFC, S, C = Role.admin, Role.officer, Role.supervisor, Role.compliance


class WatchlistController(Controller):
    """A deployment's bespoke watchlist."""

    path = "/deployments/{deployment_id:str}/watchlist"
    tags = ["watchlists"]  # noqa: RUF012  (Litestar reads it per class)

    @post("/", guards=allow(A))
    async def enrol(
        self, request: Req, deployment_id: FromPath[str],
        data: MultipartBody[dict[str, Any]],
    ) -> EntryOut:
        """Enrol a person: form fields (reference, category, reason, image_source,
        lawfully_held=true) and one or more ``images``. Every image must hold one face that
        passes the quality checks; a failure names the image and the check (422)."""
        ctx = ctx_of(request)
        await anyio.to_thread.run_sync(service.check_enrolment_target, ctx, deployment_id)
        meta = service.parse_metadata(data)
        raw = data.get("images")
        uploads = raw if isinstance(raw, list) else [raw] if raw is not None else []
        uploads = [u for u in uploads if isinstance(u, UploadFile)]
        if not uploads:
            raise InvalidRequest("attach at least one image as 'images'",
                                 errors=[{"field": "images", "message": "no image attached"}])
        limit = ctx.settings.upload_limit_bytes
        raw_files: list[tuple[str, bytes]] = []
        for i, upload in enumerate(uploads):
            content = await upload.read()
            name = upload.filename or f"image {i + 1}"
            if len(content) > limit:
                raise PayloadTooLarge(f"{name} is {len(content)} bytes; the limit is {limit}")
            raw_files.append((name, content))
        files = await anyio.to_thread.run_sync(image_gate.admit_uploads, raw_files)
        return await anyio.to_thread.run_sync(
            service.enrol, ctx, deployment_id, principal(request), meta, files)

    @get("/", guards=allow(A, S, C), sync_to_thread=True)
    def list_entries(self, request: Req, deployment_id: FromPath[str]) -> list[EntryOut]:
        """The watchlist's entries (metadata and image links)."""
        with ctx_of(request).db.session() as session:
            visible_deployment(session, principal(request), deployment_id)
            rows = session.exec(select(WatchlistEntry)
                                .where(WatchlistEntry.deployment_id == deployment_id)
                                .order_by(col(WatchlistEntry.added_at))).all()
            return [service.entry_out(session, e) for e in rows]

    @get("/{entry_id:str}", guards=allow(A, S, C), sync_to_thread=True)
    def get_entry(self, request: Req, deployment_id: FromPath[str],
                  entry_id: FromPath[str]) -> EntryOut:
        """One entry."""
        with ctx_of(request).db.session() as session:
            visible_deployment(session, principal(request), deployment_id)
            return service.entry_out(session, service.get_entry(session, deployment_id,
                                                                entry_id))

    @delete("/{entry_id:str}", guards=allow(A), sync_to_thread=True)
    def remove(self, request: Req, deployment_id: FromPath[str], entry_id: FromPath[str]) -> None:
        """Remove an entry; the live matcher stops matching it at once."""
        service.remove(ctx_of(request), deployment_id, entry_id, principal(request))


class WatchlistImageController(Controller):
    """Enrolled image bytes, for staff who may see them."""

    path = "/watchlist-images"
    tags = ["watchlists"]  # noqa: RUF012  (Litestar reads it per class)

    @get("/{image_id:str}", guards=allow(A, OFC, S), sync_to_thread=True)
    def image(self, request: Req, image_id: FromPath[str]) -> Response[bytes]:
        """The image as enrolled: re-encoded JPEG, metadata stripped, served ``nosniff``
        (officers: only of deployments they are assigned to)."""
        with ctx_of(request).db.session() as session:
            found = storage.watchlist_image(session, image_id)
            if found is None:
                raise NotFound(f"no watchlist image {image_id}")
            row, data = found
            entry = session.get(WatchlistEntry, row.entry_id)
            assert entry is not None
            visible_deployment(session, principal(request), entry.deployment_id)
            return Response(data, media_type=image_gate.served_type(row.content_type),
                            headers=image_gate.serve_headers(row.filename))
