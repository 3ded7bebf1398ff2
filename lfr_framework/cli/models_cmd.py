"""``lfr models``: list, fetch, import and verify model artifacts."""

from __future__ import annotations

from pathlib import Path

import click

from lfr_framework.cli.common import load_host, load_store
from lfr_framework.models.store import ModelStore


def _fetch_with_progress(store: ModelStore, model_id: str) -> Path:
    spec = store.spec(model_id)
    if spec.notice:
        click.echo(f"NOTICE for {model_id}: {spec.notice}", err=True)
    click.echo(f"fetching {model_id} from {spec.sources[0].describe()} …", err=True)
    with click.progressbar(length=0, label=f"verifying {model_id}") as bar:
        return store.fetch(model_id, progress=bar.update)


@click.group()
def models() -> None:
    """Manage the model store ($LFR_HOME/models)."""


@models.command("list")
def list_models() -> None:
    """Every model the installed plugins declare, with its licence and state."""
    store = load_store(load_host())
    for spec in store.specs():
        status = store.status(spec.model_id)
        state = "present" if status.present else "missing"
        click.echo(f"{spec.model_id}  [{state}]  licence: {spec.licence}")
        click.echo(f"    {spec.description}" if spec.description else "", nl=bool(spec.description))
        for source in spec.sources:
            click.echo(f"    source: {source.describe()}")
        if spec.notice:
            click.echo(f"    NOTICE: {spec.notice}")


@models.command("fetch")
@click.argument("model_ids", nargs=-1)
@click.option("--all", "fetch_all", is_flag=True, help="Fetch every downloadable model.")
def fetch(model_ids: tuple[str, ...], fetch_all: bool) -> None:
    """Download models from their declared sources and verify their sha256."""
    store = load_store(load_host())
    ids = list(model_ids)
    if fetch_all:
        ids = [s.model_id for s in store.specs() if s.downloadable]
    if not ids:
        raise click.UsageError("name at least one model, or pass --all")
    for model_id in ids:
        path = _fetch_with_progress(store, model_id)
        click.echo(f"{model_id}: {path}")


@models.command("import")
@click.argument("model_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_model(model_id: str, file: Path) -> None:
    """Copy a local model FILE into the store (air-gapped installs); checks its sha256."""
    store = load_store(load_host())
    spec = store.spec(model_id)
    if spec.notice:
        click.echo(f"NOTICE for {model_id}: {spec.notice}", err=True)
    with click.progressbar(length=file.stat().st_size, label=f"verifying {file.name}") as bar:
        path = store.import_file(model_id, file, progress=bar.update)
    click.echo(f"{model_id}: {path}")


@models.command("verify")
@click.argument("model_ids", nargs=-1)
def verify(model_ids: tuple[str, ...]) -> None:
    """Check the sha256 of stored models; exit 1 if any is missing or altered."""
    store = load_store(load_host())
    ids = list(model_ids) or [s.model_id for s in store.specs()]
    bad = 0
    for model_id in ids:
        status = store.status(model_id, verify=True)
        if not status.present:
            click.echo(f"{model_id}: missing")
        elif status.verified:
            click.echo(f"{model_id}: ok")
        else:
            bad += 1
            click.echo(f"{model_id}: ALTERED (sha256 differs from {status.spec.sha256})")
    if bad:
        raise SystemExit(1)
