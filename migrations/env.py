"""Alembic environment for the LFR service schema (the SQLModel tables in lfr_api.db.models).

Run programmatically by ``lfr_api.db.engine.upgrade`` (the engine comes in
``config.attributes["engine"]``) or with the ``alembic`` CLI and ``LFR_DATABASE_URL``.
"""

from __future__ import annotations

import os
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from lfr_api.db.models import metadata
from lfr_api.db.types import UTCDateTime

config = context.config


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy types, so versions import nothing of ours."""
    if type_ == "type" and (isinstance(obj, UTCDateTime) or (
            isinstance(obj, sa.types.TypeDecorator) and isinstance(obj.impl, sa.DateTime))):
        return "sa.DateTime(timezone=True)"  # ours, the core's and the compliance plugin's
    if type_ == "type" and type(obj).__name__ == "AutoString":
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def run_migrations(connection: sa.Connection) -> None:
    """Configure the context on ``connection`` and run the migrations."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        version_table_schema=connection.dialect.default_schema_name
        if connection.dialect.name == "postgresql" else None,
    )
    with context.begin_transaction():
        context.run_migrations()


engine = config.attributes.get("engine")
if engine is None:
    url = os.environ.get("LFR_DATABASE_URL")
    if not url:
        raise RuntimeError("set LFR_DATABASE_URL to run Alembic from the command line")
    engine = sa.create_engine(url)
with engine.begin() as conn:
    run_migrations(conn)
