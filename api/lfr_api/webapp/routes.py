"""The routes the web app needs beyond the phone contract's, and the app itself at ``/app/``."""

from __future__ import annotations

from typing import Any

from lfr_api.alerts.presence import PresenceController
from lfr_api.compliance.audit_verify import AuditController
from lfr_api.deployments.camera_test import CameraTestController
from lfr_api.watchlists.check import WatchlistCheckController
from lfr_api.webapp.static import webapp_router

WEB_APP_ROUTES: list[Any] = [PresenceController, CameraTestController,
                             WatchlistCheckController, AuditController]

__all__ = ["WEB_APP_ROUTES", "webapp_router"]
