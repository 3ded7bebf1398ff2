"""``lfr officer``: the reference officer client on the command line (for trials and demos).

The password comes from ``LFR_OFFICER_PASSWORD`` or a prompt, never from an argument.
"""

from __future__ import annotations

import asyncio
import json
import os

import click

from lfr_api.officer.client import ApiError, OfficerClient


def _password() -> str:
    return os.environ.get("LFR_OFFICER_PASSWORD") or str(
        click.prompt("Password", hide_input=True))


@click.group()
def officer() -> None:
    """Follow a deployment's alerts and record decisions, as the phone app does."""


@officer.command("watch")
@click.option("--api", "api_url", required=True, help="The service, e.g. http://127.0.0.1:8000")
@click.option("--username", required=True)
@click.option("--deployment", "deployment_id", required=True)
@click.option("--device-token", default=None, help="Register this FCM token first.")
@click.option("--platform", default="android", show_default=True,
              type=click.Choice(["android", "ios", "web"]))
def watch(api_url: str, username: str, deployment_id: str, device_token: str | None,
          platform: str) -> None:
    """Print each feed message as one JSON line (reconnects and resumes until Ctrl-C)."""

    async def run() -> None:
        async with OfficerClient(api_url, username, _password()) as client:
            await client.login()
            if device_token:
                await client.register_device(device_token, platform, "lfr officer")
            async for message in client.feed(deployment_id):
                click.echo(json.dumps(message, sort_keys=True))

    try:
        asyncio.run(run())
    except ApiError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass


@officer.command("decide")
@click.option("--api", "api_url", required=True)
@click.option("--username", required=True)
@click.option("--decision", required=True, type=click.Choice(["engage", "no_engage"]))
@click.option("--outcome", required=True, type=click.Choice([
    "arrested", "words_of_advice", "no_further_action", "false_alert_not_the_person",
    "not_located", "other"]))
@click.option("--note", default="")
@click.argument("alert_id")
def decide(api_url: str, username: str, decision: str, outcome: str, note: str,
           alert_id: str) -> None:
    """Record a decision on ALERT_ID and print the updated alert."""

    async def run() -> dict[str, object]:
        async with OfficerClient(api_url, username, _password()) as client:
            return await client.decide(alert_id, decision, outcome, note)

    try:
        click.echo(json.dumps(asyncio.run(run()), sort_keys=True))
    except ApiError as exc:
        raise click.ClickException(str(exc)) from None
