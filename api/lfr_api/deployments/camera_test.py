"""``POST /deployments/{id}/camera-test``: does this camera source work, and does it see faces?

The source (plugin, URI, options, as a camera would be added) is opened, frames are read
for up to ``within_s`` seconds of the source's own time until one holds a face good enough
to recognise, and that frame (else the one with the most faces) is sent back as a JPEG with
the faces the deployment's detector found in it and what the quality gate makes of each.
The browser draws the boxes. Nothing is stored: not the frame, not the faces, not a
template (no face is embedded); the response is ``no-store``."""

from __future__ import annotations

import base64
import time
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, post
from litestar.params import FromPath, JSONBody
from pydantic import Field

from lfr_api.biometrics.storage import encode_jpeg
from lfr_api.context import AppContext, ctx_of
from lfr_api.deployments.schemas import CameraIn
from lfr_api.deployments.service import get_deployment
from lfr_api.errors import Unprocessable
from lfr_api.schemas import Schema
from lfr_api.security.guards import allow
from lfr_api.security.roles import Role
from lfr_framework.errors import CameraError
from lfr_framework.types import Frame

#: Frames wider than this are scaled down before they are sent (boxes scale with them).
MAX_WIDTH = 960
Req = Request[Any, Any, Any]


class CameraTestIn(CameraIn):
    """A camera to test (as it would be added) and how long to look for a face."""

    within_s: float = Field(5.0, gt=0, le=30, description="read frames for up to this many "
                            "seconds of the source's time, until one holds a face good "
                            "enough to recognise")


class FaceBox(Schema):
    """A face the detector found, in the returned frame's pixels."""

    x: float
    y: float
    width: float
    height: float
    score: float
    passes_quality: bool = Field(description="the pipeline's quality gate would recognise it")
    failed_check: str | None
    face_px: float = Field(description="height in the camera's own pixels")
    sharpness: float


class CameraTestOut(Schema):
    """One frame of the source with the faces found in it (nothing of it is stored)."""

    camera_id: str
    frame_jpeg_base64: str
    width: int
    height: int
    source_width: int
    source_height: int
    frames_read: int
    faces: list[FaceBox]
    detector: str
    elapsed_ms: float


def run_test(ctx: AppContext, deployment_id: str, data: CameraTestIn) -> CameraTestOut:
    """Read the source, detect faces, answer the frame and the boxes."""
    with ctx.db.session() as session:
        deployment = get_deployment(session, deployment_id)
    ctx.host.camera_sources.validate_options(data.source, data.options, "options")
    models = ctx.recognition.models(deployment)
    gate = ctx.recognition.gate
    started = time.perf_counter()
    source = ctx.host.camera_sources.create(data.source, data.options, "options",
                                            camera_id=data.camera_id, uri=data.uri)
    chosen: Frame | None = None
    found: list[Any] = []
    best = (-1, -1)
    read = 0
    try:
        try:
            source.open()
            first: Frame | None = None
            while True:
                frame = source.read()
                if frame is None:
                    break
                read += 1
                first = first or frame
                with models.lock:
                    detections = models.detector.detect(frame.image)
                # Keep the frame that shows the most recognisable faces (then the most
                # faces): a face just entering the frame is found before it is usable.
                good = sum(gate.assess(frame.image, d).passed for d in detections)
                if (good, len(detections)) > best:
                    best, chosen, found = (good, len(detections)), frame, detections
                if good or (frame.timestamp - first.timestamp).total_seconds() >= data.within_s:
                    break
        except CameraError as exc:
            raise Unprocessable(f"camera {data.camera_id} could not be read: {exc}",
                                errors=[{"field": "uri", "message": str(exc)}]) from None
    finally:
        source.close()
    if chosen is None:
        raise Unprocessable(f"camera {data.camera_id} gave no frame: check the URI",
                            errors=[{"field": "uri", "message": "no frame"}])
    image: Any = chosen.image
    source_h, source_w = image.shape[:2]
    scale = min(1.0, MAX_WIDTH / source_w)
    if scale < 1.0:
        import cv2

        image = cv2.resize(image, (round(source_w * scale), round(source_h * scale)),
                           interpolation=cv2.INTER_AREA)
    faces = []
    for detection in found:
        report = gate.assess(chosen.image, detection)
        box = detection.box
        faces.append(FaceBox(x=box.x * scale, y=box.y * scale, width=box.width * scale,
                             height=box.height * scale, score=round(detection.score, 3),
                             passes_quality=report.passed, failed_check=report.failed_check,
                             face_px=round(report.face_px, 1),
                             sharpness=round(report.sharpness, 1)))
    jpeg = encode_jpeg(image)
    height, width = image.shape[:2]
    return CameraTestOut(camera_id=data.camera_id,
                         frame_jpeg_base64=base64.b64encode(jpeg).decode("ascii"),
                         width=width, height=height, source_width=source_w,
                         source_height=source_h, frames_read=read, faces=faces,
                         detector=deployment.detector,
                         elapsed_ms=round((time.perf_counter() - started) * 1000, 1))


class CameraTestController(Controller):
    """Test a camera source before (or after) adding it."""

    path = "/deployments/{deployment_id:str}/camera-test"
    tags = ["deployments"]  # noqa: RUF012  (Litestar reads it per class)

    @post("/", guards=allow(Role.admin), status_code=200)
    async def test(self, request: Req, deployment_id: FromPath[str],
                   data: JSONBody[CameraTestIn]) -> Response[CameraTestOut]:
        """One frame of the source with the faces the deployment's detector finds in it;
        nothing is stored (``no-store``). 422 when the source cannot be read."""
        out = await anyio.to_thread.run_sync(run_test, ctx_of(request), deployment_id, data)
        return Response(out, headers={"Cache-Control": "no-store"})

