"""Creates the firebase-admin app the sender uses, and the one test seam.

firebase-admin has no public setting for the FCM URL or for its transport retries,
so this module — and only this module — touches two attributes of its messaging
service (tested against firebase-admin 6.5–7.x; a missing attribute fails at start):

* ``_client.session``: the FCM prefix gets an adapter without status retries, because
  :class:`~lfr_fcm.sender.FcmSender` owns the retry policy (``max_attempts``, back-off,
  Retry-After). Otherwise each of our attempts would hide up to five requests.
* ``_fcm_url``: only when ``endpoint`` is given (tests), the base URL
  ``https://fcm.googleapis.com`` is replaced by ``endpoint``; the path stays
  ``/v1/projects/{project}/messages:send``.

Message building, encoding, OAuth (JWT signed with the service account's key, sent to the
key file's ``token_uri``) and error parsing are firebase-admin's own code paths.
"""

from __future__ import annotations

import itertools
from typing import Any

import firebase_admin
import requests.adapters
from firebase_admin import messaging
from urllib3.util import retry

from lfr_fcm.credentials import ServiceAccount
from lfr_framework.errors import ConfigurationError

FCM_BASE_URL = "https://fcm.googleapis.com"
_app_numbers = itertools.count(1)


def create_app(account: ServiceAccount, project_id: str | None, timeout_s: float,
               endpoint: str | None = None) -> firebase_admin.App:
    """A dedicated firebase-admin app for one sender, its messaging service prepared."""
    project = project_id or account.project_id
    if not project:
        raise ConfigurationError(
            "fcm sink: no project_id in the options or in the credentials file"
        )
    name = f"lfr-fcm-{next(_app_numbers)}"
    app = firebase_admin.initialize_app(
        account.credential, options={"projectId": project, "httpTimeout": timeout_s}, name=name
    )
    try:
        _prepare_service(app, project, endpoint)
    except Exception:
        firebase_admin.delete_app(app)
        raise
    return app


def _prepare_service(app: firebase_admin.App, project: str, endpoint: str | None) -> None:
    service: Any = messaging._get_messaging_service(app)
    session = getattr(getattr(service, "_client", None), "session", None)
    if not hasattr(service, "_fcm_url") or not isinstance(session, requests.Session):
        raise ConfigurationError(
            f"fcm sink: firebase-admin {firebase_admin.__version__} is not a version this "
            "plugin supports (its messaging service changed); install firebase-admin 6.5–7.x"
        )
    no_status_retries = retry.Retry(total=0, connect=0, read=0, status=0, redirect=0,
                                    raise_on_status=False)
    base = FCM_BASE_URL
    if endpoint is not None:
        base = endpoint.rstrip("/")
        service._fcm_url = f"{base}/v1/projects/{project}/messages:send"
    session.mount(base, requests.adapters.HTTPAdapter(max_retries=no_status_retries))


def delete_app(app: firebase_admin.App) -> None:
    """Release the app (and its HTTP sessions)."""
    firebase_admin.delete_app(app)
