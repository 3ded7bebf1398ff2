"""``lfr serve``, ``lfr users`` and ``lfr api-contract``: added to the core ``lfr`` command
through the ``lfr_cli`` entry-point group, so the core never imports the API."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lfr_api.settings import Settings

if TYPE_CHECKING:
    from lfr_api.users.schemas import UserCreate


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
@click.option("--pipelines/--no-pipelines", default=True, show_default=True,
              help="Also run the pipelines of the live deployments here (turn off on API "
              "replicas when camera nodes run them with 'lfr node').")
def serve(host: str, port: int, pipelines: bool) -> None:
    """Run the LFR service (API, WebSocket feed) on the configured database, and the
    pipelines of its live deployments (started when one goes live, stopped when it closes
    or its authorised window ends).

    Reads LFR_HOME, LFR_DATABASE_URL, LFR_REDIS_URL, LFR_JWT_SECRET (or LFR_DEV=1),
    LFR_FCM_CREDENTIALS (push to phones). The OpenAPI document is at /schema/openapi.json.
    """
    import dataclasses

    import uvicorn

    from lfr_api.app import create_app
    from lfr_api.webapp.static import app_url, built

    settings = dataclasses.replace(Settings.from_env(), run_pipelines=pipelines)
    app = create_app(settings)
    if built():
        click.echo(f"LFR web app: {app_url(host, port)}  (API: /schema/openapi.json)")
        sys.stdout.flush()
    else:
        click.echo("LFR web app: not built in this install (run 'make web'); the API is up")
    uvicorn.run(app, host=host, port=port, log_level="info")


@click.group()
def users() -> None:
    """Manage user accounts (bootstrap the first admin)."""


@users.command("create")
@click.option("--role", required=True,
              type=click.Choice(["admin", "authorising_officer", "officer", "supervisor",
                                 "compliance"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", default="")
@click.argument("username")
def create_user_cmd(role: str, password_stdin: bool, display_name: str, username: str) -> None:
    """Create USERNAME with ROLE (prompts for the password unless --password-stdin)."""
    from lfr_api.db.engine import Database, make_engine, upgrade
    from lfr_api.security.passwords import Passwords
    from lfr_api.users.service import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    # Check the input before touching the database (a bad password creates nothing).
    _user_create(username, password, role, display_name)
    # Creating a user needs no token secret: only the database and the KDF settings.
    settings = Settings.from_env({**os.environ, "LFR_DEV": "1"})
    engine = make_engine(settings.database_url)
    upgrade(engine)
    data = _user_create(username, password, role, display_name)
    with Database(engine).session() as session:
        user = create_user(session, Passwords(settings.password_hashing), data,
                           actor="cli:users-create")
        click.echo(f"created {role} {user.username} ({user.id})")


def _user_create(username: str, password: str, role: str, display_name: str) -> UserCreate:
    """The validated request, or a one-line error naming each bad field (never the value:
    it may be the password)."""
    from pydantic import ValidationError

    from lfr_api.security.roles import Role
    from lfr_api.users.schemas import UserCreate

    try:
        return UserCreate(username=username, password=password, role=Role(role),
                          display_name=display_name)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors(include_input=False, include_url=False))
        raise click.ClickException(f"not created: {problems}") from None


@click.command("api-contract")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("mobile_contract/openapi.json"), show_default=True)
@click.option("--check", is_flag=True, help="Fail if the file differs from the app.")
def contract(output: Path, check: bool) -> None:
    """Write (or --check) the OpenAPI document of the mobile contract."""
    from lfr_api.contract.openapi import openapi_document, render

    text = render(openapi_document())
    if check:
        if not output.is_file() or output.read_text(encoding="utf-8") != text:
            raise click.ClickException(
                f"{output} differs from the app's OpenAPI document: run 'lfr api-contract'")
        click.echo(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")
