"""Giving the compliance plugin (``lfr-compliance``) the service's database."""

from __future__ import annotations

import io
import logging

import sqlalchemy as sa
from lfr_compliance import ComplianceRecorder, SqlComplianceStore, export_log

from lfr_api.db.models import metadata
from lfr_framework.plugins import PluginHost

log = logging.getLogger(__name__)
#: The compliance plugin's entry-point name (``lfr_compliance.plugin``).
PLUGIN_NAME = "compliance"


def compliance_store(engine: sa.Engine) -> SqlComplianceStore:
    """The compliance logs in the service's database (tables made by the migrations)."""
    return SqlComplianceStore(engine, metadata, create=False)


def wire_compliance(host: PluginHost, engine: sa.Engine) -> ComplianceRecorder | None:
    """Point the loaded compliance plugin's event hooks at the service's database; ``None``
    (and a warning) when the plugin is not loaded."""
    if PLUGIN_NAME not in host.plugins:
        log.warning("the compliance plugin is not loaded: the deletion, hold and discard "
                    "logs compliance staff export are not written (the deletion log of "
                    "record and the audit trail still are)")
        return None
    from lfr_compliance import plugin

    return plugin.configure(compliance_store(engine))


def export_text(engine: sa.Engine, log_name: str, fmt: str,
                deployment_id: str | None = None) -> tuple[str, int]:
    """One compliance log as CSV or JSON text, and how many records it holds."""
    buffer = io.StringIO()
    count = export_log(compliance_store(engine), log_name, fmt, buffer, deployment_id)
    return buffer.getvalue(), count
