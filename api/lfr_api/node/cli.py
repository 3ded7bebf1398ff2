"""``lfr node --api URL --key KEY [--deployment ID]``."""

from __future__ import annotations

import signal
from types import FrameType

import click


@click.command()
@click.option("--api", "api_url", required=True, help="The service, e.g. https://lfr.example")
@click.option("--key", required=True, envvar="LFR_NODE_KEY", show_envvar=True,
              help="The node's service-account API key (prefer the environment variable).")
@click.option("--deployment", "deployment_id", default=None,
              help="Refuse to run unless the key belongs to this deployment.")
@click.option("--poll", "poll_s", default=5.0, show_default=True, type=float,
              help="Seconds between checks of the deployment's state and watchlist.")
def node(api_url: str, key: str, deployment_id: str | None, poll_s: float) -> None:
    """Run a camera node: the deployment's pipeline here, alerts posted to the service.

    Uses the plugins installed here and the model store under LFR_HOME. Waits until the
    deployment is live; stops when it closes or its authorised window ends.
    """
    from lfr_api.node.runner import NodeRunner
    from lfr_framework.plugins import PluginHost

    host = PluginHost()
    runner = NodeRunner(api_url, key, host=host, store=host.model_store(),
                        deployment_id=deployment_id, poll_s=poll_s)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        runner.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        result = runner.run()
    finally:
        runner.close()
    stats = runner.outbox.stats
    click.echo(f"deployment {result.deployment_id}: {result.reason}; "
               + ", ".join(f"{k}={v}" for k, v in result.counters.as_dict().items())
               + f"; alerts acknowledged={stats.acknowledged}, refused={stats.rejected}, "
               f"dropped={stats.dropped_at_close}", err=True)
