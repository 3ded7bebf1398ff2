"""A live deployment's pipeline in the service gives each camera a detector of its own
(BlazeFace runs on one core, so two cameras sharing one detect in turn), and closes them all
when it stops."""

from __future__ import annotations

from typing import Any

from lfr_api.db.models import Camera, Deployment
from lfr_api.live.pipelines import build_pipeline, release
from lfr_api.testing.api import Api
from lfr_api.testing.data import live_deployment
from sqlmodel import col, select


def test_each_camera_of_a_service_pipeline_detects_with_its_own_detector(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    live = live_deployment(api, photo_bytes["obama"], cameras=("cam-1", "cam-2", "cam-3"))
    with api.ctx.db.session() as session:
        deployment = session.get(Deployment, live.id)
        assert deployment is not None
        cameras = list(session.exec(select(Camera).where(Camera.deployment_id == live.id)
                                    .order_by(col(Camera.camera_id))).all())
    pipeline = build_pipeline(api.ctx, deployment, cameras)
    components = pipeline.components
    try:
        detectors = components.detectors()
        assert len(detectors) == 3 and len({id(d) for d in detectors}) == 3
        per_camera: list[Any] = [components.for_camera(i).detector for i in range(3)]
        assert per_camera == detectors
        locks = {id(components.for_camera(i).detector_lock) for i in range(3)}
        assert len(locks) == 3
        # The recogniser and the matcher stay shared.
        assert len({id(components.for_camera(i).recogniser) for i in range(3)}) == 1
    finally:
        release(*components.detectors(), components.recogniser)
