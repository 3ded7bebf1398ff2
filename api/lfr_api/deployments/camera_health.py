"""How each camera of a deployment is doing: connected, in an outage (since when), stopped,
and the frames it delivered. Never a face: counts and times only.

Two sources, best first: the pipeline this replica runs in process (its live camera status
and counters), else the counts every pipeline (in process on any replica, or a camera node)
reports to ``pipeline_counts`` once a minute. From those reports a live camera is
``connected`` when its latest report is recent (:data:`STALE_AFTER`) and carried frames, and
in an ``outage`` since the end of the last period that carried frames otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, col, select

from lfr_api.db.models import Deployment, DeploymentTransition, PipelineCount
from lfr_api.schemas import Schema
from lfr_framework.pipeline.runner import CameraStatus
from lfr_framework.types import PipelineCounters

#: A live camera with no report for this long is in an outage (reports come every minute).
STALE_AFTER = timedelta(minutes=3)
State = Literal["connected", "outage", "stopped", "unknown"]
_IN_PROCESS: dict[str, State] = {"running": "connected", "reconnecting": "outage",
                                 "failed": "outage", "finished": "stopped",
                                 "stopped": "stopped", "starting": "unknown"}


class CameraHealth(Schema):
    """One camera's health (no image, no face: counts and times)."""

    state: State = Field(description="connected; outage (its source failed or stopped "
                         "delivering frames); stopped (not live); unknown (no report yet)")
    outage_since: datetime | None = Field(description="when the current outage began")
    fps: float | None = Field(None, description="frames per second over the latest report "
                              "period, when known")
    frames_read: int = Field(description="frames the camera delivered while live")
    frames_dropped: int = Field(description="frames dropped because recognition was busy "
                                "(reported by in-process pipelines only)")
    last_report_at: datetime | None = Field(description="when its pipeline last reported")


def _from_pipeline(status: CameraStatus, counters: PipelineCounters, deployment: Deployment,
                   live_since: datetime | None) -> CameraHealth:
    state = _IN_PROCESS.get(status.state, "unknown")
    if status.state in ("finished", "stopped") and deployment.state == "live":
        state = "outage"  # the deployment is live but its pipeline ended: nothing watches
    since = (status.outage_started or live_since) if state == "outage" else None
    return CameraHealth(state=state, outage_since=since, frames_read=counters.frames_read,
                        frames_dropped=counters.frames_dropped, last_report_at=None)


def _from_reports(session: Session, deployment: Deployment, camera_id: str,
                  now: datetime) -> CameraHealth:
    rows = session.exec(select(PipelineCount)
                        .where(PipelineCount.deployment_id == deployment.id,
                               PipelineCount.camera_id == camera_id)
                        .order_by(col(PipelineCount.period_end))).all()
    frames = sum(r.frames_processed for r in rows)
    if not rows:
        return CameraHealth(state="unknown" if deployment.state == "live" else "stopped",
                            outage_since=None, frames_read=0, frames_dropped=0,
                            last_report_at=None)
    latest = rows[-1]
    seconds = (latest.period_end - latest.period_start).total_seconds()
    fps = round(latest.frames_processed / seconds, 2) if seconds > 0 else None
    last_frames = max((r.period_end for r in rows if r.frames_processed > 0), default=None)
    state: State
    if deployment.state != "live":
        state = "stopped"
    elif latest.frames_processed > 0 and now - latest.received_at <= STALE_AFTER:
        state = "connected"
    else:
        state = "outage"
    since = (last_frames or rows[0].period_start) if state == "outage" else None
    return CameraHealth(state=state, outage_since=since, fps=fps, frames_read=frames,
                        frames_dropped=0, last_report_at=latest.received_at)


def camera_health(session: Session, deployment: Deployment, camera_ids: list[str],
                  pipelines: Any, now: datetime) -> dict[str, CameraHealth]:
    """Each camera's health (``pipelines``: this replica's ``LivePipelines`` or ``None``)."""
    local = pipelines.cameras(deployment.id) if pipelines is not None else {}
    since = live_since(session, deployment)
    out = {}
    for camera_id in camera_ids:
        if camera_id in local:
            status, counters = local[camera_id]
            out[camera_id] = _from_pipeline(status, counters, deployment, since)
        else:
            out[camera_id] = _from_reports(session, deployment, camera_id, now)
    return out


def live_since(session: Session, deployment: Deployment) -> datetime | None:
    """When the deployment last went live (``None``: never)."""
    return session.exec(select(DeploymentTransition.at)
                        .where(DeploymentTransition.deployment_id == deployment.id,
                               DeploymentTransition.to_state == "live")
                        .order_by(col(DeploymentTransition.id).desc())).first()


def frames_by_camera(session: Session, deployment_id: str) -> dict[str, int]:
    """Frames each camera delivered over the deployment, from its pipelines' reports."""
    rows = session.exec(select(PipelineCount.camera_id,
                               sa.func.sum(PipelineCount.frames_processed))
                        .where(PipelineCount.deployment_id == deployment_id)
                        .group_by(col(PipelineCount.camera_id))).all()
    return {camera_id: int(total or 0) for camera_id, total in rows}
