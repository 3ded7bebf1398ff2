"""``lfr keys``, ``lfr retention``, ``lfr compliance`` and ``lfr report``: added to the core
``lfr`` command through the ``lfr_cli`` entry-point group. Each works on the service's
database (``--database-url``, else ``LFR_DATABASE_URL``, else ``$LFR_HOME/lfr.db``)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lfr_framework.cli.audit_cmd import DATABASE_OPTION, default_database_url
from lfr_framework.private_files import write_new_private

if TYPE_CHECKING:
    from lfr_api.db.engine import Database
    from lfr_api.retention.service import RetentionService


def _database(database_url: str | None) -> Database:
    """The service's database, migrated to head (no data key: nothing here decrypts)."""
    from lfr_api.db.engine import Database, audit_trail, make_engine, upgrade

    engine = make_engine(database_url or default_database_url())
    upgrade(engine)
    return Database(engine, audit=audit_trail())


def _retention(database_url: str | None, actor: str) -> RetentionService:
    from lfr_api.compliance.wiring import wire_compliance
    from lfr_api.retention.service import RetentionService
    from lfr_framework.cli.common import load_host

    db = _database(database_url)
    host = load_host()
    wire_compliance(host, db.engine)
    return RetentionService(db, host, policy=os.environ.get("LFR_RETENTION_POLICY") or "default",
                            actor=actor)


# -- keys ---------------------------------------------------------------------------------

@click.group()
def keys() -> None:
    """Data keys for biometric data at rest (AES-256-GCM)."""


@keys.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the key to this new file (mode 0600; missing folders are "
              "created 0700) instead of printing it.")
def generate(out: Path | None) -> None:
    """Create a new random data key (base64 of 32 bytes)."""
    from lfr_api.biometrics.crypto import DataKey

    key = DataKey.generate()
    if out is None:
        click.echo(key.base64())
        return
    try:
        write_new_private(out.expanduser(), key.base64() + "\n")
    except FileExistsError:
        raise click.ClickException(f"{out} exists: not overwriting a key") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
    click.echo(f"wrote data key {key.key_id} to {out} (set LFR_DATA_KEY_FILE={out})")


@keys.command()
@DATABASE_OPTION
def status(database_url: str | None) -> None:
    """How many stored items each data key id encrypts (an old key can be destroyed once
    no item names it and every backup older than the rotation has expired)."""
    from lfr_api.biometrics.crypto import key_from_env
    from lfr_api.biometrics.storage import key_ids_in_use

    db = _database(database_url)
    with db.engine.connect() as conn:
        in_use = key_ids_in_use(conn)
    db.engine.dispose()
    configured = {k.key_id for k in (key_from_env(os.environ, "LFR_DATA_KEY"),
                                     key_from_env(os.environ, "LFR_OLD_DATA_KEY")) if k}
    if not in_use:
        click.echo("no biometric items stored")
    for key_id, count in sorted(in_use.items()):
        held = "configured" if key_id in configured else "NOT configured"
        click.echo(f"{key_id}: {count} item(s) ({held})")


@keys.command()
@DATABASE_OPTION
@click.option("--old-key-file", "old_files", multiple=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A key items may still be under (repeatable; default LFR_OLD_DATA_KEY or "
                   "LFR_OLD_DATA_KEY_FILE).")
@click.option("--new-key-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The key to encrypt under (default: the configured LFR_DATA_KEY or "
                   "LFR_DATA_KEY_FILE).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def rotate(database_url: str | None, old_files: tuple[Path, ...], new_key_file: Path | None,
           as_json: bool) -> None:
    """Re-encrypt every watchlist image and template and every alert crop and template
    under the new key, one item per transaction. Interrupted, it loses nothing (each item
    is under the old or the new key) and running it again finishes. Run the server with the
    new key as LFR_DATA_KEY and the old one as LFR_OLD_DATA_KEY meanwhile."""
    from lfr_api.biometrics.crypto import DataKey, key_from_env
    from lfr_api.biometrics.keys import rotate as do_rotate

    new = (DataKey.from_file(new_key_file, "--new-key-file") if new_key_file
           else key_from_env(os.environ, "LFR_DATA_KEY"))
    if new is None:
        raise click.ClickException("no new key: give --new-key-file or set LFR_DATA_KEY "
                                   "(or LFR_DATA_KEY_FILE)")
    old = [DataKey.from_file(p, "--old-key-file") for p in old_files]
    if not old:
        env_old = key_from_env(os.environ, "LFR_OLD_DATA_KEY")
        old = [env_old] if env_old else []
    db = _database(database_url)
    try:
        report = do_rotate(db.engine, db.audit, new, old, actor="cli:keys-rotate")
    finally:
        db.engine.dispose()
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    total = sum(report.rotated.values())
    left = {k: n for k, n in report.in_use_after.items() if k != new.key_id}
    click.echo(f"re-encrypted {total} item(s) under key {new.key_id} "
               f"(from {dict(report.from_key_ids) or 'nothing'})")
    click.echo("no item names another key: the old key can be destroyed once backups older "
               "than now have expired" if not left else f"items still under other keys: {left}")


# -- retention ------------------------------------------------------------------------------

@click.group()
def retention() -> None:
    """Retention: delete what the policy says is due (alert biometrics after 31 days, the
    watchlist at close or 24 h after the authorised end), unless held."""


@retention.command()
@DATABASE_OPTION
@click.option("--dry-run", is_flag=True, help="List what is due; delete nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the sweep's report as JSON.")
def sweep(database_url: str | None, dry_run: bool, as_json: bool) -> None:
    """Run one retention sweep now (the server also runs it on a schedule). Fails loudly,
    deleting nothing half-way, if the database fails."""
    from lfr_api.db.leases import Leases
    from lfr_api.retention.service import SWEEP_LEASE

    service = _retention(database_url, "cli:retention-sweep")
    leases = Leases(service.db.engine)
    try:
        lease = None if dry_run else leases.acquire(SWEEP_LEASE, timeout_s=600)
        if lease is None and not dry_run:
            raise click.ClickException("another retention sweep has been running for 10 "
                                       "minutes: try again when it has finished")
        try:
            report = service.sweep(dry_run=dry_run)
        finally:
            if lease is not None:
                lease.release()
    finally:
        leases.close()
        service.db.engine.dispose()
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    verb = "would delete" if dry_run else "deleted"
    counts = report.counts()
    click.echo(f"{verb} {sum(counts.values())} item(s) {counts or ''}".rstrip()
               + f"; {len(report.held)} held; {report.kept} kept"
               + (f"; next due {report.next_due.isoformat()}" if report.next_due else ""))


# -- compliance -----------------------------------------------------------------------------

@click.group()
def compliance() -> None:
    """Compliance logs (kept by the compliance plugin from the framework's events)."""


@compliance.command()
@DATABASE_OPTION
@click.argument("log_name", type=click.Choice(["deletions", "holds", "discards", "activity"]))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--deployment", "deployment_id", help="Only this deployment (not for holds).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
def export(database_url: str | None, log_name: str, fmt: str, deployment_id: str | None,
           output: Path | None) -> None:
    """Export LOG_NAME: deletions (one row per deleted item), holds (placements and
    releases), discards (non-match discards per camera and time bucket) or activity."""
    from lfr_api.compliance.wiring import export_text

    db = _database(database_url)
    try:
        text, count = export_text(db.engine, log_name, fmt, deployment_id)
    finally:
        db.engine.dispose()
    if output is None:
        sys.stdout.write(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {count} {log_name} record(s) to {output}")


# -- report -------------------------------------------------------------------------------

@click.command()
@DATABASE_OPTION
@click.argument("deployment_id")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the readable HTML page (with its timeline chart) here.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def report(database_url: str | None, deployment_id: str, html_file: Path | None,
           as_json: bool) -> None:
    """The post-deployment report of DEPLOYMENT_ID: authorisation, hours live, faces seen,
    alerts (true, false), engagements, outcomes, false alert rate, deletion status."""
    from lfr_api.db.types import utcnow
    from lfr_api.errors import NotFound
    from lfr_api.reports.html import render_html
    from lfr_api.reports.service import build_report

    db = _database(database_url)
    try:
        with db.session() as session:
            built = build_report(session, deployment_id, utcnow())
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.engine.dispose()
    if html_file is not None:
        html_file.parent.mkdir(parents=True, exist_ok=True)
        html_file.write_text(render_html(built), encoding="utf-8")
    if as_json:
        click.echo(built.model_dump_json(indent=1))
        return
    r = built.results
    click.echo(f"{built.name} ({built.state}): {built.hours_live:.2f} h live, "
               f"{built.watchlist_size} on the watchlist, {r.faces_seen} faces seen, "
               f"{r.alerts} alerts ({r.true_alerts} true, {r.false_alerts} false), "
               f"false alert rate {r.false_alert_rate_text}")
    if html_file is not None:
        click.echo(f"wrote {html_file}")
