"""The ``lfr`` command line."""

from __future__ import annotations

import importlib.metadata
import logging
import sys
from pathlib import Path

import click

from lfr_framework import __version__
from lfr_framework.cli.audit_cmd import audit
from lfr_framework.cli.calibrate_cmd import calibrate
from lfr_framework.cli.demo_cmd import demo
from lfr_framework.cli.enrol_cmd import enrol
from lfr_framework.cli.evaluate_cmd import evaluate
from lfr_framework.cli.evaluate_scene_cmd import evaluate_scene
from lfr_framework.cli.models_cmd import models
from lfr_framework.cli.plugins_cmd import plugins
from lfr_framework.cli.run_cmd import run
from lfr_framework.errors import LFRError


def configure_logging(verbose: int, log_file: Path | None) -> None:
    """Log to stderr (and a file if asked); levels by ``-v``."""
    level = logging.WARNING - 10 * min(verbose, 2)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=level, handlers=handlers, force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lfr")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the log to this file.")
def cli(verbose: int, log_file: Path | None) -> None:
    """LFR: authorised, watchlist-only Live Facial Recognition."""
    configure_logging(verbose, log_file)


for command in (demo, run, enrol, plugins, models, calibrate, evaluate, evaluate_scene, audit):
    cli.add_command(command)


def add_extension_commands(group: click.Group) -> None:
    """Add commands that other distributions publish in the ``lfr_cli`` entry-point group
    (the API adds ``serve``, ``node``, ``users``), so the core never imports them by name."""
    for ep in sorted(importlib.metadata.entry_points(group="lfr_cli"), key=lambda e: e.name):
        try:
            command = ep.load()
        except Exception as exc:
            logging.getLogger(__name__).error(
                "command %r from %r not loaded: %s", ep.name, ep.value, exc)
            continue
        if isinstance(command, click.Command):
            group.add_command(command, ep.name)


add_extension_commands(cli)


def main() -> None:
    """Entry point: domain errors become a one-line message and exit status 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except LFRError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:
        # One line, never a traceback (it can hold what was typed); -vv logs it.
        logging.getLogger("lfr").debug("unexpected error", exc_info=True)
        lines = str(exc).strip().splitlines()
        click.echo(f"error: {type(exc).__name__}: {lines[0] if lines else ''}"[:300].rstrip(),
                   err=True)
        sys.exit(1)
