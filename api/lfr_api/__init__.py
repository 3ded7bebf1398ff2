"""The LFR service: a Litestar API over the core framework (deployments, watchlists,
alerts to officers, decisions). Build an app with :func:`lfr_api.app.create_app`."""

__version__ = "0.1.0"
