"""``lfr demo-app``: the web app on a demo service, to try every screen in a browser.

A throwaway service in development mode (its own SQLite database under ``--home``, the
public development key: never for real data) with a user of every role, the demo street
scene as a camera, a two-person watchlist from the sample photos, authorised for the next
four hours and published. Log in as the admin and press *Go live* (step 7) while an officer
watches on a phone-sized window: the pipeline runs on the scene and the alert arrives."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

#: Everyone's password in the demo (development mode only; the service binds to loopback).
DEMO_PASSWORD = "demo-password-lfr"
DEMO_USERS = {"chief": "admin", "insp-ali": "authorising_officer", "pc-smith": "officer",
              "pc-jones": "officer", "sgt-khan": "supervisor", "cmp-reed": "compliance"}


def _prepare(home: Path) -> None:
    """Users, the camera video, the watchlist and the authorised deployment."""
    from litestar.testing import TestClient

    from lfr_api.app import create_app
    from lfr_api.settings import Settings
    from lfr_framework.demo.runner import demo_config, prepare_workdir
    from lfr_framework.deployment import build_with_models
    from lfr_framework.plugins import PluginHost
    from lfr_framework.sample_photos import fetch_photos

    click.echo("rendering the demo scene and fetching the models (once) …")
    watchlist, video = prepare_workdir(home / "scene")
    host = PluginHost()
    store = host.model_store()
    built = build_with_models(demo_config(home / "scene", watchlist, video, datetime.now(UTC)),
                              host, store, lambda alert: None, click.echo)
    built.components.matcher.destroy()
    settings = Settings.from_env({**os.environ, "LFR_DEV": "1",
                                  "LFR_DATABASE_URL": f"sqlite:///{home / 'lfr.db'}"})
    app = create_app(settings)
    photos = fetch_photos()
    with TestClient(app) as client:
        from lfr_api.security.roles import Role
        from lfr_api.users.schemas import UserCreate
        from lfr_api.users.service import create_user

        ctx = app.state["ctx"]
        ids = {}
        with ctx.db.session() as session:
            for name, role in DEMO_USERS.items():
                ids[name] = create_user(session, ctx.passwords, UserCreate(
                    username=name, password=DEMO_PASSWORD, role=Role(role)), "cli:demo-app").id

        def auth(name: str) -> dict[str, str]:
            r = client.post("/auth/login", json={"username": name, "password": DEMO_PASSWORD})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        admin, ao = auth("chief"), auth("insp-ali")
        dep = client.post("/deployments", headers=admin, json={
            "name": "Demo street, this afternoon", "location": "Demo street, north side"}).json()
        client.post(f"/deployments/{dep['id']}/cameras", headers=admin, json={
            "camera_id": "demo-cam", "source": "video", "uri": str(video),
            "location_name": "Demo street, by the shops"}).raise_for_status()
        for reference, photo, reason in (("WR-2024/0412", "obama", "Wanted for robbery"),
                                         ("WR-2024/0977", "biden", "Outstanding warrant")):
            with photos[photo].open("rb") as f:
                client.post(f"/deployments/{dep['id']}/watchlist", headers=admin, data={
                    "reference": reference, "category": "wanted_serious_offence",
                    "reason": reason, "image_source": "sample photo (demo)",
                    "lawfully_held": "true"},
                    files=[("images", (f"{photo}.jpg", f, "image/jpeg"))]).raise_for_status()
        start = datetime.now(UTC) - timedelta(minutes=5)
        client.post(f"/deployments/{dep['id']}/authorise", headers=ao, json={
            "purpose": "Demo: locate people wanted for serious offences",
            "legal_basis": "Demo only", "necessity": "Demo", "proportionality": "Demo",
            "watchlist_criteria": "Wanted for serious offences",
            "community_impact_ref": "DEMO-1", "location": "Demo street",
            "authorised_start": start.isoformat(),
            "authorised_end": (start + timedelta(hours=4)).isoformat()}).raise_for_status()
        client.post(f"/deployments/{dep['id']}/publish", headers=ao).raise_for_status()
        for name in ("pc-smith", "pc-jones", "sgt-khan"):
            client.post(f"/deployments/{dep['id']}/assignments", headers=admin,
                        json={"user_id": ids[name]}).raise_for_status()
    ctx.db.engine.dispose()


@click.command("demo-app")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The demo service's folder (default $LFR_HOME/app-demo).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reset", is_flag=True, help="Start again from an empty demo service.")
def demo_app(home: Path | None, host: str, port: int, reset: bool) -> None:
    """Serve the web app on a demo service: users of every role, an authorised deployment
    on the demo street scene. Development mode: never put real data in it."""
    import uvicorn

    from lfr_api.app import create_app
    from lfr_api.settings import Settings
    from lfr_api.webapp.static import app_url, built
    from lfr_framework.models.store import default_home

    home = home or default_home() / "app-demo"
    if reset and home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "lfr.db").exists():
        _prepare(home)
    settings = Settings.from_env({**os.environ, "LFR_DEV": "1",
                                  "LFR_DATABASE_URL": f"sqlite:///{home / 'lfr.db'}"})
    url = app_url(host, port)
    click.echo("")
    click.echo(f"LFR web app: {url}" if built() else
               "LFR web app: not built in this install (run 'make web')")
    click.echo(f"log in with password {DEMO_PASSWORD!r} as: " +
               ", ".join(f"{u} ({r})" for u, r in DEMO_USERS.items()))
    click.echo("then, as chief: Deployments → the demo → 7 Start and close → Go live; an "
               "officer (another window, e.g. 360×740) receives the alert")
    import dataclasses

    uvicorn.run(create_app(dataclasses.replace(settings, run_pipelines=True)), host=host,
                port=port, log_level="warning")
