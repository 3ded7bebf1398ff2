"""Serves the built web app (``web/`` → ``lfr_api/webapp/dist``) at ``/app/``.

The build goes into the package, so the ``lfr-api`` wheel carries it and a Python-only
install needs no Node. Without a build (a source checkout before ``make web``) ``/app/``
answers a page that says how to build it. Hashed assets are cached for a year; the page,
the service worker and the manifest are revalidated on every load, so a new release is
picked up at once. The page carries a strict Content-Security-Policy: nothing from outside
the service, ever (forces run air-gapped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Router, get
from litestar.static_files import create_static_files_router

from lfr_api.security.guards import public

DIST = Path(__file__).resolve().parent / "dist"
APP_PATH = "/app"

#: What the app may load: only this origin (and the blob: URLs it makes for the images it
#: fetched with the bearer token); the report preview is an ``srcdoc`` frame whose own
#: stylesheet is inline.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' blob: data:; connect-src 'self' ws: wss:; frame-src 'self' blob:; "
       "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>LFR web app not built</title></head><body><main><h1>The web app is not built</h1>
<p>This service was installed from a source checkout without the web app. Run
<code>make web</code> (needs Node.js 20 and npm) or install the <code>lfr-api</code> wheel,
which carries it.</p></main></body></html>"""


def app_url(host: str, port: int) -> str:
    """Where ``lfr serve`` says the web app is."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{APP_PATH}/"


def built() -> bool:
    """Whether the web app's build is installed."""
    return (DIST / "index.html").is_file()


#: Hashed build assets never change under their name; everything else is revalidated.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


async def _cache_policy(response: Any) -> Any:
    """Cache headers by file, and the CSP on the page."""
    file_path = Path(str(getattr(response, "file_path", "") or ""))
    hashed = file_path.parent.name == "assets" and file_path.parent.parent == DIST
    response.headers["Cache-Control"] = IMMUTABLE if hashed else REVALIDATE
    response.headers["X-Content-Type-Options"] = "nosniff"
    if file_path.suffix == ".html":
        response.headers["Content-Security-Policy"] = CSP
    return response


def webapp_router() -> Router | Any:
    """The ``/app`` routes: the build when there is one, else the not-built page."""
    if not built():
        @get([APP_PATH, APP_PATH + "/{rest:path}"], guards=public, include_in_schema=False,
             media_type="text/html", status_code=503, sync_to_thread=False)
        def not_built() -> str:
            return NOT_BUILT

        return not_built
    return create_static_files_router(path=APP_PATH, directories=[DIST], html_mode=True,
                                      guards=public, name="webapp",
                                      after_request=_cache_policy)
