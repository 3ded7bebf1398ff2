"""``lfr enrol``: check images enrol cleanly, then add them to a deployment's watchlist folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from lfr_framework.cli.common import load_host, load_store
from lfr_framework.config import load_config
from lfr_framework.deployment import build_models
from lfr_framework.enrolment import enrol_files
from lfr_framework.errors import ConfigurationError
from lfr_framework.pipeline.quality import QualityGate


@click.command()
@click.option("--config", "config_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Deployment TOML file.")
@click.option("--largest", is_flag=True, help="Use the largest face when an image has several.")
@click.argument("entry_id")
@click.argument("images", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def enrol(config_path: Path, largest: bool, entry_id: str, images: tuple[Path, ...]) -> None:
    """Enrol IMAGES of one person as watchlist entry ENTRY_ID of the deployment.

    Every image must hold one face that passes the quality gate; nothing is added
    unless all of them do.
    """
    if not entry_id or "/" in entry_id or entry_id.startswith("."):
        raise ConfigurationError(f"invalid entry id {entry_id!r}: use letters, digits, - or _")
    config = load_config(config_path)
    host = load_host()
    detector, recogniser = build_models(config, host, load_store(host))
    entry = enrol_files(entry_id, images, detector[0], recogniser[0],
                        QualityGate(config.quality), largest)
    target = config.watchlist.directory / entry_id
    target.mkdir(parents=True, exist_ok=True)
    for image in images:
        shutil.copy2(image, target / image.name)
    entry.templates.fill(0.0)
    click.echo(f"enrolled {entry_id}: {len(images)} image(s) into {target}")
