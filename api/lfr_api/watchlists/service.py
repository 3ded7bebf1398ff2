"""Enrolling, listing and removing watchlist entries."""

from __future__ import annotations

import logging

import pydantic
from sqlmodel import Session, col, select

from lfr_api.biometrics import storage
from lfr_api.context import AppContext, retention_of
from lfr_api.db import audit
from lfr_api.db.models import WatchlistEntry, WatchlistImage
from lfr_api.deployments import operating_point as points
from lfr_api.deployments.service import CLOSED, get_deployment
from lfr_api.errors import Conflict, InvalidRequest, NotFound
from lfr_api.inputs.policy import check_text
from lfr_api.live import watchlist_follow
from lfr_api.security.roles import Principal
from lfr_api.watchlists import version
from lfr_api.watchlists.schemas import EntryMetadata, EntryOut, ImageOut

log = logging.getLogger(__name__)


def parse_metadata(form: dict[str, object]) -> EntryMetadata:
    """Validate the form fields; 400 naming each bad field."""
    fields: dict[str, object] = {k: v for k, v in form.items()
                                 if k != "images" and isinstance(v, str)}
    for name, value in fields.items():
        check_text(name, str(value))
    held = fields.get("lawfully_held")
    if isinstance(held, str):
        flag = held.strip().lower()
        fields["lawfully_held"] = {"true": True, "false": False}.get(flag, flag)
    try:
        return EntryMetadata.model_validate(fields)
    except pydantic.ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "form", "message": e["msg"]}
                  for e in exc.errors()]
        raise InvalidRequest(
            "the watchlist entry is not valid: check " + ", ".join(e["field"] for e in errors),
            errors=errors) from None


def entry_out(session: Session, entry: WatchlistEntry) -> EntryOut:
    """An entry with its image links."""
    images = session.exec(select(WatchlistImage.id, WatchlistImage.filename,
                                 WatchlistImage.content_type)
                          .where(WatchlistImage.entry_id == entry.id,
                                 col(WatchlistImage.data).is_not(None))
                          .order_by(col(WatchlistImage.position))).all()
    out = EntryOut.model_validate(entry)
    out.images = [ImageOut(id=i, filename=f, content_type=c, link=f"/watchlist-images/{i}")
                  for i, f, c in images]
    return out


def enrol(ctx: AppContext, deployment_id: str, who: Principal, meta: EntryMetadata,
          files: list[tuple[str, str, bytes]]) -> EntryOut:
    """Check every image (decode, one face, quality), then store the entry and its images in
    one transaction that moves the watchlist version (every replica's live matcher follows
    it: ``lfr_api.live.watchlist_follow``). Nothing is stored if any image fails."""
    with ctx.db.session() as session:
        deployment = get_deployment(session, deployment_id)
        if deployment.state == CLOSED:
            raise Conflict("the deployment is closed: its watchlist was destroyed")
    templates = ctx.recognition.enrol(deployment, [(name, data) for name, _, data in files])
    model_id = ctx.recognition.model_id(deployment)
    with ctx.db.session() as session:
        deployment = get_deployment(session, deployment_id)
        if deployment.state == CLOSED:
            raise Conflict("the deployment closed during enrolment")
        entry = WatchlistEntry(deployment_id=deployment_id, reference=meta.reference,
                               category=meta.category.value, reason=meta.reason,
                               image_source=meta.image_source, lawfully_held=True,
                               added_by=who.actor, model_id=model_id)
        session.add(entry)
        session.flush()
        for position, ((name, ctype, data), template) in enumerate(
                zip(files, templates, strict=True)):
            storage.save_watchlist_image(session, entry.id, position, name, ctype, data, template)
        audit.record(session, actor=who.actor, action="watchlist.entry_added",
                     subject=f"deployment:{deployment_id}",
                     details={"entry_id": entry.id, "category": entry.category,
                              "images": len(files), "model_id": model_id})
        out = entry_out(session, entry)
        session.flush()
        point = points.rederive_after_watchlist_change(ctx, session, deployment, who.actor)
        version.bump(session.connection(), deployment_id)
    watchlist_follow.follow_here(ctx, deployment_id)
    if point is not None:
        ctx.matchers.set_threshold(deployment_id, point.threshold)
    log.info("watchlist entry %s enrolled in deployment %s with %d image(s)",
             entry.id, deployment_id, len(files))
    return out


def get_entry(session: Session, deployment_id: str, entry_id: str) -> WatchlistEntry:
    """An entry of a deployment, or 404."""
    entry = session.get(WatchlistEntry, entry_id)
    if entry is None or entry.deployment_id != deployment_id:
        raise NotFound(f"no watchlist entry {entry_id} in deployment {deployment_id}")
    return entry


def remove(ctx: AppContext, deployment_id: str, entry_id: str, who: Principal) -> None:
    """Delete an entry, its images and templates (each logged as a deletion; 409 if one is
    under a hold); this replica's live matcher forgets it at once, the others' within the
    follow bound (``lfr_api.live.watchlist_follow``)."""
    retention = retention_of(ctx)
    with ctx.db.session() as session:
        entry = get_entry(session, deployment_id, entry_id)
        deleted = retention.remove_entry_images(session, deployment_id, entry_id, who.actor)
        session.delete(entry)
        audit.record(session, actor=who.actor, action="watchlist.entry_removed",
                     subject=f"deployment:{deployment_id}",
                     details={"entry_id": entry_id, "items_deleted": len(deleted)})
        session.flush()
        point = points.rederive_after_watchlist_change(
            ctx, session, get_deployment(session, deployment_id), who.actor)
        version.bump(session.connection(), deployment_id)
    watchlist_follow.follow_here(ctx, deployment_id)
    if point is not None:
        ctx.matchers.set_threshold(deployment_id, point.threshold)
    retention.deliver_after_commit()


def check_enrolment_target(ctx: AppContext, deployment_id: str) -> None:
    """404 for an unknown deployment before any upload is read."""
    with ctx.db.session() as session:
        get_deployment(session, deployment_id)
