"""``lfr run``: run a deployment file's pipeline until its sources end or Ctrl-C."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from lfr_framework.cli.common import load_host, load_store
from lfr_framework.config import load_config
from lfr_framework.deployment import build_deployment
from lfr_framework.thresholds.policy import describe
from lfr_framework.types import Alert


def print_alert(alert: Alert) -> None:
    """One line per alert for the console (facts only, no biometrics)."""
    click.echo(
        f"ALERT {alert.alert_id[:8]} camera={alert.camera_id} entry={alert.entry_id} "
        f"score={alert.score:.3f} (threshold {alert.threshold:.3f}) "
        f"at {alert.frame_timestamp.isoformat()}"
    )


@click.command()
@click.option("--config", "config_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Deployment TOML file.")
@click.option("--duration", type=float, default=None,
              help="Stop after this many seconds (default: until the sources end or Ctrl-C).")
@click.option("--stats", is_flag=True, help="Print counters and per-stage timings as JSON.")
def run(config_path: Path, duration: float | None, stats: bool) -> None:
    """Run the pipeline of a deployment file."""
    config = load_config(config_path)
    host = load_host()
    built = build_deployment(config, host, load_store(host), on_alert=print_alert)
    click.echo(f"deployment {config.deployment.id}: {built.watchlist_size} watchlist entries, "
               f"{len(config.cameras)} camera(s)", err=True)
    for line in describe(built.operating_point):
        click.echo(f"  {line}", err=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGINT, on_signal)
    previous_term = signal.signal(signal.SIGTERM, on_signal)
    pipeline = built.pipeline
    pipeline.start()
    try:
        waited = 0.0
        while not pipeline.wait(timeout=0.2):
            waited += 0.2
            if stop.is_set() or (duration is not None and waited >= duration):
                break
    finally:
        pipeline.stop()
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
        built.components.matcher.destroy()
    counters = pipeline.snapshot_counters()
    if stats:
        click.echo(json.dumps({"counters": counters.as_dict(),
                               "stages": pipeline.timer.as_dict()}, indent=2))
    else:
        click.echo("counters: " + ", ".join(f"{k}={v}" for k, v in counters.as_dict().items()))
