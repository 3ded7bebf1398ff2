"""Fixtures: a real SQLite compliance store, and a plugin host with only the recorder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from lfr_compliance import ComplianceRecorder, SqlComplianceStore

from lfr_framework.plugins import PluginHost


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "lfr.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqlComplianceStore]:
    engine = sa.create_engine(f"sqlite:///{db_path}")
    yield SqlComplianceStore(engine)
    engine.dispose()


@pytest.fixture
def recorder(store: SqlComplianceStore) -> ComplianceRecorder:
    return ComplianceRecorder(store)


@pytest.fixture
def host(recorder: ComplianceRecorder) -> PluginHost:
    host = PluginHost(load_entry_points=False)
    host.register_plugin(recorder, name="compliance")
    return host
