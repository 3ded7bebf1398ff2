"""``lfr node --api URL --key KEY [--deployment ID]``."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from lfr_framework.pipeline.runner import Pipeline


@click.command()
@click.option("--api", "api_url", required=True, help="The service, e.g. https://lfr.example")
@click.option("--key", required=True, envvar="LFR_NODE_KEY", show_envvar=True,
              help="The node's service-account API key (prefer the environment variable).")
@click.option("--deployment", "deployment_id", default=None,
              help="Refuse to run unless the key belongs to this deployment.")
@click.option("--poll", "poll_s", default=5.0, show_default=True, type=float,
              help="Seconds between checks of the deployment's state and watchlist.")
@click.option("--state-dir", "state_dir", default=None, envvar="LFR_NODE_STATE_DIR",
              show_envvar=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where the node keeps unacknowledged alerts and file positions "
                   "(default: LFR_HOME/node/<digest of the key>).")
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=None,
              envvar="LFR_NODE_METRICS_PORT", show_envvar=True,
              help="Serve Prometheus metrics (outbox depth, fps, drops, stage times) on "
                   "127.0.0.1:PORT/metrics.")
def node(api_url: str, key: str, deployment_id: str | None, poll_s: float,
         state_dir: Path | None, metrics_port: int | None) -> None:
    """Run a camera node: the deployment's pipeline here, alerts posted to the service.

    Uses the plugins installed here and the model store under LFR_HOME. Waits until the
    deployment is live; stops when it closes or its authorised window ends. Alerts wait on
    this node's disk until the service acknowledges them (crops encrypted under
    LFR_NODE_DATA_KEY, or a key derived from the API key), and are sent again after a
    crash; a video file resumes where it was.
    """
    from lfr_api.node.runner import NodeRunner
    from lfr_api.node.store import NodeStore, default_state_dir, node_keyring
    from lfr_framework.models.store import default_home
    from lfr_framework.plugins import PluginHost

    host = PluginHost()
    folder = state_dir or default_state_dir(default_home(), key)
    state = NodeStore(folder / "outbox.db", node_keyring(key))
    runner = NodeRunner(api_url, key, host=host, store=host.model_store(), state=state,
                        deployment_id=deployment_id, poll_s=poll_s)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        from lfr_api.health.metrics import node_registry

        def pipelines() -> list[tuple[str, Pipeline]]:
            pipeline = runner.pipeline
            return [] if pipeline is None else [(pipeline.settings.deployment_id, pipeline)]

        start_http_server(metrics_port, addr="127.0.0.1",
                          registry=node_registry(state.pending, runner.outbox.stats, pipelines))

    def on_signal(signum: int, frame: FrameType | None) -> None:
        runner.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        result = runner.run()
    finally:
        runner.close()
        state.close()
    stats = runner.outbox.stats
    click.echo(f"deployment {result.deployment_id}: {result.reason}; "
               + ", ".join(f"{k}={v}" for k, v in result.counters.as_dict().items())
               + f"; alerts acknowledged={stats.acknowledged}, refused={stats.rejected}, "
               f"not raised again={stats.suppressed}, still pending={stats.left_pending}",
               err=True)
