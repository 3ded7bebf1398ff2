"""``POST /deployments/{id}/watchlist/check``: per-image quality feedback before enrolling.

Each image is decoded, its faces found with the deployment's detector and the one face
measured by the same quality gate enrolment uses; the answer says, image by image, whether
it would be accepted and, if not, why (the refusal reason enrolment would give). Nothing is
stored, logged or audited about the images: they are dropped when the request ends."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, MultipartBody
from pydantic import Field

from lfr_api.biometrics import image_gate
from lfr_api.context import AppContext, ctx_of
from lfr_api.deployments.service import get_deployment
from lfr_api.errors import InvalidRequest, PayloadTooLarge
from lfr_api.schemas import Schema
from lfr_api.security.guards import allow
from lfr_api.security.roles import Role
from lfr_framework.enrolment import failure_detail, select_face
from lfr_framework.errors import EnrolmentError, ImageDecodeError
from lfr_framework.imaging import decode_image

Req = Request[Any, Any, Any]


class ImageCheck(Schema):
    """One image's quality, as enrolment would judge it."""

    filename: str
    accepted: bool = Field(description="enrolment would accept this image")
    check: str | None = Field(description="the check it fails: decode (not an image, or "
                              "over the image gate's pixel limit), no_face, "
                              "several_faces, face_too_small, too_blurred, pose, "
                              "detection_score; null when accepted")
    message: str = Field(description="what was found, in words (the refusal reason)")
    faces: int = Field(description="faces found")
    face_px: float | None = Field(None, description="height of the face, pixels")
    sharpness: float | None = Field(None, description="variance of the Laplacian over the face")
    detection_score: float | None = None
    min_face_px: float
    min_sharpness: float


def check_images(ctx: AppContext, deployment_id: str,
                 files: list[tuple[str, bytes]]) -> list[ImageCheck]:
    """Judge each image like enrolment does, without storing anything."""
    with ctx.db.session() as session:
        deployment = get_deployment(session, deployment_id)
    models = ctx.recognition.models(deployment)
    gate = ctx.recognition.gate
    limits = {"min_face_px": gate.settings.min_face_px,
              "min_sharpness": gate.settings.min_sharpness}
    out: list[ImageCheck] = []
    for name, data in files:
        try:  # the image gate first, as enrolment does (pixel limits before decoding)
            image = decode_image(image_gate.admit(data, name).jpeg, name)
        except (ImageDecodeError, image_gate.NotAnImage, image_gate.ImageTooLarge) as exc:
            out.append(ImageCheck(filename=name, accepted=False, check="decode",
                                  message=str(exc), faces=0, **limits))
            continue
        with models.lock:
            found = models.detector.detect(image)
        try:
            face = select_face(found, name, largest=False)
        except EnrolmentError as exc:
            out.append(ImageCheck(filename=name, accepted=False, check=exc.check,
                                  message=str(exc), faces=len(found), **limits))
            continue
        report = gate.assess(image, face)
        message = (f"one face, {report.face_px:.0f} px high, sharpness {report.sharpness:.0f}"
                   if report.passed else
                   f"{name} failed the {report.failed_check} check: "
                   f"{failure_detail(report, face, gate)}")
        out.append(ImageCheck(filename=name, accepted=report.passed,
                              check=report.failed_check, message=message, faces=len(found),
                              face_px=round(report.face_px, 1),
                              sharpness=round(report.sharpness, 1),
                              detection_score=round(face.score, 3), **limits))
        del image
    return out


class WatchlistCheckController(Controller):
    """Quality feedback on watchlist images before they are enrolled."""

    path = "/deployments/{deployment_id:str}/watchlist-check"
    tags = ["watchlists"]  # noqa: RUF012  (Litestar reads it per class)

    @post("/", guards=allow(Role.admin), status_code=200)
    async def check(self, request: Req, deployment_id: FromPath[str],
                    data: MultipartBody[dict[str, Any]]) -> list[ImageCheck]:
        """Check ``images`` (multipart, one or more) as enrolment would: per image whether
        it is accepted, the check it fails and why, the face's size and sharpness. Nothing
        is stored."""
        ctx = ctx_of(request)
        raw = data.get("images")
        uploads = raw if isinstance(raw, list) else [raw] if raw is not None else []
        uploads = [u for u in uploads if isinstance(u, UploadFile)]
        if not uploads:
            raise InvalidRequest("attach at least one image as 'images'",
                                 errors=[{"field": "images", "message": "no image attached"}])
        limit = ctx.settings.upload_limit_bytes
        files: list[tuple[str, bytes]] = []
        for i, upload in enumerate(uploads):
            content = await upload.read()
            name = upload.filename or f"image {i + 1}"
            if len(content) > limit:
                raise PayloadTooLarge(f"{name} is {len(content)} bytes; the limit is {limit}")
            files.append((name, content))
        return await anyio.to_thread.run_sync(check_images, ctx, deployment_id, files)
