"""The threshold a deployment runs at, and the recogniser model it runs: the one place that
decides them, used by the live pipelines, camera nodes' configuration and ingest checks."""

from __future__ import annotations

from lfr_api.context import AppContext
from lfr_api.db.models import Deployment


def recogniser_model_id(ctx: AppContext, deployment: Deployment) -> str:
    """The model id of the deployment's recogniser (what its alerts must carry)."""
    return ctx.recognition.models(deployment).recogniser.model_id


def operating_threshold(ctx: AppContext, deployment: Deployment) -> float:
    """The score threshold the deployment's matches must reach to raise an alert."""
    if deployment.threshold is not None:
        return deployment.threshold
    return ctx.recognition.models(deployment).recogniser.default_threshold
