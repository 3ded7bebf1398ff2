"""``lfr audit``: verify the hash-chained audit trail and write checkpoints of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lfr_framework.audit import AuditTrailError, audit_key_from_env, read_checkpoint
from lfr_framework.audit.anchors import write_checkpoint
from lfr_framework.models.store import default_home

if TYPE_CHECKING:
    import sqlalchemy as sa

    from lfr_framework.audit.sql import SqlAuditTrail


def default_database_url() -> str:
    """``sqlite:///$LFR_HOME/lfr.db``, the embedded default."""
    return f"sqlite:///{default_home() / 'lfr.db'}"


def _open(database_url: str | None) -> tuple[sa.Engine, SqlAuditTrail]:
    """An engine and the trail over the database; a missing file or table is an error."""
    import sqlalchemy as sa

    from lfr_framework.audit.sql import SqlAuditTrail, audit_tables

    url = database_url or default_database_url()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise AuditTrailError(f"no database at {path} (set --database-url or "
                                  f"LFR_DATABASE_URL)")
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise AuditTrailError(f"cannot use database URL {url!r}: {exc}") from None
    tables = audit_tables(sa.MetaData())
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(tables.log.name):
            raise AuditTrailError(f"the database {engine.url!r} has no audit trail "
                                  f"(table {tables.log.name!r})")
    return engine, SqlAuditTrail(tables, key=audit_key_from_env())


DATABASE_OPTION = click.option(
    "--database-url", envvar="LFR_DATABASE_URL", default=None,
    help="SQLAlchemy URL of the service's database (default: LFR_DATABASE_URL, else "
         "sqlite:///$LFR_HOME/lfr.db).")


@click.group()
def audit() -> None:
    """Check the tamper-evident audit trail (key from LFR_AUDIT_KEY or LFR_AUDIT_KEY_FILE)."""


@audit.command()
@DATABASE_OPTION
@click.option("--checkpoint", "checkpoints", multiple=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A checkpoint written earlier by 'lfr audit checkpoint' (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(database_url: str | None, checkpoints: tuple[Path, ...], as_json: bool) -> None:
    """Check every entry of the chain; name the first one altered, removed, inserted or
    reordered, or the point where the trail was cut short. Exit status 1 if broken."""
    engine, trail = _open(database_url)
    anchors = [read_checkpoint(p) for p in checkpoints]
    try:
        with engine.connect() as conn:
            result = trail.verify(conn, anchors)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps({
            "ok": result.ok, "checked": result.checked, "first_bad_seq": result.first_bad_seq,
            "reason": result.reason,
            "head": None if result.head is None else {"seq": result.head.seq,
                                                      "hash": result.head.hash},
        }))
    if not result.ok:
        raise click.ClickException(
            f"audit trail broken at entry {result.first_bad_seq}: {result.reason}")
    if not as_json:
        head = "empty" if result.head is None else (
            f"head entry {result.head.seq}, hash {result.head.hash}")
        click.echo(f"audit trail intact: {result.checked} entries checked, {head}")


@audit.command()
@DATABASE_OPTION
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the checkpoint (keep it outside the database).")
def checkpoint(database_url: str | None, out: Path) -> None:
    """Verify the trail, then write its head (seq and hash) to a file kept elsewhere, so
    a later cut or rewrite of the trail up to that point is detected."""
    engine, trail = _open(database_url)
    try:
        with engine.connect() as conn:
            result = trail.verify(conn)
    finally:
        engine.dispose()
    if not result.ok:
        raise click.ClickException(
            f"audit trail broken at entry {result.first_bad_seq}: {result.reason}")
    if result.head is None:
        raise click.ClickException("the audit trail is empty: nothing to checkpoint")
    write_checkpoint(out, result.head)
    click.echo(f"checkpoint written to {out}: entry {result.head.seq}, {result.head.hash}")
