"""``lfr demo``: the whole pipeline offline, on a rendered scene, in well under a minute."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from lfr_framework.cli.common import load_host, load_store
from lfr_framework.cli.run_cmd import print_alert
from lfr_framework.demo.runner import run_demo
from lfr_framework.demo.scenario import ENTRY_IDENTITY
from lfr_framework.models.store import default_home
from lfr_framework.private_files import private_dir
from lfr_framework.thresholds.policy import describe


@click.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the scene, watchlist, alerts file and the demo's own database "
              "(demo.db) go (default $LFR_HOME/demo).")
def demo(workdir: Path | None) -> None:
    """Run the offline demo: watchlist from real photos, a rendered crowd scene, alerts."""
    started = time.perf_counter()
    target = workdir or default_home() / "demo"
    # The demo's events (compliance plugins follow LFR_DATABASE_URL) go to a database of its
    # own in the workdir, never to a service's on the same host.
    own_database = f"sqlite:///{private_dir(target) / 'demo.db'}"
    previous = os.environ.get("LFR_DATABASE_URL")
    os.environ["LFR_DATABASE_URL"] = own_database
    try:
        host = load_host()
        result = run_demo(target, host, load_store(host), on_alert=print_alert,
                          announce=lambda m: click.echo(m, err=True))
    finally:
        if previous is None:
            os.environ.pop("LFR_DATABASE_URL", None)
        else:
            os.environ["LFR_DATABASE_URL"] = previous
    score = result.score
    click.echo("")
    click.echo(f"watchlist: {', '.join(ENTRY_IDENTITY)}")
    if result.operating_point is not None:
        for line in describe(result.operating_point):
            click.echo(line)
    click.echo(f"watchlisted passes alerted: {score.alerted_passes}/{score.watchlisted_passes}; "
               f"false alerts: {score.false_alerts}")
    click.echo("counters: " + ", ".join(f"{k}={v}" for k, v in result.counters.as_dict().items()))
    click.echo(f"alerts written to {result.alerts_file} (facts only, no biometric data)")
    click.echo(f"finished in {time.perf_counter() - started:.1f} s")
