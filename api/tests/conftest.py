"""Fixtures: a real app on real SQLite (and PostgreSQL when ``LFR_TEST_DATABASE_URL`` is
set), real plugins and models, users of every role."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from lfr_api.testing.api import PG_URL, Api, build_api, now, pg_schema_url
from lfr_api.testing.data import Clock
from lfr_api.testing.processes import PostgresServer, have_postgres

from lfr_framework.plugins import PluginHost
from lfr_framework.retention import utc_now

BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=[
        pytest.mark.network_service,
        pytest.mark.skipif(not PG_URL, reason="LFR_TEST_DATABASE_URL is not set "
                           "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")]),
]


@pytest.fixture(scope="session")
def plugin_host() -> PluginHost:
    """The default plugins, registered explicitly (nothing else that is installed)."""
    import lfr_arcface_onnx.plugin
    import lfr_compliance.plugin
    import lfr_mediapipe.plugin
    import lfr_opencv.plugin
    import lfr_retention_default.plugin
    import lfr_usearch.plugin

    host = PluginHost(load_entry_points=False)
    for name, module in (("mediapipe", lfr_mediapipe.plugin),
                         ("arcface_onnx", lfr_arcface_onnx.plugin),
                         ("usearch", lfr_usearch.plugin), ("opencv", lfr_opencv.plugin),
                         ("retention_default", lfr_retention_default.plugin),
                         ("compliance", lfr_compliance.plugin)):
        host.register_plugin(module, name=name)
    return host


@contextlib.contextmanager
def own_schema() -> Iterator[str]:
    """A PostgreSQL schema of its own on the test database (dropped afterwards): its URL."""
    assert PG_URL is not None
    schema = f"lfr_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'lfr.db'}"
        return
    with own_schema() as url:
        yield url


@pytest.fixture(scope="module")
def schema_url() -> Iterator[str]:
    """A PostgreSQL schema of the module's own, for tests that run two replicas on it."""
    if PG_URL is None:
        pytest.skip("LFR_TEST_DATABASE_URL is not set")
    with own_schema() as url:
        yield url


@pytest.fixture(scope="module")
def own_pg() -> Iterator[PostgresServer]:
    """A PostgreSQL server of the module's own (initdb, a spare port) that its tests may stop,
    freeze and start: fault tests never touch the shared one."""
    if not have_postgres():
        pytest.skip("PostgreSQL is not installed (initdb/pg_ctl not found)")
    with PostgresServer() as pg:
        yield pg


@pytest.fixture(scope="module")
def api(plugin_host: PluginHost, database_url: str) -> Iterator[Api]:
    """A running app on the module's database."""
    yield from build_api(plugin_host, database_url)


@pytest.fixture(scope="session")
def photo_bytes(real_photos: dict[str, Path]) -> dict[str, bytes]:
    """The real test photos as bytes."""
    return {name: path.read_bytes() for name, path in real_photos.items()}


@pytest.fixture
def clock(api: Api) -> Iterator[Clock]:
    """The retention service's clock, moved by the test; real time again afterwards."""
    c = Clock(now())
    service = api.ctx.retention
    assert service is not None
    service.clock = c
    yield c
    service.clock = utc_now


@pytest.fixture(scope="module")
def looping_video(tmp_path_factory: pytest.TempPathFactory, real_photos: dict[str, Path]
                  ) -> Path:
    """A one-second 480×270 video of one watchlisted face, for pipelines that loop it."""
    from lfr_framework.evaluation.scenes import Pass, SceneSpec, render_scene

    path = tmp_path_factory.mktemp("looping-scene") / "loop.mp4"
    render_scene(SceneSpec(duration_s=1.0, width=480, height=270, passes=[
        Pass(identity="obama", photo="obama3", start_s=0.0, duration_s=1.0,
             face_height_px=90, y_frac=0.5)]), real_photos, path)
    return path
