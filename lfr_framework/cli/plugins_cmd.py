"""``lfr plugins``: what is installed and what it registers."""

from __future__ import annotations

import json

import click

from lfr_framework.cli.common import load_host


@click.group()
def plugins() -> None:
    """Inspect installed plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_plugins(as_json: bool) -> None:
    """Show each plugin: name, distribution and version, and what it registers."""
    host = load_host()
    infos = host.describe()
    if as_json:
        click.echo(json.dumps([
            {"name": i.name, "distribution": i.distribution, "version": i.version,
             "registers": i.registers, "listens": i.listens} for i in infos
        ] + [
            {"name": f.name, "distribution": f.distribution, "error": f.message}
            for f in host.failures
        ], indent=2))
        return
    if not infos:
        click.echo("no plugins loaded (check LFR_PLUGINS / LFR_DISABLE_PLUGINS)")
    for info in infos:
        click.echo(f"{info.name}  ({info.distribution} {info.version})")
        for kind, names in sorted(info.registers.items()):
            click.echo(f"    {kind}: {', '.join(names)}")
        if info.listens:
            click.echo(f"    listens to: {', '.join(info.listens)}")
