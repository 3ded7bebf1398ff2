"""The OpenAPI document of the app, as committed in ``mobile_contract/openapi.json``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from lfr_api.app import create_app
from lfr_api.biometrics.crypto import DataKey, Keyring
from lfr_api.settings import Settings
from lfr_framework.plugins import PluginHost


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document the app serves at ``/schema/openapi.json``."""
    with tempfile.TemporaryDirectory() as tmp:
        import lfr_retention_default.plugin

        settings = Settings(home=Path(tmp), database_url=f"sqlite:///{tmp}/contract.db",
                            jwt_secret="contract-" + "x" * 40,
                            data_keys=Keyring(DataKey.generate()))
        host = PluginHost(load_entry_points=False)
        host.register_plugin(lfr_retention_default.plugin, name="retention_default")
        app = create_app(settings, host=host)
        document: dict[str, Any] = app.openapi_schema.to_schema()
        app.state["ctx"].db.engine.dispose()
        return document


def render(document: dict[str, Any]) -> str:
    """The document as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
